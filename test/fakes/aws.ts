/**
 * Stateful in-memory fake of the AWS services shipit talks to, built on aws-sdk-client-mock.
 *
 *   const fake = createFakeAws()
 *   afterEach(() => fake.restore())
 *
 * Every client instance of LambdaClient, ApiGatewayV2Client, IAMClient, STSClient,
 * CloudWatchLogsClient, ECSClient, EC2Client, ECRClient, S3Client and DynamoDBClient is intercepted (mockClient on the prototype).
 * Each command is dispatched on `command.constructor.name` to a handler that reads and
 * mutates `fake.state`; unknown operations throw an Error naming the operation.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ACMClient } from '@aws-sdk/client-acm'
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2'
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { EC2Client } from '@aws-sdk/client-ec2'
import { ECRClient } from '@aws-sdk/client-ecr'
import { ECSClient } from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { IAMClient } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api'
import { Route53Client } from '@aws-sdk/client-route-53'
import { S3Client } from '@aws-sdk/client-s3'
import { SchedulerClient } from '@aws-sdk/client-scheduler'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { SSMClient } from '@aws-sdk/client-ssm'
import { STSClient } from '@aws-sdk/client-sts'
import { type AwsStub, mockClient } from 'aws-sdk-client-mock'
import { acmHandlers, createAcmState } from './acm.js'
import { apigwHandlers, createApiGatewayV2State } from './apigatewayv2.js'
import { type CloudWatchControls, cloudwatchControls, cloudwatchHandlers, createCloudWatchState } from './cloudwatch.js'
import { DEFAULT_BEHAVIOR, type FakeBehavior, type FakeContext, type FakeState } from './context.js'
import { awsError, clone, type FakeErrorSpec, type Handlers, Ids, metadata, type ServiceName } from './core.js'
import { createDynamoDbState, dynamodbHandlers } from './dynamodb.js'
import { type AddVpcOptions, addVpc, createEc2State, ec2Handlers } from './ec2.js'
import { createEcrState, ecrHandlers } from './ecr.js'
import { createEcsState, ecsModel } from './ecs.js'
import { createElbv2State, elbv2Handlers } from './elbv2.js'
import { type FakeHttpRequest, type FakeHttpResponse, httpApiSimulator } from './http.js'
import { createIamState, iamHandlers } from './iam.js'
import { createLambdaState, type LambdaHandler, lambdaModel } from './lambda.js'
import { appendLogEvents, createLogsState, logsHandlers } from './logs.js'
import { createRoute53State, route53Handlers } from './route53.js'
import { createS3State, s3Handlers } from './s3.js'
import { createSchedulerState, schedulerHandlers } from './scheduler.js'
import { createSecretsManagerState, secretsManagerHandlers } from './secretsmanager.js'
import { createSsmState, ssmHandlers } from './ssm.js'
import { createStsState, stsHandlers } from './sts.js'
// and ResourceGroupsTaggingAPIClient (test/fakes/tagging.ts: GetResources over the other fakes, TagResources)
import { taggingHandlers } from './tagging.js'

export type { FakeBehavior, FakeState } from './context.js'
export type { FakeErrorSpec, ServiceName } from './core.js'
export type { DynamoItem, DynamoTable } from './dynamodb.js'
export type { AddVpcOptions } from './ec2.js'
export type { PushedImage } from './ecr.js'
export type { RolloutOutcome, TaskOutcome } from './ecs.js'
export type { FakeHttpRequest, FakeHttpResponse } from './http.js'
export type { LambdaHandler, LambdaInvokeResult } from './lambda.js'
export type { S3BucketRecord, S3ObjectRecord } from './s3.js'

export interface FakeCall {
  service: ServiceName
  /** e.g. 'CreateFunction' */
  operation: string
  /** deep copy of the command input as sent */
  input: any
  /** Date.now() when the command was sent */
  at: number
}

export interface FailOnOptions {
  /** fail the n-th matching call from now on (default 1 = the next one) */
  nth?: number
  /** how many consecutive matching calls fail, starting at the n-th (default 1) */
  times?: number
  /** apply the operation, then fail: AWS did the work and its answer was lost (a 500 after the fact, a reset) */
  after?: boolean
}

export interface FakeAws {
  /** inspectable, mutable state; per service (`state.lambda.functions`, `state.ecs.services`, ...) plus flat aliases (`state.functions`, `state.services`, ...) */
  state: FakeState
  /** every command sent, in order (including ones that failed) */
  calls: FakeCall[]
  /**
   * calls that change the app's resources: operations that are not reads (read = starts with Get,
   * List, Describe, Filter, Head), without the deploy lock's own calls (lockCalls)
   */
  mutatingCalls(): FakeCall[]
  /** the deploy lock's calls (DynamoDB), reads and writes */
  lockCalls(): FakeCall[]
  /** calls of one operation ('CreateFunction' or 'lambda:CreateFunction') */
  callsOf(operation: string): FakeCall[]
  /** clears calls, faults and state back to the seeded defaults (latency and behavior back to the createFakeAws options) */
  reset(): void
  /** restores the real clients */
  restore(): void
  /** the n-th next call of `operation` ('TagResource' or 'ecs:TagResource') throws `error` instead of running */
  failOn(operation: string, error?: FakeErrorSpec, opts?: FailOnOptions): void
  /**
   * From now on, each call (of `services`, default every service) is throttled with probability
   * `rate`, drawn from a generator seeded with `seed`: AWS's own throttling answer of that service
   * (THROTTLING_ANSWERS), sent after the latency like any answer, the operation not run.
   * `throttleRandomly(0)` stops it. reset() stops it too.
   */
  throttleRandomly(rate: number, opts?: { seed?: number; services?: ServiceName[] }): { readonly throttled: number }
  /** calls being answered now, and the most at once since the last reset, per service (with latency on: calls in flight) */
  inFlight: { now: Partial<Record<ServiceName, number>>; peak: Partial<Record<ServiceName, number>> }
  /** the k-th mutating call from now on (1-based) throws `error` instead of running, once */
  failAtMutation(k: number, error?: { name: string; message: string; httpStatus?: number }): void
  /** moves the fake's clock (timestamps, IAM propagation, draining services) forward without waiting */
  advanceClock(ms: number): void
  /** the fake's time: Date.now() moved by advanceClock */
  now(): Date
  /** CloudWatch as a release watches it: alarm states and Lambda metrics over the fake's time */
  cloudwatch: CloudWatchControls
  /** when > 0, every call resolves (or rejects) after this many ms of real time */
  latencyMs: number
  account: string
  region: string
  /** realism switches, see FakeBehavior */
  behavior: FakeBehavior
  /** what the per-service models share (account, region, ids, state), for their helpers (addHostedZone, addCertificate…) */
  context: FakeContext
  /** the aws-sdk-client-mock stubs, for assertions on the commands a client received (commandCalls) */
  mocks: Record<ServiceName, AwsStub<object, never, unknown>>
  /** seed CloudWatch Logs events (creates the group and stream when missing) */
  putLogEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): void
  /** program what a Lambda function does when invoked (Invoke or through fake.http) */
  setLambdaHandler(functionName: string, handler: LambdaHandler): void
  /** send an HTTP request to an HTTP API endpoint (`https://{apiId}.execute-api.{region}.amazonaws.com/...`) */
  http(request: FakeHttpRequest): Promise<FakeHttpResponse>
  /** register EC2 container instances in an existing ECS cluster (e.g. after an ASG scaled out) */
  registerContainerInstances(cluster: string, count: number): string[]
  /** add a VPC with one subnet per AZ and its default security group */
  addVpc(opts?: AddVpcOptions): { vpcId: string; subnetIds: string[]; defaultSecurityGroupId: string }
  /** ECR registers the images the fake container CLI (test/fakes/bin/docker) recorded as pushed in this JSON-lines file */
  watchContainerPushes(file: string): void
}

export interface CreateFakeAwsOptions {
  account?: string
  region?: string
  /** seed the default VPC 'vpc-0default' (172.31.0.0/16) with 3 default subnets and its default security group; default true */
  defaultVpc?: boolean
  /** EC2 container instances registered in every ECS cluster when it is created; default 0 */
  containerInstances?: number
  latencyMs?: number
  behavior?: Partial<FakeBehavior>
  /** seed of the deterministic id generator */
  seed?: number
}

const READ_RE = /^(Get|List|Describe|Filter|Head)/
export function isReadOperation(operation: string): boolean {
  return READ_RE.test(operation) || operation === 'GetCallerIdentity'
}

const CLIENTS = {
  lambda: LambdaClient,
  apigatewayv2: ApiGatewayV2Client,
  iam: IAMClient,
  sts: STSClient,
  logs: CloudWatchLogsClient,
  ecs: ECSClient,
  ec2: EC2Client,
  ecr: ECRClient,
  resourcegroupstaggingapi: ResourceGroupsTaggingAPIClient,
  s3: S3Client,
  dynamodb: DynamoDBClient,
  scheduler: SchedulerClient,
  ssm: SSMClient,
  secretsmanager: SecretsManagerClient,
  cloudwatch: CloudWatchClient,
  acm: ACMClient,
  route53: Route53Client,
  elbv2: ElasticLoadBalancingV2Client,
} as const

/**
 * What each service answers when it throttles a caller (the AWS API references' error lists):
 * Lambda and API Gateway a 429 TooManyRequestsException (Lambda with its Reason), IAM and STS the
 * Query protocol's `Throttling`, EC2 a 503 RequestLimitExceeded, the JSON services ThrottlingException.
 */
type ThrottlingAnswer = FakeErrorSpec & { extra?: Record<string, unknown> }
export const THROTTLING_ANSWERS: Partial<Record<ServiceName, ThrottlingAnswer>> = {
  lambda: { name: 'TooManyRequestsException', message: 'Rate exceeded', httpStatus: 429, extra: { Reason: 'CallerRateLimitExceeded' } },
  apigatewayv2: { name: 'TooManyRequestsException', message: 'Too Many Requests', httpStatus: 429 },
  iam: { name: 'Throttling', message: 'Rate exceeded', httpStatus: 400 },
  sts: { name: 'Throttling', message: 'Rate exceeded', httpStatus: 400 },
  ec2: { name: 'RequestLimitExceeded', message: 'Request limit exceeded.', httpStatus: 503 },
}
const DEFAULT_THROTTLING: ThrottlingAnswer = { name: 'ThrottlingException', message: 'Rate exceeded', httpStatus: 400 }

interface FailRule {
  service?: string
  operation: string
  skip: number
  remaining: number
  error: FakeErrorSpec
  after: boolean
}

export function createFakeAws(opts: CreateFakeAwsOptions = {}): FakeAws {
  const account = opts.account ?? '123456789012'
  const region = opts.region ?? 'us-west-2'
  const seed = opts.seed ?? 0x5eed
  const initialBehavior: FakeBehavior = { ...DEFAULT_BEHAVIOR, ...(opts.behavior ?? {}) }

  const state = {} as FakeState
  let clockOffsetMs = 0
  const ctx: FakeContext = {
    account,
    region,
    ids: new Ids(seed),
    now: () => new Date(Date.now() + clockOffsetMs),
    state,
    behavior: { ...initialBehavior },
    containerInstancesPerCluster: opts.containerInstances ?? 0,
  }
  const aliases: [keyof FakeState, keyof FakeState, string][] = [
    ['functions', 'lambda', 'functions'],
    ['apis', 'apigatewayv2', 'apis'],
    ['roles', 'iam', 'roles'],
    ['logGroups', 'logs', 'logGroups'],
    ['clusters', 'ecs', 'clusters'],
    ['services', 'ecs', 'services'],
    ['taskDefinitions', 'ecs', 'taskDefinitions'],
    ['tasks', 'ecs', 'tasks'],
    ['containerInstances', 'ecs', 'containerInstances'],
    ['vpcs', 'ec2', 'vpcs'],
    ['subnets', 'ec2', 'subnets'],
    ['securityGroups', 'ec2', 'securityGroups'],
    ['networkInterfaces', 'ec2', 'networkInterfaces'],
    ['instances', 'ec2', 'instances'],
  ]
  for (const [alias, ns, key] of aliases) {
    Object.defineProperty(state, alias, {
      get: () => (state[ns] as any)[key],
      enumerable: false,
    })
  }

  function seedState() {
    ctx.ids = new Ids(seed)
    state.sts = createStsState(account)
    state.lambda = createLambdaState()
    state.apigatewayv2 = createApiGatewayV2State()
    state.iam = createIamState()
    state.logs = createLogsState()
    state.ecs = createEcsState()
    state.ec2 = createEc2State()
    state.ecr = createEcrState()
    state.s3 = createS3State()
    state.dynamodb = createDynamoDbState()
    state.scheduler = createSchedulerState()
    state.ssm = createSsmState()
    state.secretsmanager = createSecretsManagerState()
    state.cloudwatch = createCloudWatchState()
    state.acm = createAcmState()
    state.route53 = createRoute53State()
    state.elbv2 = createElbv2State()
    if (opts.defaultVpc ?? true) addVpc(ctx, { isDefault: true })
  }
  seedState()

  const lambda = lambdaModel(ctx)
  const ecs = ecsModel(ctx)
  const handlers: Record<ServiceName, Handlers> = {
    lambda: lambda.handlers,
    apigatewayv2: apigwHandlers(ctx),
    iam: iamHandlers(ctx),
    sts: stsHandlers(ctx),
    logs: logsHandlers(ctx),
    ecs: ecs.handlers,
    ec2: ec2Handlers(ctx),
    ecr: ecrHandlers(ctx),
    resourcegroupstaggingapi: taggingHandlers(ctx),
    s3: s3Handlers(ctx),
    dynamodb: dynamodbHandlers(ctx),
    scheduler: schedulerHandlers(ctx),
    ssm: ssmHandlers(ctx),
    secretsmanager: secretsManagerHandlers(ctx),
    cloudwatch: cloudwatchHandlers(ctx),
    acm: acmHandlers(ctx),
    route53: route53Handlers(ctx),
    elbv2: elbv2Handlers(ctx),
  }

  let failRules: FailRule[] = []
  let mutationCount = 0
  let failMutationAt: { at: number; error: FakeErrorSpec } | undefined
  let randomThrottle: { rate: number; draw: Ids; services?: ServiceName[]; throttled: number } | undefined

  function throttledAtRandom(service: ServiceName): Error | undefined {
    if (!randomThrottle || (randomThrottle.services && !randomThrottle.services.includes(service))) return undefined
    if (randomThrottle.draw.next() >= randomThrottle.rate) return undefined
    randomThrottle.throttled += 1
    const answer = THROTTLING_ANSWERS[service] ?? DEFAULT_THROTTLING
    return awsError(service, answer.name, answer.message, answer.httpStatus, answer.extra)
  }

  function injected(service: ServiceName, operation: string): { error: Error; after: boolean } | undefined {
    let spec: FakeErrorSpec | undefined
    let after = false
    for (const rule of failRules) {
      if (rule.operation !== operation || (rule.service && rule.service !== service) || rule.remaining <= 0) continue
      if (rule.skip > 0) {
        rule.skip -= 1
        continue
      }
      rule.remaining -= 1
      if (!spec) after = rule.after
      spec = spec ?? rule.error
    }
    failRules = failRules.filter((r) => r.remaining > 0)
    if (!isReadOperation(operation)) {
      mutationCount += 1
      if (failMutationAt && failMutationAt.at === mutationCount) {
        spec = spec ?? failMutationAt.error
        failMutationAt = undefined
      }
    }
    if (!spec) {
      const error = throttledAtRandom(service)
      return error ? { error, after: false } : undefined
    }
    // a network failure is Node's error, not an AWS answer: the SDK retries ECONNRESET and the like
    const error = spec.code
      ? Object.assign(new Error(spec.message), { name: spec.name, code: spec.code })
      : awsError(service, spec.name, spec.message, spec.httpStatus)
    return { error, after }
  }

  const fake: FakeAws = {
    state,
    calls: [],
    latencyMs: opts.latencyMs ?? 0,
    account,
    region,
    behavior: ctx.behavior,
    context: ctx,
    mocks: {} as FakeAws['mocks'],
    inFlight: { now: {}, peak: {} },

    mutatingCalls: () => fake.calls.filter((c) => !isReadOperation(c.operation) && c.service !== 'dynamodb'),
    lockCalls: () => fake.calls.filter((c) => c.service === 'dynamodb'),

    callsOf: (operation) => {
      const [svc, op] = operation.includes(':') ? operation.split(':') : [undefined, operation]
      return fake.calls.filter((c) => c.operation === op && (!svc || c.service === svc))
    },

    reset() {
      clockOffsetMs = 0
      seedState()
      fake.calls.length = 0
      failRules = []
      failMutationAt = undefined
      randomThrottle = undefined
      fake.inFlight.now = {}
      fake.inFlight.peak = {}
      mutationCount = 0
      fake.latencyMs = opts.latencyMs ?? 0
      Object.assign(ctx.behavior, initialBehavior)
      for (const m of Object.values(fake.mocks)) m.resetHistory()
    },

    restore() {
      for (const m of Object.values(fake.mocks)) m.restore()
    },

    advanceClock(ms) {
      clockOffsetMs += ms
    },

    now: () => ctx.now(),

    cloudwatch: cloudwatchControls(ctx),

    failOn(operation, error, o = {}) {
      const [service, op] = operation.includes(':') ? operation.split(':') : [undefined, operation]
      failRules.push({
        service,
        operation: op,
        skip: Math.max(0, (o.nth ?? 1) - 1),
        remaining: o.times ?? 1,
        error: error ?? { name: 'ThrottlingException', message: 'Rate exceeded', httpStatus: 400 },
        after: o.after ?? false,
      })
    },

    throttleRandomly(rate, o = {}) {
      if (!(rate >= 0 && rate <= 1)) throw new Error('throttleRandomly: rate must be between 0 and 1')
      const rule = { rate, draw: new Ids(o.seed ?? seed), services: o.services, throttled: 0 }
      randomThrottle = rate > 0 ? rule : undefined
      return {
        get throttled() {
          return rule.throttled
        },
      }
    },

    failAtMutation(k, error) {
      if (!Number.isInteger(k) || k < 1) throw new Error('failAtMutation: k must be a positive integer')
      failMutationAt = {
        at: mutationCount + k,
        error: error ?? { name: 'InternalFailure', message: `Injected failure at mutating call #${k}`, httpStatus: 500 },
      }
    },

    putLogEvents(group, stream, events) {
      appendLogEvents(ctx, group, stream, events, { createGroup: true })
    },

    setLambdaHandler(functionName, handler) {
      state.lambda.handlers.set(functionName, handler)
    },

    http: (request) => httpApiSimulator(ctx, lambda)(request),

    registerContainerInstances(clusterRef, count) {
      const c = ecs.cluster(clusterRef)
      return ecs.registerContainerInstances(c, count).map((i) => i.containerInstanceArn)
    },

    addVpc: (o) => addVpc(ctx, o),

    watchContainerPushes(file) {
      state.ecr.pushLog = file
      state.ecr.pushLogLines = 0
    },
  }

  /** Counts the calls of a service being answered at once (the handler's latency included). */
  async function dispatchCounted(service: ServiceName, command: { input?: unknown; constructor: { name: string } }) {
    const { now, peak } = fake.inFlight
    now[service] = (now[service] ?? 0) + 1
    peak[service] = Math.max(peak[service] ?? 0, now[service])
    try {
      return await dispatch(service, command)
    } finally {
      now[service] = (now[service] ?? 1) - 1
    }
  }

  async function dispatch(service: ServiceName, command: { input?: unknown; constructor: { name: string } }) {
    const operation = command.constructor.name.replace(/Command$/, '')
    fake.calls.push({ service, operation, input: clone(command.input ?? {}), at: Date.now() })
    const failure = injected(service, operation)
    if (fake.latencyMs > 0) await sleep(fake.latencyMs)
    if (failure && !failure.after) throw failure.error
    const handler = handlers[service][operation]
    if (!handler) {
      throw new Error(
        `FakeAws: ${service}:${operation} (${command.constructor.name}) is not implemented in test/fakes; add a handler to test/fakes/${service}.ts`,
      )
    }
    const output = await handler(clone(command.input ?? {}))
    if (failure) throw failure.error
    return { ...clone(output), $metadata: metadata(200) }
  }

  for (const [service, Client] of Object.entries(CLIENTS) as [ServiceName, (typeof CLIENTS)[ServiceName]][]) {
    const stub = mockClient(Client as any) as unknown as AwsStub<object, never, unknown>
    // Dispatch on the command class (onAnyCommand().callsFake() only hands over the input).
    ;(stub.send as any).callsFake((command: { input?: unknown; constructor: { name: string } }) => dispatchCounted(service, command))
    fake.mocks[service] = stub
  }

  return fake
}
