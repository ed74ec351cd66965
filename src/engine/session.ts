import { describeRetry, describeSlowCall, retryWorthTelling } from '../aws/bounds.js'
import { AwsClients } from '../aws/clients.js'
import { needsCredentials } from '../aws/credentials.js'
import { resolveRegion } from '../aws/region.js'
import { invalid } from '../errors.js'
import { checkBuildContext } from '../manifest/build-context.js'
import { findManifest } from '../manifest/discover.js'
import { formatProblem, type LoadedManifest, loadManifest, ManifestError } from '../manifest/load.js'
import { type Desired, resolveDesired } from '../manifest/resolve.js'
import { addCredentialsFromEnvironment, addSecret } from '../redact.js'
import { loadTarget } from '../targets/index.js'
import type { Target } from '../targets/target.js'

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
  callTimeoutMs?: number
  /** where retries and slow calls are told (stderr in the CLI); silent when absent */
  progress?: (message: string) => void
  /** the command creates nothing (status, logs, destroy, rollback): see LoadOptions.existingOnly */
  existingOnly?: boolean
  /** environment variables for ${env:…} (tests pass their own) */
  vars?: Record<string, string | undefined>
  /** --show-undeclared: plans show the live values of names app.yaml does not declare */
  showUndeclared?: boolean
}

/** A loaded manifest, its target, and the AWS access the command has. */
export interface Session {
  /** absent for `shipit prune`, which destroys an env from its tags alone (a closed PR's app.yaml is gone) */
  loaded?: LoadedManifest
  desired: Desired
  target: Target<unknown>
  clients: AwsClients
  region: string
  /** where the region came from: --region, app.yaml, AWS_REGION, AWS_DEFAULT_REGION, a profile */
  regionFrom: string
  offline: boolean
  /** --show-undeclared (see SessionOptions) */
  showUndeclared?: boolean
  /** why the session is offline, for the plan header */
  offlineReason?: string
  warnings: string[]
  /** retries and slow calls go to progress.write; an apply points it at its reporter */
  progress: { write: (message: string) => void }
}

const FALLBACK_REGION = 'us-east-1'

/** The one client factory, from the flags: retries and slow calls told through `progress`. */
export function clientsFor(
  options: Pick<SessionOptions, 'profile' | 'maxAttempts' | 'requestTimeoutMs' | 'callTimeoutMs'>,
  region: string | undefined,
  endpoint: string | undefined,
  progress: { write: (message: string) => void },
): AwsClients {
  return new AwsClients({
    region,
    profile: options.profile,
    endpoint,
    maxAttempts: options.maxAttempts,
    requestTimeoutMs: options.requestTimeoutMs,
    callTimeoutMs: options.callTimeoutMs,
    onRetry: (notice) => retryWorthTelling(notice) && progress.write(describeRetry(notice)),
    onSlowCall: (notice) => progress.write(describeSlowCall(notice)),
  })
}

/** Load and validate the manifest for the command's target (once), its secret values kept from any output. */
export async function loadForSession(options: SessionOptions): Promise<LoadedManifest> {
  addCredentialsFromEnvironment()
  const loaded = await loadManifest(options.file ?? (await findManifest(process.cwd())), options.vars ?? process.env, {
    target: options.target,
    existingOnly: options.existingOnly,
  })
  for (const s of loaded.secrets) addSecret(s)
  return loaded
}

/** Load, validate and resolve the manifest (unless `preloaded`), then decide region and whether AWS can be read. */
export async function openSession(options: SessionOptions, preloaded?: LoadedManifest): Promise<Session> {
  // validated once, for the target the command will use
  const loaded = preloaded ?? (await loadForSession(options))
  const desired = resolveDesired(loaded, { env: options.env, target: options.target })
  for (const v of Object.values(desired.environment)) if (v.secret) addSecret(v.value)
  // a build context outside the app (../.., $HOME) is refused before credentials are even looked at
  const fenced = checkBuildContext(loaded, desired)
  if (fenced.length) throw new ManifestError(fenced)
  const target = await loadTarget(desired.target)
  return { loaded, desired, target, ...(await connect(options, desired.region, loaded.warnings.map(formatProblem))) }
}

/** What a session reaches AWS with: clients, region, and whether it is offline. */
type Connection = Pick<Session, 'clients' | 'region' | 'regionFrom' | 'offline' | 'offlineReason' | 'warnings' | 'progress' | 'showUndeclared'>

/** The clients, region and credentials check a session needs, from the flags and the manifest's region. */
export async function connect(options: SessionOptions, manifestRegion: string | undefined, warnings: string[]): Promise<Connection> {
  const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined)
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw invalid('InvalidEndpoint', `--endpoint-url ${endpoint} is not an http(s) URL`, ['e.g. --endpoint-url http://localhost:4566'])
  }
  const resolved = await resolveRegion({ flag: options.region, manifest: manifestRegion, profile: options.profile })
  const progress = { write: options.progress ?? (() => {}) }
  const clients = clientsFor(options, resolved?.region, endpoint, progress)

  let offline = Boolean(options.offline)
  let offlineReason = offline ? '--offline' : undefined
  if (options.offline && options.mutates) {
    throw invalid('OfflineApply', '--offline only plans; it cannot change AWS', ['use `shipit plan --offline` or `shipit deploy --dry-run --offline`'])
  }
  // a configured source that fails throws here (exit 1): only "nothing configured" may plan offline
  if (!offline && (await clients.credentialStatus()) === 'none') {
    if (options.mutates) throw needsCredentials('shipit needs them to change AWS')
    offline = true
    offlineReason = 'no AWS credentials'
  }

  if (!resolved && !offline) {
    throw invalid('NoRegion', 'no AWS region configured', [
      'pass --region, set region: in app.yaml, set AWS_REGION (or AWS_DEFAULT_REGION), or give the profile a region (aws configure set region …)',
    ])
  }
  const region = resolved?.region ?? FALLBACK_REGION
  if (!resolved) warnings.push(`no region configured; planning for ${FALLBACK_REGION} (pass --region or set region: in app.yaml)`)
  return {
    clients,
    region,
    regionFrom: resolved?.from ?? 'fallback',
    offline,
    offlineReason,
    warnings,
    progress,
    ...(options.showUndeclared ? { showUndeclared: true } : {}),
  }
}
