import { AwsClients } from '../aws/clients.js'
import { NO_CREDENTIALS_HINTS } from '../aws/errors.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { findManifest } from '../manifest/discover.js'
import { type LoadedManifest, loadManifest } from '../manifest/load.js'
import { type Desired, resolveDesired } from '../manifest/resolve.js'
import { loadTarget } from '../targets/index.js'
import type { Target } from '../targets/target.js'
import { addCredentialsFromEnvironment, addSecret } from '../ui/redact.js'

/** What every command that talks to AWS is given by its flags. */
export interface SessionOptions {
  /** app.yaml; when not given, the one of the working directory or of its nearest parent */
  file?: string
  env?: string
  target?: string
  region?: string
  profile?: string
  endpoint?: string
  /** plan without reading AWS */
  offline?: boolean
  /** this command will change AWS: credentials are required */
  mutates: boolean
  maxAttempts?: number
  requestTimeoutMs?: number
  /** environment variables for ${env:…} (tests pass their own) */
  vars?: Record<string, string | undefined>
}

/** A loaded manifest, its target, and the AWS access the command has. */
export interface Session {
  loaded: LoadedManifest
  desired: Desired
  target: Target<unknown>
  clients: AwsClients
  region: string
  offline: boolean
  /** why the session is offline, for the plan header */
  offlineReason?: string
  warnings: string[]
}

export const FALLBACK_REGION = 'us-east-1'

/** Load, validate and resolve the manifest, then decide region and whether AWS can be read. */
export async function openSession(options: SessionOptions): Promise<Session> {
  addCredentialsFromEnvironment()
  const loaded = await loadManifest(options.file ?? (await findManifest(process.cwd())), options.vars ?? process.env)
  for (const s of loaded.secrets) addSecret(s)
  const desired = resolveDesired(loaded, { env: options.env, target: options.target })
  for (const v of Object.values(desired.environment)) if (v.secret) addSecret(v.value)
  const target = await loadTarget(desired.target)

  const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined)
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw invalid('InvalidEndpoint', `--endpoint-url ${endpoint} is not an http(s) URL`, ['e.g. --endpoint-url http://localhost:4566'])
  }
  const clients = new AwsClients({
    region: options.region ?? desired.region,
    profile: options.profile,
    endpoint,
    maxAttempts: options.maxAttempts,
    requestTimeoutMs: options.requestTimeoutMs,
  })
  const warnings: string[] = []

  let offline = Boolean(options.offline)
  let offlineReason = offline ? '--offline' : undefined
  if (options.offline && options.mutates) {
    throw invalid('OfflineApply', '--offline only plans; it cannot change AWS', ['use `shipit plan --offline` or `shipit deploy --dry-run --offline`'])
  }
  if (!offline && !(await clients.hasCredentials())) {
    if (options.mutates) {
      throw new ShipitError('NoCredentials', 'no AWS credentials found: shipit needs them to change AWS', {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: NO_CREDENTIALS_HINTS,
      })
    }
    offline = true
    offlineReason = 'no AWS credentials'
  }

  let region = await clients.region()
  if (!region) {
    if (!offline) {
      throw invalid('NoRegion', 'no AWS region configured', ['pass --region, set region: in app.yaml, or set AWS_REGION'])
    }
    region = FALLBACK_REGION
    warnings.push(`no region configured; planning for ${FALLBACK_REGION} (pass --region or set region: in app.yaml)`)
  }
  return { loaded, desired, target, clients, region, offline, offlineReason, warnings }
}
