import { existsSync, readFileSync } from 'node:fs'
import { SHIPIT_VERSION } from '../version.js'
import { attachBounds, type BoundableClient, boundedCall, payloadBytes, type RetryNotice, type SlowCallNotice, uploadAllowanceMs } from './bounds.js'
import { type CredentialStatus, checkCredentials } from './credentials.js'
import { type Speculative, sendInFlight, serviceSlots } from './in-flight.js'
import { warnIfNodeEndOfLife } from './node-support.js'
import type { OperationInput, OperationName, OperationOutput, ServiceModules, ServiceName } from './services.js'

/** Settings every AWS client is built from: one place for region, profile, endpoint, retries, timeouts. */
export interface AwsSettings {
  /** resolved before the clients are made (resolveRegion): given to every client, as the SDK reads neither AWS_DEFAULT_REGION nor app.yaml */
  region?: string
  profile?: string
  /** --endpoint-url or AWS_ENDPOINT_URL: a LocalStack-style emulator */
  endpoint?: string
  /** total attempts per call, first try included (standard retry mode) */
  maxAttempts?: number
  /** total time of one attempt, answer read in full (plus time to upload a large body); a late attempt is abandoned and retried */
  requestTimeoutMs?: number
  /** total time of one call, every attempt and back-off included; default callDeadlineMs() */
  callTimeoutMs?: number
  /** a retry was granted: told before its back-off delay starts */
  onRetry?: (notice: RetryNotice) => void
  /** a call has been running for a while (slowCallMs, default SLOW_CALL_MS, then every SLOW_CALL_REPEAT_MS) */
  onSlowCall?: (notice: SlowCallNotice) => void
  slowCallMs?: number
}

/** The part of an SDK v3 client shipit uses. */
interface SdkClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>
  config: { region: () => Promise<string>; credentials: () => Promise<unknown> }
  destroy(): void
}

type ClientClass = new (config: Record<string, unknown>) => SdkClient
type CommandClass = new (input: unknown) => object

interface ServiceModule<S extends ServiceName> {
  client: keyof ServiceModules[S] & string
  load: () => Promise<ServiceModules[S]>
}

/** A request named by data (a plan step, a saved plan): its types are checked where it was planned. */
export interface RequestData {
  service: ServiceName
  operation: string
  input: Record<string, unknown>
}

/**
 * Each SDK package is imported only when its first client is needed: @aws-sdk/client-ec2 alone takes
 * ~0.1 s and 60 MB to load, and help, validate and init need none.
 */
const SERVICES: { [S in ServiceName]: ServiceModule<S> } = {
  lambda: { client: 'LambdaClient', load: () => import('@aws-sdk/client-lambda') },
  apigatewayv2: { client: 'ApiGatewayV2Client', load: () => import('@aws-sdk/client-apigatewayv2') },
  iam: { client: 'IAMClient', load: () => import('@aws-sdk/client-iam') },
  sts: { client: 'STSClient', load: () => import('@aws-sdk/client-sts') },
  logs: { client: 'CloudWatchLogsClient', load: () => import('@aws-sdk/client-cloudwatch-logs') },
  ecs: { client: 'ECSClient', load: () => import('@aws-sdk/client-ecs') },
  ec2: { client: 'EC2Client', load: () => import('@aws-sdk/client-ec2') },
  ecr: { client: 'ECRClient', load: () => import('@aws-sdk/client-ecr') },
  resourcegroupstaggingapi: { client: 'ResourceGroupsTaggingAPIClient', load: () => import('@aws-sdk/client-resource-groups-tagging-api') },
  s3: { client: 'S3Client', load: () => import('@aws-sdk/client-s3') },
  dynamodb: { client: 'DynamoDBClient', load: () => import('@aws-sdk/client-dynamodb') },
  scheduler: { client: 'SchedulerClient', load: () => import('@aws-sdk/client-scheduler') },
  ssm: { client: 'SSMClient', load: () => import('@aws-sdk/client-ssm') },
  secretsmanager: { client: 'SecretsManagerClient', load: () => import('@aws-sdk/client-secrets-manager') },
  cloudwatch: { client: 'CloudWatchClient', load: () => import('@aws-sdk/client-cloudwatch') },
  acm: { client: 'ACMClient', load: () => import('@aws-sdk/client-acm') },
  route53: { client: 'Route53Client', load: () => import('@aws-sdk/client-route-53') },
  elbv2: { client: 'ElasticLoadBalancingV2Client', load: () => import('@aws-sdk/client-elastic-load-balancing-v2') },
}

/** The SDK's `waitUntil…` functions, as shipit calls them. */
type SdkWaiter = (
  params: { client: SdkClient; maxWaitTime: number; minDelay: number; maxDelay: number; abortSignal?: AbortSignal },
  input: Record<string, unknown>,
) => Promise<{ state: string; reason?: unknown }>

export const DEFAULT_MAX_ATTEMPTS = 5
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
const DEFAULT_CALL_TIMEOUT_MS = 120_000

/** The call deadline when none is given: 120 s, or two attempts' worth when --request-timeout is longer. */
function callDeadlineMs(settings: AwsSettings): number {
  return settings.callTimeoutMs ?? Math.max(DEFAULT_CALL_TIMEOUT_MS, 2 * (settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS))
}

/** Commands sent as speculative reads (AwsClients.send's option), read by the in-flight bound of their client. */
const speculativeCommands = new WeakMap<object, Speculative>()

/** The one client factory: lazily built, cached clients sharing the same settings. */
export class AwsClients {
  /** by service, and by service and attempts for calls sent with their own maxAttempts */
  private readonly clients = new Map<string, Promise<SdkClient>>()
  private readonly modules = new Map<ServiceName, Promise<unknown>>()
  /**
   * Aborted by destroy(). A command that fails while sibling calls are in flight (observe reads in
   * parallel) destroys the clients; the SDK took the closed sockets of those calls for network errors
   * and sent them again (attempt=2) after the command had already failed. Aborted calls are not retried.
   */
  private closing = new AbortController()

  constructor(readonly settings: AwsSettings) {
    guardInstanceMetadata()
    // the SDK's own warning is a multi-line process warning without the dates: shipit says it in one line, once
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    warnIfNodeEndOfLife()
  }

  module<S extends ServiceName>(service: S): Promise<ServiceModules[S]> {
    let mod = this.modules.get(service) as Promise<ServiceModules[S]> | undefined
    if (!mod) {
      mod = (SERVICES[service] as ServiceModule<S>).load()
      this.modules.set(service, mod)
    }
    return mod
  }

  /** An export of a service's SDK package by name (a command or waiter class), or undefined. */
  private async exported<T>(service: ServiceName, name: string): Promise<T | undefined> {
    return Reflect.get(await this.module(service), name) as T | undefined
  }

  /** The client of a service; `maxAttempts` gives one of its own (a create that must not be resent blindly is sent with 1). */
  client(service: ServiceName, maxAttempts?: number): Promise<SdkClient> {
    const key = maxAttempts === undefined ? service : `${service}/${maxAttempts}`
    let client = this.clients.get(key)
    if (!client) {
      client = this.exported<ClientClass>(service, SERVICES[service].client).then((Client) => {
        if (!Client) throw new Error(`no client class ${SERVICES[service].client} for ${service}`)
        // an emulator (--endpoint-url) serves buckets by path, not as <bucket>.<host> names it cannot resolve
        const pathStyle = service === 's3' && this.settings.endpoint ? { forcePathStyle: true } : {}
        const client = new Client({ ...this.clientConfig(maxAttempts), ...pathStyle }) as SdkClient & BoundableClient
        attachBounds(service, client, {
          attemptMs: this.settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          maxAttempts: maxAttempts ?? this.settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
          onRetry: this.settings.onRetry,
        })
        this.boundInFlight(service, client)
        return client
      })
      this.clients.set(key, client)
    }
    return client
  }

  /**
   * Every send of this client, the SDK waiters' polls included, goes through its service's slots,
   * shared by every client of the process for that region or endpoint, and is sent again when
   * throttled where the SDK stopped short (src/aws/in-flight.ts says why not stacked on its retries).
   */
  private boundInFlight(service: ServiceName, client: SdkClient): void {
    const send = client.send.bind(client)
    const slots = serviceSlots(service, this.settings.endpoint ?? this.settings.region ?? '')
    const maxAttempts = this.settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    client.send = (command, options) =>
      sendInFlight(
        {
          call: `${service}:${command.constructor.name.replace(/Command$/, '')}`,
          slots,
          maxAttempts,
          onRetry: this.settings.onRetry,
          signal: options?.abortSignal,
          speculative: speculativeCommands.get(command),
        },
        () => send(command, options),
      )
  }

  clientConfig(attempts?: number): Record<string, unknown> {
    const { region, profile, endpoint, requestTimeoutMs } = this.settings
    const maxAttempts = attempts ?? this.settings.maxAttempts
    return {
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: 'standard',
      customUserAgent: `shipit/${SHIPIT_VERSION}`,
      // the total of each attempt is bounded by attachBounds (the handler's requestTimeout stops at the
      // response headers); the inactivity timeout stays, so that a silent connection fails at once
      requestHandler: { socketTimeout: requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, connectionTimeout: 5_000 },
    }
  }

  /** Send an operation with its SDK input type; the answer has the SDK output type. `speculative`: see src/aws/in-flight.ts. */
  send<S extends ServiceName, O extends OperationName<S>>(
    service: S,
    operation: O,
    input: OperationInput<S, O>,
    abortSignal?: AbortSignal,
    options: { speculative?: Speculative } = {},
  ): Promise<OperationOutput<S, O>> {
    return this.sendRequest({ service, operation, input: input as Record<string, unknown> }, abortSignal, options) as Promise<OperationOutput<S, O>>
  }

  /**
   * Send a request held as data: `${operation}Command` of its service with its input. `maxAttempts`
   * overrides the settings for this call (1: the SDK never resends it, see src/plan/idempotency.ts).
   */
  async sendRequest(
    request: RequestData,
    abortSignal?: AbortSignal,
    options: { maxAttempts?: number; speculative?: Speculative } = {},
  ): Promise<Record<string, unknown>> {
    const { service, operation, input } = request
    const [client, Command] = await Promise.all([this.client(service, options.maxAttempts), this.exported<CommandClass>(service, `${operation}Command`)])
    if (!Command) throw new Error(`unknown operation ${service}:${operation}`)
    const call = `${service}:${operation}`
    const deadlineMs = callDeadlineMs(this.settings) + uploadAllowanceMs(payloadBytes(input))
    const answer = await boundedCall(
      { call, deadlineMs, onSlowCall: this.settings.onSlowCall, slowCallMs: this.settings.slowCallMs },
      [abortSignal, this.closing.signal],
      (signal) => {
        const command = new Command(input)
        if (options.speculative) speculativeCommands.set(command, options.speculative)
        return client.send(command, { abortSignal: signal })
      },
    )
    return (answer ?? {}) as Record<string, unknown>
  }

  /** An SDK waiter (`waitUntil${name}`) of a service, or undefined when the SDK has none by that name. */
  waiter(service: ServiceName, name: string): Promise<SdkWaiter | undefined> {
    return this.exported<SdkWaiter>(service, `waitUntil${name}`)
  }

  /** The region the clients use (resolved by resolveRegion before they were made), or undefined. */
  async region(): Promise<string | undefined> {
    return this.settings.region
  }

  /**
   * 'ok' when the SDK's credential chain yields credentials (never returned or logged), 'none' when
   * nothing is configured; a configured source that fails throws its cause and fix (exit 1).
   */
  async credentialStatus(): Promise<CredentialStatus> {
    // without any configured source, and off EC2, say so without loading the SDK (~100 modules)
    return checkCredentials(this.settings.profile, async () => (await this.client('sts')).config.credentials(), {
      mayUseInstanceRole: process.env.AWS_EC2_METADATA_DISABLED !== 'true' && looksLikeEc2(),
      // the SDK's providers (SSO, STS for web identity, container endpoints) have no deadline of their own
      timeoutMs: callDeadlineMs(this.settings),
    })
  }

  destroy(): void {
    this.closing.abort()
    this.closing = new AbortController()
    for (const client of this.clients.values())
      client.then(
        (c) => c.destroy(),
        () => {},
      )
    this.clients.clear()
  }
}

let guarded = false
/**
 * The SDK's credential chain ends with the EC2 instance metadata service, whose address does not
 * answer off EC2 and costs a timeout per call. Off EC2 (no Amazon DMI/hypervisor marks) it is
 * switched off unless the user set AWS_EC2_METADATA_DISABLED themselves.
 */
function guardInstanceMetadata(): void {
  if (guarded) return
  guarded = true
  if (process.env.AWS_EC2_METADATA_DISABLED !== undefined) return
  if (process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return
  if (!looksLikeEc2()) process.env.AWS_EC2_METADATA_DISABLED = 'true'
}

function looksLikeEc2(): boolean {
  const read = (p: string) => {
    try {
      return existsSync(p) ? readFileSync(p, 'utf8').trim().toLowerCase() : ''
    } catch {
      return ''
    }
  }
  return (
    read('/sys/hypervisor/uuid').startsWith('ec2') ||
    read('/sys/class/dmi/id/sys_vendor').includes('amazon') ||
    read('/sys/class/dmi/id/board_asset_tag').startsWith('i-') ||
    read('/sys/class/dmi/id/product_uuid').startsWith('ec2')
  )
}
