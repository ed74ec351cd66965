import { relative } from 'node:path'
import { needsCredentials } from '../aws/credentials.js'
import { translateAwsError } from '../aws/errors.js'
import { clock } from '../clock.js'
import { planCost } from '../compare/plan-cost.js'
import { canonicalJson, sha256Hex } from '../digest.js'
import { withIdempotency } from '../plan/idempotency.js'
import { newSalt, precomputeCommitments, SECRET_KDF, saltSecretMarkers } from '../plan/secrets.js'
import { forEachMarker, isSensitive, PLAN_FORMAT_VERSION, type Plan, type SecretKdf, summarize, withInferredDependencies } from '../plan/types.js'
import type { CallerIdentity, PlanPart, Prepared } from '../targets/target.js'
import { SHIPIT_VERSION } from '../version.js'
import { expiringFrom, planExpiry } from './expiry.js'
import type { Session } from './session.js'

export interface Planned {
  plan: Plan
  observed: unknown
  prepared: Prepared
}

interface PlanOptions {
  command: Plan['command']
  /** rollback: the version or revision to go back to */
  to?: string
  adopt?: boolean
  signal?: AbortSignal
  /** fixed clock for reproducible plans in tests */
  now?: () => Date
  /** the salt of secret commitments: a saved plan's, so that the re-made plan can be compared with it */
  salt?: string
  /** the key derivation of secret commitments: a saved plan's (checked by readPlan), else SECRET_KDF */
  kdf?: SecretKdf
  /** the build prepareLocal returned, when the local input was checked earlier (before the deploy lock) */
  build?: () => Promise<Prepared>
  /** with components: called once observed, before planning; it may set session.desired (another component's output) */
  beforePlan?: () => Promise<void>
  /** with components: the app's one GetCallerIdentity (see ObserveContext.caller) */
  caller?: () => Promise<CallerIdentity>
}

/** Check the local input (source, build context) before any AWS call; the build it returns runs while observe reads. */
export async function prepareLocal(session: Session, command: Plan['command'], signal?: AbortSignal): Promise<() => Promise<Prepared>> {
  return command === 'deploy' ? session.target.prepare(session.desired, signal) : async (): Promise<Prepared> => ({ artifacts: new Map() })
}

function fingerprintHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`
}

/** Read what exists (unless offline), then plan. Packaging runs while AWS is read. */
export async function observe(
  session: Session,
  signal?: AbortSignal,
  command: Plan['command'] = 'deploy',
  caller?: () => Promise<CallerIdentity>,
): Promise<unknown> {
  const { target, desired, clients, region } = session
  if (session.offline) return target.nothing(desired)
  try {
    return await target.observe({ clients, region, signal, command, showUndeclared: session.showUndeclared, ...(caller ? { caller } : {}) }, desired)
  } catch (err) {
    throw translateAwsError(err, `reading the live state of ${desired.names.base}`)
  }
}

export async function makePlan(session: Session, options: PlanOptions): Promise<Planned> {
  // a saved plan is made again at its own time: the expiry of a preview it tags with is the one it showed
  const now = options.now?.() ?? clock.now()
  if (options.command === 'deploy') session.desired = expiringFrom(session.desired, now)
  const { target, region } = session
  if (options.command === 'rollback') return makeRollbackPlan(session, options)
  // local input is checked before the first AWS call; the zip is built while observe reads
  const build = options.build ?? (await prepareLocal(session, options.command, options.signal))
  const [observed, prepared] = await Promise.all([observe(session, options.signal, options.command, options.caller), build()])
  await options.beforePlan?.()
  const { account, partition } = observed as { account?: string; partition?: string }
  const ctx = { region, account, partition, adopt: Boolean(options.adopt) }
  const part: PlanPart =
    options.command === 'destroy' ? target.planDestroy(session.desired, observed, ctx) : target.plan(session.desired, observed, prepared, ctx)
  const expires = options.command === 'deploy' ? await planExpiry(session, part, now, options.signal) : undefined
  // the plan is made at `now`: its createdAt is the time its expiry is counted from, so a saved plan made again matches
  const salted = { ...options, now: () => now, salt: options.salt ?? newSalt() }
  await commitToSecrets(session, salted, part)
  const plan = assemblePlan(session, salted, part, observed, account)
  return { plan: expires ? { ...plan, expires } : plan, observed, prepared }
}

/** The scrypt commitments of the secrets the steps send, all at once (assemblePlan then finds them made). */
async function commitToSecrets(session: Session, options: PlanOptions & { salt: string }, part: PlanPart): Promise<void> {
  const names = new Set<string>()
  for (const step of part.steps) forEachMarker(step.request.input, (m) => isSensitive(m) && names.add(m.sensitive))
  const secrets = [...names].flatMap((name): [string, string][] => {
    const value = session.desired.environment[name]?.value
    return value === undefined ? [] : [[name, value]]
  })
  await precomputeCommitments(options.salt, options.kdf ?? SECRET_KDF, secrets)
}

export function fingerprintOf(session: Session, observed: unknown): string {
  return fingerprintHash(session.target.fingerprint(observed))
}

export function assemblePlan(session: Session, options: PlanOptions, part: PlanPart, observed: unknown, account: string | undefined): Plan {
  const { desired, region } = session
  const salt = options.salt ?? newSalt()
  const createdAt = (options.now?.() ?? new Date()).toISOString()
  const inferred = withIdempotency({ app: desired.app, env: desired.env, createdAt }, withInferredDependencies(part.steps), session.target.catalogue)
  const kdf = options.kdf ?? SECRET_KDF
  const steps = saltSecretMarkers(inferred, salt, kdf, (name) => desired.environment[name]?.value)
  const manifest = session.loaded?.manifest
  const cost = planCost(
    desired,
    region,
    { command: options.command, steps },
    { ...manifest?.expect, ...manifest?.environments[desired.declaredBy ?? desired.env]?.expect },
  )
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    shipitVersion: SHIPIT_VERSION,
    command: options.command,
    app: desired.app,
    env: desired.env,
    target: desired.target,
    region,
    ...(account ? { account } : {}),
    offline: session.offline,
    observed: fingerprintHash(session.target.fingerprint(observed)),
    salt,
    kdf,
    ...(session.loaded?.file ? { manifest: relative(process.cwd(), session.loaded.file) || session.loaded.file } : {}),
    createdAt,
    steps,
    unchanged: part.unchanged,
    warnings: [...session.warnings, ...part.warnings],
    blocked: part.blocked,
    summary: summarize(steps, part.unchanged),
    ...(cost ? { cost } : {}),
  }
}

async function makeRollbackPlan(session: Session, options: PlanOptions): Promise<Planned> {
  const { target, desired, region, clients } = session
  if (session.offline) throw needsCredentials('rollback reads the deploy history from AWS')
  let history: unknown
  try {
    history = await target.rollback.observe({ clients, region, signal: options.signal }, desired)
  } catch (err) {
    throw translateAwsError(err, `reading the deploy history of ${desired.names.base}`)
  }
  const { account, partition } = history as { account?: string; partition?: string }
  const part = target.rollback.plan(desired, history, { region, account, partition, adopt: false }, options.to)
  return { plan: assemblePlan(session, options, part, history, account), observed: history, prepared: { artifacts: new Map() } }
}
