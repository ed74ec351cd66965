import { needsCredentials } from '../aws/credentials.js'
import { type ApplyOutcome, applyPlan } from '../engine/apply.js'
import { type HealthCheckResult, healthProbe, healthUrl, waitUntilHealthy } from '../engine/health-check.js'
import { boundSwitch, type MovePlan, moveCost, moveHeader, moveInterlude, splitSwitch, switchTargets, withoutShared } from '../engine/move.js'
import { makePlan, type Planned, prepareLocal } from '../engine/plan.js'
import { openSession, type Session } from '../engine/session.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import type { HeldLock } from '../lock/lease.js'
import type { TargetName } from '../manifest/schema.js'
import { renderText } from '../plan/render.js'
import { colorEnabled } from '../ui/color.js'
import { createReporter, outputMode } from '../ui/reporter.js'
import { confirmApply, requireConfirmable } from './confirm.js'
import { interruptible } from './interrupt.js'
import { reportError } from './report-error.js'
import { lockForApply, sessionOptions, type WorkflowFlags, type WorkflowIo } from './workflow.js'

interface MoveFlags extends Omit<WorkflowFlags, 'target' | 'to' | 'plan' | 'out' | 'cli' | 'detailed-exitcode' | 'offline'> {
  from: TargetName
  to: TargetName
  /** false with --no-check */
  check: boolean
  'check-timeout': number
}

export type MoveResult =
  | { kind: 'plan'; move: MovePlan }
  | {
      kind: 'moved'
      move: MovePlan
      deployed: ApplyOutcome
      check?: HealthCheckResult
      /** with a domain: the alias records pointed at the new target */
      switched?: ApplyOutcome
      destroyed: ApplyOutcome
      /** with a domain, `to` is the name's URL and `aws` the new target's own */
      urls: { from?: string; to?: string; aws?: string }
    }

interface Sides {
  to: Session
  from: Session
}

/**
 * `shipit move`: one plan (deploy the new target, destroy the old one), one confirmation, one lock;
 * the old target is destroyed only after the new one's URL answered, and never after a signal.
 */
export async function moveApp(flags: MoveFlags, io: WorkflowIo): Promise<MoveResult> {
  if (flags.from === flags.to) {
    throw invalid('SameTarget', `--from and --to are both ${flags.to}: nothing to move`, [
      'to change what runs on one target: shipit deploy --target ' + flags.to,
    ])
  }
  const planOnly = Boolean(flags['dry-run'])
  if (!planOnly) requireConfirmable(Boolean(flags.yes), flags.json)
  const interrupt = interruptible((sig) => io.note(`\n${sig}: finishing the call in flight, then stopping; ${flags.from} is not destroyed`))
  interrupt.readOnly((sig) =>
    reportError(new ShipitError('Interrupted', `${sig}: stopped before anything was changed`, { exitCode: ExitCode.Interrupted, source: 'user' }), {
      json: flags.json,
      debug: false,
    }),
  )
  let sides: Sides | undefined
  let lock: HeldLock | undefined
  try {
    sides = await openSides(flags, planOnly, io)
    const { to, from } = sides
    const scope = { app: to.desired.app, env: to.desired.env }
    // bad local input (a build context outside the app) is refused before any AWS call, the lock's included
    const build = planOnly ? undefined : await prepareLocal(to, 'deploy', interrupt.signal)
    if (!planOnly) lock = await lockForApply(to.clients, scope, 'move', { ...flags, target: flags.to }, io, interrupt)
    const [deploy, destroy] = await Promise.all([
      makePlan(to, { command: 'deploy', adopt: flags.adopt, signal: interrupt.signal, ...(build ? { build } : {}) }),
      makePlan(from, { command: 'destroy', signal: interrupt.signal }),
    ])
    refuseWhenNotOnFrom(sides, deploy, destroy, flags)
    const move = movePlanOf(sides, deploy, destroy, flags)
    showMove(move, flags, planOnly ? io.out : io.note)
    if (planOnly) return { kind: 'plan', move }
    const ok = await confirmApply(
      `Move ${move.deploy.app} (${move.deploy.env}) from ${flags.from} to ${flags.to} as shown above?`,
      Boolean(flags.yes),
      flags.json,
      interrupt.signal,
    )
    if (!ok) throw new ShipitError('Cancelled', 'cancelled; nothing was changed', { exitCode: ExitCode.Failure, source: 'user' })
    interrupt.readOnly(undefined)
    const signal = lock ? AbortSignal.any([interrupt.signal, lock.lost]) : interrupt.signal
    return await applyMove(sides, { move, deploy, destroy }, flags, io, signal)
  } finally {
    interrupt.onExit(undefined)
    await lock?.release().catch((err: Error) => io.note(`warning: ${err.message}`))
    interrupt.dispose()
    sides?.to.clients.destroy()
  }
}

/** Both targets' sessions over one set of clients: the manifest is validated for each (exit 3 at its line:col). */
async function openSides(flags: MoveFlags, planOnly: boolean, io: WorkflowIo): Promise<Sides> {
  const to = await openSession(sessionOptions({ ...flags, target: flags.to }, !planOnly, io.note))
  let from: Session
  try {
    from = await openSession({ ...sessionOptions({ ...flags, target: flags.from }, !planOnly, io.note), existingOnly: true })
  } catch (err) {
    to.clients.destroy()
    throw err
  }
  from.clients.destroy()
  if (to.offline) {
    to.clients.destroy()
    throw needsCredentials(`move reads what is live on ${flags.from} and ${flags.to}`)
  }
  return { to, from: { ...from, clients: to.clients } }
}

function refuseWhenNotOnFrom({ to, from }: Sides, deploy: Planned, destroy: Planned, flags: MoveFlags): void {
  if (from.target.deployed(destroy.observed)) return
  const { app, env } = from.desired
  const envFlag = env === 'dev' ? '' : ` --env ${env}`
  const onTo = to.target.deployed(deploy.observed)
  throw new ShipitError('NotDeployed', `${app} (${env}) is not deployed on ${flags.from} in ${from.region}: nothing to move`, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: onTo
      ? [`it is on ${flags.to} already (shipit status${envFlag}): the move may be done`]
      : [`deploy it where it should run: shipit deploy --target ${flags.to}${envFlag}`],
  })
}

function movePlanOf({ to, from }: Sides, deploy: Planned, destroy: Planned, flags: MoveFlags): MovePlan {
  const destroyPlan = withoutShared(destroy.plan, deploy.plan)
  // the health path is the container's (the load balancer's check); a function answers it at / otherwise
  const container = to.desired.target === 'lambda' ? (from.desired.target === 'lambda' ? undefined : from.desired.container) : to.desired.container
  const cost = moveCost(deploy.plan, destroyPlan)
  // the records the deploy would point at the new target wait for its check (they are left out of the destroy above, too)
  const split = splitSwitch(deploy.plan)
  return {
    from: flags.from,
    to: flags.to,
    deploy: split.deploy,
    ...(split.switch ? { switch: split.switch } : {}),
    destroy: destroyPlan,
    healthPath: container?.healthCheckPath ?? '/',
    ...(cost ? { cost } : {}),
  }
}

function showMove(move: MovePlan, flags: MoveFlags, show: (text: string) => void): void {
  const color = !flags.json && colorEnabled(flags['dry-run'] ? process.stdout : process.stderr)
  show(
    [
      moveHeader(move),
      renderText(move.deploy, { color }),
      moveInterlude(move, flags.check),
      ...(move.switch ? [renderText(move.switch, { color }), `── then, a minute later (resolvers' caches): destroy ${move.from} ──\n`] : []),
      move.destroy.steps.length ? renderText(move.destroy, { color }) : `Nothing of ${move.from} to destroy.`,
    ].join('\n'),
  )
}

async function applyMove(
  { to, from }: Sides,
  planned: { move: MovePlan; deploy: Planned; destroy: Planned },
  flags: MoveFlags,
  io: WorkflowIo,
  signal: AbortSignal,
): Promise<MoveResult> {
  const { move } = planned
  const timeoutSeconds = flags.timeout ?? 900
  // with a domain, the old target's own URL (the name is the new target's after the move)
  const fromUrl = awsUrlOf(from.target.outputs(from.desired, planned.destroy.observed))
  let answers: Record<string, Record<string, unknown>> = {}
  const deployed = await applyWithReporter(flags, (reporter) =>
    applyPlan(to, planned.deploy, move.deploy, { reporter, signal, timeoutSeconds, stepAnswers: (a) => (answers = a) }).catch((err: unknown) => {
      // a deploy that failed or was stopped leaves the old target as it was: said first
      if (err instanceof ShipitError) err.suggestions.unshift(`${move.from} was not touched: it still serves`)
      throw err
    }),
  )
  const toUrl = awsUrlOf(deployed.outputs)
  const switchPlan = move.switch ? boundSwitch(move.switch, answers) : undefined
  const names = switchPlan ? `, and ${namesOf(switchPlan)} still point at it` : ''
  io.note(`${flags.to}: ${toUrl ?? 'no URL'}${fromUrl ? `\n${flags.from}: ${fromUrl} (still serving${names})` : ''}`)
  let check: HealthCheckResult | undefined
  if (flags.check) {
    check = await checkNewTarget(move, toUrl, flags, io, signal)
    // the names asked at the endpoint that will answer for them, before the records point there
    for (const { name, via } of switchPlan ? switchTargets(switchPlan) : []) {
      await checkNewTarget(move, `https://${name}/`, flags, io, signal, { via, status: check.status })
    }
  } else io.note(`not checked (--no-check): ${flags.to} was not asked whether it answers before ${flags.from} is destroyed`)
  // a signal that came after the check answered still stops here: the old target is never destroyed after one
  if (signal.aborted) throw stoppedBeforeDestroy(move, toUrl, 'interrupted')
  const switched = switchPlan ? await switchRecords(to, planned.deploy, switchPlan, move, flags, io, signal) : undefined
  const destroyed = await applyWithReporter(flags, (reporter) =>
    applyPlan(from, planned.destroy, move.destroy, { reporter, signal, timeoutSeconds }).catch((err: unknown) => {
      throw withRetryHint(err, move)
    }),
  )
  const domainUrl = switched ? urlOf(deployed.outputs) : undefined
  return {
    kind: 'moved',
    move,
    deployed,
    ...(check ? { check } : {}),
    ...(switched ? { switched } : {}),
    destroyed,
    urls: { ...(fromUrl ? { from: fromUrl } : {}), ...(domainUrl ? { to: domainUrl, aws: toUrl } : toUrl ? { to: toUrl } : {}) },
  }
}

/** How long resolvers may still send clients to the old target after the switch: the alias records' TTL (that of the load balancer's and API Gateway's names). */
export const DNS_DRAIN_MS = 60_000

/** The alias records pointed at the new target, then a minute for resolvers' caches before the old target goes. */
async function switchRecords(
  to: Session,
  planned: Planned,
  plan: MovePlan['deploy'],
  move: MovePlan,
  flags: MoveFlags,
  io: WorkflowIo,
  signal: AbortSignal,
): Promise<ApplyOutcome> {
  const timeoutSeconds = flags.timeout ?? 900
  const switched = await applyWithReporter(flags, (reporter) =>
    applyPlan(to, planned, plan, { reporter, signal, timeoutSeconds }).catch((err: unknown) => {
      throw switchFailed(err, move)
    }),
  )
  io.note(`${namesOf(plan)} now point at ${move.to}; ${move.from} serves ${DNS_DRAIN_MS / 1000}s more, while resolvers' caches expire`)
  await healthProbe.sleep(DNS_DRAIN_MS, signal).catch(() => {
    throw stoppedBeforeDestroy(move, undefined, 'interrupted')
  })
  return switched
}

const namesOf = (plan: MovePlan['deploy']) =>
  switchTargets(plan)
    .map((t) => t.name)
    .join(', ')

/** A record batch is applied whole: a name the switch did not reach still points at the old target, which still serves. */
function switchFailed(err: unknown, move: MovePlan): unknown {
  if (!(err instanceof ShipitError)) return err
  const env = move.deploy.env === 'dev' ? '' : ` --env ${move.deploy.env}`
  err.suggestions.unshift(
    `${move.from} was not touched: it still serves the names not switched`,
    `switch the rest and finish: shipit move --from ${move.from} --to ${move.to}${env}`,
  )
  return err
}

async function applyWithReporter(flags: MoveFlags, apply: (reporter: ReturnType<typeof createReporter>) => Promise<ApplyOutcome>): Promise<ApplyOutcome> {
  const reporter = createReporter(outputMode(flags.json))
  try {
    return await apply(reporter)
  } finally {
    reporter.close()
  }
}

async function checkNewTarget(
  move: MovePlan,
  url: string | undefined,
  flags: MoveFlags,
  io: WorkflowIo,
  signal: AbortSignal,
  at?: { via: string; status: number },
): Promise<HealthCheckResult> {
  if (!url) throw stoppedBeforeDestroy(move, url, `${move.to} has no URL to check (does app.yaml have http:?); pass --no-check to move without the check`)
  const target = healthUrl(url, move.healthPath)
  io.note(`checking ${target}${at ? ` at ${at.via} (as the domain's records will point)` : ''} (up to ${flags['check-timeout']}s)…`)
  try {
    const result = await waitUntilHealthy(target, { timeoutMs: flags['check-timeout'] * 1000, signal, progress: io.note, ...(at ?? {}) })
    io.note(`${target}: ${result.status} after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`)
    return result
  } catch (err) {
    if (signal.aborted) throw stoppedBeforeDestroy(move, url, 'interrupted')
    throw stoppedBeforeDestroy(move, url, (err as Error).message)
  }
}

/** The new target is deployed, the old one untouched: exit 1 (130 after a signal), with both ways on. */
function stoppedBeforeDestroy(move: MovePlan, url: string | undefined, why: string): ShipitError {
  const interrupted = why === 'interrupted'
  const env = move.deploy.env === 'dev' ? '' : ` --env ${move.deploy.env}`
  return new ShipitError(
    interrupted ? 'Interrupted' : 'MoveCheckFailed',
    [
      interrupted ? `move interrupted before ${move.from} was destroyed` : `${move.to} did not come up: ${why}`,
      `  ${move.from}: left as it was (not one call changed it); it still serves`,
      `  ${move.to}: deployed${url ? ` at ${url}` : ''}`,
    ].join('\n'),
    {
      exitCode: interrupted ? ExitCode.Interrupted : ExitCode.Failure,
      source: interrupted ? 'user' : 'aws',
      suggestions: [
        `see what ${move.to} says: shipit logs --target ${move.to}${env}`,
        `try again (the deploy changes nothing, the check runs again): shipit move --from ${move.from} --to ${move.to}${env}`,
        `or remove ${move.to}: shipit destroy --target ${move.to}${env}`,
      ],
      details: { from: move.from, to: move.to, url },
    },
  )
}

function withRetryHint(err: unknown, move: MovePlan): unknown {
  if (!(err instanceof ShipitError)) return err
  const env = move.deploy.env === 'dev' ? '' : ` --env ${move.deploy.env}`
  err.suggestions.push(`${move.to} is deployed and answered; finish removing ${move.from} with: shipit destroy --target ${move.from}${env}`)
  return err
}

function urlOf(outputs: Record<string, unknown>): string | undefined {
  return typeof outputs.url === 'string' ? outputs.url : undefined
}

/** AWS's URL of a target: with a domain, `url` is the name's (wherever it points) and AWS's is `awsUrl`. */
function awsUrlOf(outputs: Record<string, unknown>): string | undefined {
  return typeof outputs.awsUrl === 'string' ? outputs.awsUrl : urlOf(outputs)
}
