import { ExitCode, ShipitError } from '../errors.js'
import type { Reporter } from '../plan/execute.js'
import { executePlan, type StepResult } from '../plan/execute.js'
import { commitment } from '../plan/secrets.js'
import { type Artifact, forEachMarker, isArtifact, isSensitive, type Marker, type Plan, type PlanSummary, type Sensitive } from '../plan/types.js'
import type { Outputs } from '../targets/target.js'
import type { Planned } from './plan.js'
import type { Session } from './session.js'

export interface ApplyOutcome {
  app: string
  env: string
  target: string
  region: string
  account?: string
  command: Plan['command']
  status: 'applied' | 'no-changes'
  summary: PlanSummary
  steps: StepResult[]
  outputs: Outputs
}

interface ApplyOptions {
  reporter: Reporter
  signal?: AbortSignal
  timeoutSeconds: number
  /** --no-wait: skip the waits no later step needs (the rollout at the end) */
  noWait?: boolean
  /** test hook: the pause between propagation retries (see ExecuteContext.sleep) */
  sleep?: (ms: number) => Promise<void>
  /** given each step's answer, by step id, once all ran (`shipit move` binds its record switch to them); never printed */
  stepAnswers?: (answers: Record<string, Record<string, unknown>>) => void
}

/** Apply `plan` (fresh, or saved and checked) using what `planned` prepared. */
export async function applyPlan(session: Session, planned: Planned, plan: Plan, options: ApplyOptions): Promise<ApplyOutcome> {
  if (plan.offline) throw new ShipitError('OfflinePlan', 'an offline plan cannot be applied', { exitCode: ExitCode.Failure, source: 'user' })
  if (plan.blocked.length) {
    throw new ShipitError(
      'Blocked',
      // the reasons are in the plan shown above (and in details for --json): named here, not said twice
      `this plan cannot be applied; nothing was changed: blocked by ${plan.blocked.map((b) => `${b.resource.type} ${b.resource.name}`).join(', ')}`,
      {
        exitCode: ExitCode.Failure,
        source: 'user',
        details: { blocked: plan.blocked },
      },
    )
  }
  const base = {
    app: plan.app,
    env: plan.env,
    target: plan.target,
    region: plan.region,
    ...(plan.account ? { account: plan.account } : {}),
    command: plan.command,
    summary: plan.summary,
  }
  if (plan.steps.length === 0) {
    return { ...base, status: 'no-changes', steps: [], outputs: session.target.outputs(session.desired, planned.observed) }
  }
  const artifact = async (a: Artifact) => {
    const prepared = [...planned.prepared.artifacts.values()].find((p) => p.artifact.source === a.source)
    if (!prepared || prepared.artifact.sha256 !== a.sha256) {
      throw new ShipitError('StalePlan', `the files in ${a.source} changed since the plan was made`, {
        exitCode: ExitCode.StalePlan,
        source: 'user',
        suggestions: ['make the plan again'],
      })
    }
    return prepared.bytes
  }
  const sensitive = (s: Sensitive) => {
    const v = session.desired.environment[s.sensitive]
    if (!v || commitment(plan.salt, plan.kdf, s.sensitive, v.value) !== s.sha256) {
      throw new ShipitError('StalePlan', `the secret value of ${s.sensitive} changed since the plan was made`, {
        exitCode: ExitCode.StalePlan,
        source: 'user',
        suggestions: ['make the plan again'],
      })
    }
    return v.value
  }
  // every artifact and secret the plan needs is checked before the first call: a stale plan changes nothing
  const markers: Marker[] = []
  for (const step of plan.steps) forEachMarker(step.request.input, (m) => markers.push(m))
  for (const m of markers) {
    if (isArtifact(m)) await artifact(m)
    else if (isSensitive(m)) sensitive(m)
  }
  // the container CLI a build needs is checked before the first AWS change, too
  const local = await session.target.localOperations(plan.steps, options.signal)
  const result = await executePlan(plan, {
    clients: session.clients,
    reporter: options.reporter,
    signal: options.signal,
    timeoutSeconds: options.timeoutSeconds,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    catalogue: session.target.catalogue,
    noWait: options.noWait,
    ...(local ? { local } : {}),
    artifact,
    sensitive,
  })
  if (!result.ok) {
    const label = (id: string) => {
      const s = plan.steps.find((x) => x.id === id)
      return s ? `${s.action} ${s.resource.type} ${s.resource.name}` : id
    }
    const done = result.results.filter((r) => r.status === 'done').map((r) => label(r.id))
    const failed = result.results.filter((r) => r.status === 'failed')
    const notDone = result.results.filter((r) => r.status === 'not-started').map((r) => label(r.id))
    const lines = [
      result.interrupted ? `${plan.command} interrupted` : `${plan.command} failed at ${failed.map((f) => label(f.id)).join(', ')}`,
      ...(result.error && !result.interrupted ? [`  ${result.error.message}`] : []),
      `  done (${done.length}): ${done.join('; ') || 'nothing'}`,
      `  not done (${notDone.length + failed.length}): ${[...failed.map((f) => label(f.id)), ...notDone].join('; ') || 'nothing'}`,
    ]
    throw new ShipitError(result.interrupted ? 'Interrupted' : (result.error?.code ?? 'ApplyFailed'), lines.join('\n'), {
      exitCode: result.interrupted ? ExitCode.Interrupted : ExitCode.Failure,
      source: result.error?.source ?? 'aws',
      suggestions: [...(result.error?.suggestions ?? []), `run the same command again: shipit plans from what is live and finishes the rest`],
      details: { ...((result.error?.details as Record<string, unknown> | undefined) ?? {}), steps: result.results },
    })
  }
  options.stepAnswers?.(result.outputs)
  // a rollback observed history, not resources: its outputs come from what the steps returned
  const observed = plan.command === 'rollback' ? session.target.nothing(session.desired) : planned.observed
  const outputs = session.target.outputs(session.desired, observed, result.outputs)
  if (plan.command === 'deploy') {
    Object.assign(outputs, await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed).catch(() => ({})))
  }
  return { ...base, status: 'applied', steps: result.results, outputs }
}
