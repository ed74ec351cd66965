import type { AwsClients } from '../aws/clients.js'
import { type ApplyOutcome, applyPlan } from '../engine/apply.js'
import { type AppSession, checkNoComponentsNamed, makeAppPlan, oneComponent, openAppSession, prepareApp } from '../engine/components.js'
import { makePlan, type Planned, prepareLocal } from '../engine/plan.js'
import { loadForSession, openSession, type Session, type SessionOptions } from '../engine/session.js'
import { ExitCode, ShipitError } from '../errors.js'
import { DEFAULT_LOCK_TIMEOUT_SECONDS, type HeldLock, takeLock } from '../lock/lease.js'
import { heldLockNote } from '../lock/notice.js'
import type { LockScope } from '../lock/requests.js'
import { refuseUnwatchedRelease } from '../manifest/release.js'
import { renderText } from '../plan/render.js'
import { renderAppText } from '../plan/render-components.js'
import { renderRunbook } from '../plan/runbook.js'
import { writeRunbook } from '../plan/runbook-files.js'
import { checkSavedComponents, checkSavedPlan, readPlan, writePlan } from '../plan/saved.js'
import type { Plan } from '../plan/types.js'
import { colorEnabled } from '../ui/color.js'
import { appendStepSummary } from '../ui/github.js'
import { createReporter, outputMode } from '../ui/reporter.js'
import { confirmApply, requireConfirmable } from './confirm.js'
import { type Interrupt, interruptible } from './interrupt.js'
import { reportError } from './report-error.js'

/** The values of the AWS connection flags (awsFlags in flags.ts) every command that talks to AWS takes. */
export interface ConnectionFlags {
  region?: string
  profile?: string
  'endpoint-url'?: string
  'max-attempts': number
  'request-timeout': number
  'call-timeout'?: number
}

/** The flags a plan-then-apply command passes to the workflow. */
export interface WorkflowFlags extends ConnectionFlags {
  file?: string
  env?: string
  target?: string
  offline?: boolean
  adopt?: boolean
  'show-undeclared'?: boolean
  yes?: boolean
  timeout?: number
  /** seconds to wait for the deploy lock (apply only) */
  'lock-timeout'?: number
  json: boolean
  cli?: boolean
  out?: string
  plan?: string
  'dry-run'?: boolean
  /** false with --no-wait: no wait that nothing after it needs */
  wait?: boolean
  'detailed-exitcode'?: boolean
  /** rollback target */
  to?: string
  /** with components: the ones named as arguments (none: all) */
  components?: string[]
}

export interface WorkflowIo {
  out: (text: string) => void
  note: (text: string) => void
}

export type WorkflowResult = { kind: 'plan'; plan: Plan } | { kind: 'apply'; outcome: ApplyOutcome; plan: Plan }

/** `progress`: where retries and slow calls are told (stderr); none with --json. */
export function sessionOptions(flags: Omit<WorkflowFlags, 'json'>, mutates: boolean, progress?: (message: string) => void): SessionOptions {
  return {
    file: flags.file,
    env: flags.env,
    target: flags.target,
    region: flags.region,
    profile: flags.profile,
    endpoint: flags['endpoint-url'],
    offline: flags.offline,
    showUndeclared: flags['show-undeclared'],
    mutates,
    maxAttempts: flags['max-attempts'],
    requestTimeoutMs: flags['request-timeout'] * 1000,
    callTimeoutMs: flags['call-timeout'] === undefined ? undefined : flags['call-timeout'] * 1000,
    progress,
  }
}

/**
 * plan, deploy and destroy: plan (from live state), show, then — unless only planning — confirm and
 * apply. A saved plan (--plan) is applied only when a fresh plan finds the same live state.
 */
export async function planAndApply(
  command: 'deploy' | 'destroy' | 'rollback',
  flags: WorkflowFlags,
  planOnly: boolean,
  io: WorkflowIo,
): Promise<WorkflowResult> {
  const mode = outputMode(flags.json)
  // before the manifest's credentials, the network or any AWS call: a CI job without --yes fails at once
  if (!planOnly) requireConfirmable(Boolean(flags.yes), flags.json)
  const interrupt = interruptible((sig) => io.note(`\n${sig}: finishing the call in flight, then stopping…`))
  // until the apply starts only reads are in flight: a signal ends the command at once, with 130
  interrupt.readOnly((sig) =>
    reportError(new ShipitError('Interrupted', `${sig}: stopped before anything was changed`, { exitCode: ExitCode.Interrupted, source: 'user' }), {
      json: flags.json,
      debug: false,
    }),
  )
  let session: Awaited<ReturnType<typeof openSession>> | undefined
  let lock: HeldLock | undefined
  try {
    // only deploy creates: destroy and rollback still work for a function whose runtime Lambda now refuses to create
    const options = { ...sessionOptions(flags, !planOnly, io.note), existingOnly: command !== 'deploy' }
    const opened = await openForCommand(options, command, planOnly, flags.components ?? [])
    session = opened.session
    const app = opened.app
    // a gradual release is watched by the deploy that starts it: --no-wait cannot hand it over
    if (command === 'deploy' && !planOnly && flags.wait === false) {
      for (const c of app?.components ?? [{ session }]) refuseUnwatchedRelease(c.session.desired)
    }
    if (session.offline && session.offlineReason !== '--offline') io.note('no AWS credentials configured: planning offline, everything is planned as new')
    const saved = flags.plan ? await readPlan(flags.plan) : undefined
    const scope = { app: session.desired.app, env: session.desired.env }
    // bad local input (a source reaching outside the app) is refused before any AWS call, the lock's included
    const build = planOnly || app ? undefined : await prepareLocal(session, command, interrupt.signal)
    const builds = !planOnly && app ? await prepareApp(app, command, interrupt.signal) : undefined
    // the lock comes before the first read the plan is made from: a plan made while another run held it is never applied
    if (!planOnly) lock = await lockForApply(session.clients, scope, command, flags, io, interrupt)
    // a saved plan is made again with its salt and its time, so that salted secrets and client tokens compare equal
    const again = saved ? { salt: saved.salt, kdf: saved.kdf, now: () => new Date(saved.createdAt) } : {}
    const planned = app
      ? await makeAppPlan(app, { command, adopt: flags.adopt, signal: interrupt.signal, ...(builds ? { builds } : {}), ...again })
      : await makePlan(session, { command, adopt: flags.adopt, to: flags.to, signal: interrupt.signal, ...(build ? { build } : {}), ...again })
    // a saved plan is verified against the plan made now (same steps) and the plan made now is applied
    if (saved) checkSavedComponents(saved, planned.plan)
    if (saved) checkSavedPlan(saved, planned.plan)
    const plan = planned.plan
    const show = planOnly ? io.out : io.note
    // the plan goes to stdout when planning and to stderr before an apply: colour as that stream allows
    const color = !flags.json && colorEnabled(planOnly ? process.stdout : process.stderr)
    // --cli --out DIR writes the runbook and its package into DIR, and shows the plan as without --cli
    if (flags.cli && !flags.out) show(renderRunbook(plan, { catalogue: session.target.catalogue }))
    else show(plan.components ? renderAppText(plan, { color }) : renderText(plan, { color }))
    if (!flags.json) appendStepSummary(plan)
    // plan never takes the lock: one GetItem once the plan is made (not beside its reads, whose timing it would disturb)
    const note = planOnly && !session.offline ? await heldLockNote(session.clients, scope, interrupt.signal) : undefined
    if (note) io.note(note)
    if (flags.out) await writeOut(flags.out, { command, flags, plan, planned, session, io })
    if (planOnly) {
      // a plan that cannot be applied is a failure, not "changes": a pull-request check must not pass what deploy refuses
      if (plan.blocked.length) {
        io.note(`this plan cannot be applied: ${plan.blocked.length} blocked (see why above)`)
        process.exitCode = ExitCode.Failure
      } else if (flags['detailed-exitcode'] && plan.steps.length > 0) process.exitCode = ExitCode.Changes
      return { kind: 'plan', plan }
    }
    if (plan.steps.length && !plan.blocked.length) {
      const ok = await confirmApply(confirmQuestion(command, plan), Boolean(flags.yes), flags.json, interrupt.signal)
      if (!ok) throw new ShipitError('Cancelled', 'cancelled; nothing was changed', { exitCode: ExitCode.Failure, source: 'user' })
    }
    const reporter = createReporter(mode)
    interrupt.readOnly(undefined)
    session.progress.write = (message) => reporter.info(message)
    try {
      const outcome = await applyPlan(session, planned, plan, {
        reporter,
        // a lost lock stops the apply like a signal: no new step starts
        signal: lock ? AbortSignal.any([interrupt.signal, lock.lost]) : interrupt.signal,
        timeoutSeconds: flags.timeout ?? 900,
        noWait: flags.wait === false,
      })
      return { kind: 'apply', outcome, plan }
    } catch (err) {
      throw lock?.lost.aborted ? lockLost(lock, err) : err
    } finally {
      reporter.close()
    }
  } finally {
    interrupt.onExit(undefined)
    await lock?.release().catch((err: Error) => io.note(`warning: ${err.message}`))
    interrupt.dispose()
    session?.clients.destroy()
  }
}

/** --out DIR: the runbook and its package (with --cli), or the saved plan, and how to use what was written. */
async function writeOut(
  out: string,
  { command, flags, plan, planned, session, io }: { command: string; flags: WorkflowFlags; plan: Plan; planned: Planned; session: Session; io: WorkflowIo },
): Promise<void> {
  if (flags.cli) {
    const written = await writeRunbook(out, plan, planned.prepared.artifacts, session.target.catalogue)
    io.note(`Wrote ${written.join(' and ')}; run it with: bash ${written[0]}`)
    return
  }
  await writePlan(out, plan)
  io.note(`Saved the plan to ${out}; apply it with: shipit ${command} --plan ${out}${flags.env ? ` --env ${flags.env}` : ''} --target ${plan.target}`)
}

/**
 * The session a command works in: an app of one as before; with components, the app as one session
 * (rollback: exactly one component, which is then an app of its own).
 */
async function openForCommand(
  options: SessionOptions,
  command: 'deploy' | 'destroy' | 'rollback',
  planOnly: boolean,
  named: string[],
): Promise<{ session: Session; app?: AppSession }> {
  const loaded = await loadForSession(options)
  if (!loaded.components) {
    checkNoComponentsNamed(loaded.manifest.name, named)
    return { session: await openSession(options, loaded) }
  }
  if (command === 'rollback') {
    const one = oneComponent(
      loaded.components.map((c) => c.name),
      named,
      'rollback',
    )
    const app = await openAppSession(options, loaded, [one], 'rollback')
    return { session: app.components[0].session }
  }
  const app = await openAppSession(options, loaded, named, planOnly && command === 'deploy' ? 'plan' : command)
  return { session: app.session, app }
}

/** The deploy lock, released on the way out, and before the exit of a signal while only reading. */
export async function lockForApply(
  clients: AwsClients,
  scope: LockScope,
  command: string,
  flags: WorkflowFlags,
  io: WorkflowIo,
  interrupt: Interrupt,
): Promise<HeldLock> {
  const timeoutSeconds = flags['lock-timeout'] ?? DEFAULT_LOCK_TIMEOUT_SECONDS
  const lock = await takeLock(clients, { scope, command, timeoutSeconds, signal: interrupt.signal, progress: io.note })
  interrupt.onExit(lock.release)
  return lock
}

function lockLost(lock: HeldLock, err: unknown): ShipitError {
  const what = err instanceof Error ? `\n${err.message}` : ''
  return new ShipitError('LockLost', `the deploy lock was lost: ${lock.lostReason()}; stopped after the call in flight${what}`, {
    exitCode: ExitCode.Failure,
    source: 'aws',
    suggestions: ['run the same command again once the other run is done: it plans from what is live'],
  })
}

/** The question asked on a terminal before an apply (the plan was shown just above it). */
export function confirmQuestion(command: 'deploy' | 'destroy' | 'rollback', plan: Pick<Plan, 'app' | 'env' | 'region'>): string {
  const where = `${plan.app} (${plan.env}) in ${plan.region}`
  if (command === 'destroy') return `Destroy ${where}, deleting what is listed above?`
  if (command === 'rollback') return `Roll back ${where} as shown above?`
  return `Apply these changes to ${where}?`
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The lines a person reads after an apply: what happened and where the app is. */
export function renderOutcome(outcome: ApplyOutcome): string {
  const lines: string[] = []
  if (outcome.status === 'no-changes') lines.push(`No changes: ${outcome.app} (${outcome.env}) is up to date.`)
  else
    lines.push(
      `${{ deploy: 'Deployed', destroy: 'Destroyed', rollback: 'Rolled back', run: 'Ran' }[outcome.command]} ${outcome.app} (${outcome.env}) on ${outcome.target} in ${outcome.region}: ${plural(outcome.steps.length, 'step')}.`,
    )
  if (outcome.command !== 'destroy') {
    for (const [k, v] of Object.entries(outcome.outputs)) if (v !== undefined) lines.push(`${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
  }
  return lines.join('\n')
}
