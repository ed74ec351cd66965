import { needsCredentials } from '../aws/credentials.js'
import { resolveRegion } from '../aws/region.js'
import { clock } from '../clock.js'
import { applyPlan } from '../engine/apply.js'
import { makePlan, type Planned } from '../engine/plan.js'
import { decide, desiredFromTags, findEnvironments, liveMonthlyCost, type PruneCandidate, type PruneRules } from '../engine/prune.js'
import type { Session } from '../engine/session.js'
import { clientsFor } from '../engine/session.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { takeLock } from '../lock/lease.js'
import { parseDuration } from '../manifest/environments.js'
import { AppName, EnvName } from '../manifest/schema.js'
import { renderText } from '../plan/render.js'
import { addCredentialsFromEnvironment } from '../redact.js'
import { loadTarget } from '../targets/index.js'
import { createReporter, outputMode } from '../ui/reporter.js'
import { confirmApply, requireConfirmable } from './confirm.js'
import { interruptible } from './interrupt.js'
import { reportError } from './report-error.js'
import type { ConnectionFlags, WorkflowIo } from './workflow.js'

interface PruneFlags extends ConnectionFlags {
  yes?: boolean
  timeout?: number
  json: boolean
  'dry-run'?: boolean
  'older-than'?: string
  app?: string
  env?: string
}

interface PrunedEnv extends PruneCandidate {
  /** at no traffic, sizes as live; absent when the region has no prices */
  monthlyUsd?: number
  /** in-use: a deploy of the env held its lock, so it is not abandoned and was left as it is (`error` says who held it) */
  status: 'kept' | 'due' | 'destroyed' | 'failed' | 'in-use'
  error?: string
}

export interface PruneResult {
  region: string
  now: string
  dryRun: boolean
  environments: PrunedEnv[]
}

/** Flags are checked before any AWS call: a mistake is exit 3 and nothing is read. */
function rulesOf(flags: PruneFlags): PruneRules {
  if (flags.env !== undefined && flags.app === undefined) {
    throw invalid('EnvNeedsApp', '--env names one env of one app: give --app too', ['e.g. shipit prune --app web --env staging'])
  }
  if (flags.app !== undefined && !AppName.safeParse(flags.app).success) throw invalid('InvalidApp', `--app ${JSON.stringify(flags.app)} is not an app name`, [])
  if (flags.env !== undefined && !EnvName.safeParse(flags.env).success)
    throw invalid('InvalidEnv', `--env ${JSON.stringify(flags.env)} is not an environment name`, [])
  const olderThanMs = flags['older-than'] === undefined ? undefined : parseDuration(flags['older-than'])
  if (flags['older-than'] !== undefined && olderThanMs === undefined) {
    throw invalid('InvalidDuration', `--older-than ${JSON.stringify(flags['older-than'])} is not a duration`, [
      'write a whole number of minutes, hours or days: 90m, 12h, 3d',
    ])
  }
  return {
    now: clock.now(),
    ...(olderThanMs === undefined ? {} : { olderThanMs }),
    ...(flags.app && flags.env ? { named: { app: flags.app, env: flags.env } } : {}),
  }
}

/** Find shipit's envs in the region, list them, and destroy the due ones (each as the destroy plan of that env). */
export async function runPrune(flags: PruneFlags, io: WorkflowIo): Promise<PruneResult> {
  const rules = rulesOf(flags)
  const dryRun = Boolean(flags['dry-run'])
  if (!dryRun) requireConfirmable(Boolean(flags.yes), flags.json)
  addCredentialsFromEnvironment()
  // awaited: resolving a region may read the shared config files
  const resolved = await resolveRegion({ flag: flags.region, profile: flags.profile })
  const progress = { write: flags.json ? () => {} : io.note }
  const clients = clientsFor(
    {
      profile: flags.profile,
      maxAttempts: flags['max-attempts'],
      requestTimeoutMs: flags['request-timeout'] * 1000,
      callTimeoutMs: flags['call-timeout'] === undefined ? undefined : flags['call-timeout'] * 1000,
    },
    resolved?.region,
    flags['endpoint-url'] ?? (process.env.AWS_ENDPOINT_URL || undefined),
    progress,
  )
  const interrupt = interruptible((sig) => io.note(`\n${sig}: finishing the call in flight, then stopping…`))
  // until the first destroy starts only reads are in flight: a signal ends the command at once, with 130
  interrupt.readOnly((sig) =>
    reportError(new ShipitError('Interrupted', `${sig}: stopped before anything was changed`, { exitCode: ExitCode.Interrupted, source: 'user' }), {
      json: flags.json,
      debug: false,
    }),
  )
  try {
    if ((await clients.credentialStatus()) === 'none') throw needsCredentials('prune reads the tags of the region')
    if (!resolved) throw invalid('NoRegion', 'no AWS region configured', ['pass --region, or set AWS_REGION (prune works on one region at a time)'])
    const region = resolved.region
    const found = (await findEnvironments(clients, flags.app, interrupt.signal)).map((env) => decide(env, rules))
    // each env's destroy plan is made (read-only) for every env: its cost, and for the due ones what is deleted
    const planned = await mapWithLimit(found, PLANS_AT_ONCE, (env) => planEnvDestroy(env, region, clients, progress, interrupt.signal))
    const environments: PrunedEnv[] = planned.map(({ env, monthlyUsd }) => ({
      ...env,
      ...(monthlyUsd === undefined ? {} : { monthlyUsd }),
      status: env.due ? 'due' : 'kept',
    }))
    const result: PruneResult = { region, now: rules.now.toISOString(), dryRun, environments }
    io.out(renderPruneTable(environments, region))
    const due = planned.filter((p) => p.env.due)
    if (!due.length) {
      io.note('nothing is due: no environment was destroyed')
      return result
    }
    if (dryRun) {
      for (const p of due) io.out(renderText(p.planned.plan, { color: false }))
      io.note(`--dry-run: ${due.length} environment(s) would be destroyed; nothing was changed`)
      return result
    }
    const names = due.map((p) => `${p.env.app} (${p.env.env}, ${p.env.target})`).join(', ')
    const ok = await confirmApply(`Destroy ${due.length} environment(s) in ${region}: ${names}?`, Boolean(flags.yes), flags.json, interrupt.signal)
    if (!ok) throw new ShipitError('Cancelled', 'cancelled; nothing was changed', { exitCode: ExitCode.Failure, source: 'user' })
    interrupt.readOnly(undefined)
    for (const p of due) {
      const entry = environments[planned.indexOf(p)]
      try {
        await destroyEnv(p, flags, io, interrupt.signal)
        entry.status = 'destroyed'
      } catch (err) {
        // an interrupt stops here: the envs not started are left as they are (status due)
        if (err instanceof ShipitError && err.exitCode === ExitCode.Interrupted) throw err
        if (err instanceof ShipitError && err.code === 'Locked') {
          entry.status = 'in-use'
          entry.error = `left as it is: a deploy holds its lock (${err.message})`
          io.note(`${p.env.app} (${p.env.env}): ${entry.error}`)
          continue
        }
        entry.status = 'failed'
        entry.error = (err as Error).message
      }
    }
    const failed = environments.filter((e) => e.status === 'failed')
    if (failed.length) {
      throw new ShipitError(
        'PruneFailed',
        `prune failed for ${failed.map((f) => `${f.app} (${f.env})`).join(', ')}:\n${failed.map((f) => `  ${f.error}`).join('\n')}`,
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
          suggestions: ['run shipit prune again: each destroy plans from what is still there'],
          details: result,
        },
      )
    }
    return result
  } finally {
    interrupt.dispose()
    clients.destroy()
  }
}

/** Envs read at once: each destroy plan is about ten reads, and a region with many previews must not be throttled. */
const PLANS_AT_ONCE = 4

async function mapWithLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

interface PlannedEnv {
  env: PruneCandidate
  session: Session
  planned: Planned
  monthlyUsd?: number
}

async function planEnvDestroy(
  env: PruneCandidate,
  region: string,
  clients: Session['clients'],
  progress: Session['progress'],
  signal: AbortSignal,
): Promise<PlannedEnv> {
  const desired = desiredFromTags(env, region)
  const session: Session = { desired, target: await loadTarget(desired.target), clients, region, regionFrom: 'prune', offline: false, warnings: [], progress }
  const planned = await makePlan(session, { command: 'destroy', signal })
  return { env, session, planned, monthlyUsd: liveMonthlyCost(desired, planned.observed, region) }
}

async function destroyEnv(p: PlannedEnv, flags: PruneFlags, io: WorkflowIo, signal: AbortSignal): Promise<void> {
  const { app, env } = p.env
  // a deploy of this env under way means it is not abandoned: the lock is taken without waiting, and
  // the destroy is planned again under it, so a deploy that ran since the listing is never undone by an older plan
  const lock = await takeLock(p.session.clients, { scope: { app, env }, command: 'prune', timeoutSeconds: 0, signal, progress: io.note })
  const reporter = createReporter(outputMode(flags.json))
  try {
    const planned = await makePlan(p.session, { command: 'destroy', signal })
    if (planned.plan.blocked.length)
      throw new ShipitError('Blocked', `${app} (${env}): the destroy plan is blocked`, { exitCode: ExitCode.Failure, source: 'user' })
    io.note(`destroying ${app} (${env}) on ${p.env.target}: ${planned.plan.steps.length} steps`)
    await applyPlan(p.session, planned, planned.plan, { reporter, signal, timeoutSeconds: flags.timeout ?? 900 })
  } finally {
    reporter.close()
    await lock.release()
  }
}

/** app / env / target / expiry / monthly cost, and what prune does with each. */
function renderPruneTable(envs: PrunedEnv[], region: string): string {
  if (!envs.length) return `No shipit environments in ${region}.`
  const rows = envs.map((e) => [
    e.app,
    e.env,
    e.target,
    e.expires ?? 'no ttl',
    e.monthlyUsd === undefined ? '?' : `$${e.monthlyUsd.toFixed(2)}`,
    e.due ? `destroy: ${e.due}` : `keep: ${e.kept ?? ''}`,
  ])
  const header = ['APP', 'ENV', 'TARGET', 'EXPIRES', 'MONTHLY', 'ACTION']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [`shipit environments in ${region} (monthly cost at no traffic, sizes as live):`, line(header), ...rows.map(line)].join('\n')
}
