import { type ApplyOutcome, applyPlan } from '../engine/apply.js'
import { makePlan } from '../engine/plan.js'
import { openSession, type SessionOptions } from '../engine/session.js'
import { ExitCode, ShipitError } from '../errors.js'
import { renderText } from '../plan/render.js'
import { renderRunbook } from '../plan/runbook.js'
import { writeRunbook } from '../plan/runbook-files.js'
import { checkSavedPlan, readPlan, writePlan } from '../plan/saved.js'
import type { Plan } from '../plan/types.js'
import { colorEnabled } from '../ui/color.js'
import { appendStepSummary } from '../ui/github.js'
import { createReporter, outputMode } from '../ui/reporter.js'
import { confirmApply, requireConfirmable } from './confirm.js'
import { interruptible } from './interrupt.js'
import { reportError } from './report-error.js'

/** The flags a plan-then-apply command passes to the workflow. */
export interface WorkflowFlags {
  file?: string
  env?: string
  target?: string
  region?: string
  profile?: string
  'endpoint-url'?: string
  'max-attempts': number
  'request-timeout': number
  'call-timeout'?: number
  offline?: boolean
  adopt?: boolean
  'show-undeclared'?: boolean
  yes?: boolean
  timeout?: number
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
  try {
    // only deploy creates: destroy and rollback still work for a function whose runtime Lambda now refuses to create
    session = await openSession({ ...sessionOptions(flags, !planOnly, io.note), existingOnly: command !== 'deploy' })
    if (session.offline && session.offlineReason !== '--offline') io.note('no AWS credentials configured: planning offline, everything is planned as new')
    const saved = flags.plan ? await readPlan(flags.plan) : undefined
    // a saved plan is made again with its salt and its time, so that salted secrets and client tokens compare equal
    const planned = await makePlan(session, {
      command,
      adopt: flags.adopt,
      to: flags.to,
      signal: interrupt.signal,
      ...(saved ? { salt: saved.salt, kdf: saved.kdf, now: () => new Date(saved.createdAt) } : {}),
    })
    // a saved plan is verified against the plan made now (same steps) and the plan made now is applied
    if (saved) checkSavedPlan(saved, planned.plan)
    const plan = planned.plan
    const show = planOnly ? io.out : io.note
    // the plan goes to stdout when planning and to stderr before an apply: colour as that stream allows
    const color = !flags.json && colorEnabled(planOnly ? process.stdout : process.stderr)
    // --cli --out DIR writes the runbook and its package into DIR, and shows the plan as without --cli
    if (flags.cli && !flags.out) show(renderRunbook(plan, { otherServices: session.target.runbookSteps }))
    else show(renderText(plan, { color }))
    if (!flags.json) appendStepSummary(plan)
    if (flags.cli && flags.out) {
      const written = await writeRunbook(flags.out, plan, planned.prepared, session.target.runbookSteps)
      io.note(`Wrote ${written.join(' and ')}; run it with: bash ${written[0]}`)
    } else if (flags.out) {
      await writePlan(flags.out, plan)
      io.note(
        `Saved the plan to ${flags.out}; apply it with: shipit ${command} --plan ${flags.out}${flags.env ? ` --env ${flags.env}` : ''} --target ${plan.target}`,
      )
    }
    if (planOnly) {
      // a plan that cannot be applied is a failure, not "changes": a pull-request check must not pass what deploy refuses
      if (plan.blocked.length) {
        io.note(`this plan cannot be applied: ${plan.blocked.length} blocked (see why above)`)
        process.exitCode = ExitCode.Failure
      } else if (flags['detailed-exitcode'] && plan.steps.length > 0) process.exitCode = ExitCode.Changes
      return { kind: 'plan', plan }
    }
    if (plan.steps.length && !plan.blocked.length) {
      const ok = await confirmApply(
        `${command === 'destroy' ? 'Destroy' : command === 'rollback' ? 'Roll back' : 'Apply'} these changes to ${plan.app} (${plan.env}) in ${plan.region}?`,
        Boolean(flags.yes),
        flags.json,
        interrupt.signal,
      )
      if (!ok) throw new ShipitError('Cancelled', 'cancelled; nothing was changed', { exitCode: ExitCode.Failure, source: 'user' })
    }
    const reporter = createReporter(mode)
    interrupt.readOnly(undefined)
    session.progress.write = (message) => reporter.info(message)
    try {
      const outcome = await applyPlan(session, planned, plan, {
        reporter,
        signal: interrupt.signal,
        timeoutSeconds: flags.timeout ?? 900,
        noWait: flags.wait === false,
      })
      return { kind: 'apply', outcome, plan }
    } finally {
      reporter.close()
    }
  } finally {
    interrupt.dispose()
    session?.clients.destroy()
  }
}

/** The lines a person reads after an apply: what happened and where the app is. */
export function renderOutcome(outcome: ApplyOutcome): string {
  const lines: string[] = []
  if (outcome.status === 'no-changes') lines.push(`No changes: ${outcome.app} (${outcome.env}) is up to date.`)
  else
    lines.push(
      `${{ deploy: 'Deployed', destroy: 'Destroyed', rollback: 'Rolled back', run: 'Ran' }[outcome.command]} ${outcome.app} (${outcome.env}) on ${outcome.target} in ${outcome.region}: ${outcome.steps.length} steps.`,
    )
  if (outcome.command !== 'destroy') {
    for (const [k, v] of Object.entries(outcome.outputs)) if (v !== undefined) lines.push(`${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
  }
  return lines.join('\n')
}
