import { ManifestError } from '../manifest/load.js'
import { resolveDesired } from '../manifest/resolve.js'
import { TARGETS, type TargetName } from '../manifest/schema.js'
import { loadTarget } from '../targets/index.js'
import type { Outputs } from '../targets/target.js'
import { observe } from './plan.js'
import type { Session } from './session.js'

/** What is live of the app on one target. */
export interface TargetStatus {
  target: TargetName
  /** the manifest's own target (or --target's) */
  default: boolean
  deployed: boolean
  outputs: Outputs
}

/** The targets app.yaml can be deployed to: those its rules accept (the session's is one of them). */
function supportedTargets(session: Session): TargetName[] {
  const loaded = session.loaded
  if (!loaded) return [session.desired.target]
  return TARGETS.filter((t) => {
    if (t === session.desired.target) return true
    try {
      loaded.forTarget(t)
      return true
    } catch (err) {
      if (err instanceof ManifestError) return false
      throw err
    }
  })
}

/** One target's view through the session's clients: its Desired and its code. */
async function sessionFor(session: Session, target: TargetName): Promise<Session> {
  if (target === session.desired.target) return session
  const loaded = session.loaded?.forTarget(target)
  if (!loaded) throw new Error(`no manifest to read ${target} from`)
  return { ...session, desired: resolveDesired(loaded, { env: session.desired.env, target }), target: await loadTarget(target) }
}

async function statusOf(session: Session, isDefault: boolean): Promise<TargetStatus & { as?: TargetName }> {
  const observed = await observe(session)
  const outputs = {
    ...session.target.outputs(session.desired, observed),
    ...(await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed)),
  }
  const deployed = session.target.deployed(observed)
  const as = deployed ? session.target.deployedAs?.(observed) : undefined
  return { target: session.desired.target, default: isDefault, deployed, outputs, ...(as ? { as } : {}) }
}

/**
 * What is live on every target app.yaml supports, the session's first. fargate and ecs read the same
 * names (one cluster, one task family): they are read once, as the session's or fargate, and the
 * tags of what is live say which of the two made it. A target other than the session's that cannot be
 * read is told to `unreadable` and left out.
 */
export async function statusOfTargets(session: Session, unreadable: (target: TargetName, err: Error) => void = () => {}): Promise<TargetStatus[]> {
  const primary = session.desired.target
  const supported = supportedTargets(session)
  const containers: TargetName[] = supported.filter((t) => t === 'fargate' || t === 'ecs')
  const containerRead: TargetName | undefined = containers.includes(primary) ? primary : containers[0]
  const read = supported.filter((t) => (t === 'fargate' || t === 'ecs' ? t === containerRead : true))
  const statuses = await Promise.all(
    read.map(async (t) => {
      const reading = sessionFor(session, t).then((s) => statusOf(s, t === primary))
      if (t === primary) return reading
      // another target's reads may be denied to a deployer whose policy is for one target: said, not fatal
      return reading.catch((err: Error) => {
        unreadable(t, err)
        return undefined
      })
    }),
  )
  const out: TargetStatus[] = statuses
    .filter((s) => s !== undefined)
    .map(({ as, ...s }) =>
      // a deployment made by the other container target, read through this one: said as that target
      as && as !== s.target && supported.includes(as) ? { ...s, target: as, default: as === primary } : s,
    )
  return [...out.filter((s) => s.target === primary), ...out.filter((s) => s.target !== primary)]
}
