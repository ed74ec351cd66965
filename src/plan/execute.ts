import { type AwsClients, DEFAULT_MAX_ATTEMPTS } from '../aws/clients.js'
import { awsErrorName, translateAwsError } from '../aws/errors.js'
import { runWait } from '../aws/waiters.js'
import { ExitCode, ShipitError } from '../errors.js'
import { type Catalogue, describe } from './catalogue.js'
import { answerLost, conflict, withToken } from './idempotency.js'
import {
  type Artifact,
  type AwsRequest,
  isArtifact,
  isKeyedByRef,
  isLocalRequest,
  isRef,
  isSensitive,
  type LocalRequest,
  type Plan,
  retryRules,
  type Sensitive,
  type Step,
} from './types.js'

/** Runs a step's local operation (a container build or push); what it returns is the step's output. Given by the target. */
export type LocalOperations = (request: LocalRequest, ctx: { clients: AwsClients; signal?: AbortSignal }) => Promise<Record<string, unknown>>

/** Progress of an apply, as the executor tells it; the UI decides how it looks (everything on stderr). */
export interface Reporter {
  stepStarted(step: Step): void
  stepWaiting?(step: Step, what: string): void
  stepDone(step: Step, ms: number): void
  stepFailed(step: Step, error: ShipitError, ms: number): void
  info(message: string): void
  warn(message: string): void
  /** stop any live display */
  close(): void
}

export interface ExecuteContext {
  clients: AwsClients
  reporter: Reporter
  /** the bytes of an artifact, checked against its sha256 */
  artifact: (a: Artifact) => Promise<Uint8Array>
  /** the value behind a sensitive marker */
  sensitive: (s: Sensitive) => string
  /** aborted on SIGINT/SIGTERM: no new step starts, calls in flight finish */
  signal?: AbortSignal
  /** lines a step's workload printed while it was awaited (a one-off task's log) */
  onLog?: (line: string) => void
  /** --no-wait: a step's wait is skipped when no other step depends on the step */
  noWait?: boolean
  /** the target's operations (how a create whose answer was lost is read back) and the waits its steps name */
  catalogue: Pick<Catalogue, 'operations' | 'waiters'>
  /** runs the plan's local steps (request.service 'container'); a plan with such steps needs it */
  local?: LocalOperations
  /** the longest any one wait may take */
  timeoutSeconds: number
  /** how many independent steps may run at once */
  concurrency?: number
  /** test hook: time source */
  now?: () => number
  /** test hook: sleep between propagation retries */
  sleep?: (ms: number) => Promise<void>
}

type StepStatus = 'done' | 'failed' | 'not-started'

export interface StepResult {
  id: string
  status: StepStatus
  ms?: number
  error?: string
}

interface ApplyResult {
  ok: boolean
  interrupted: boolean
  results: StepResult[]
  /** response of each step that ran, by step id */
  outputs: Record<string, Record<string, unknown>>
  /** the first failure, translated */
  error?: ShipitError
}

/**
 * Apply a plan: every step runs as soon as the steps it depends on are done (independent steps run
 * at once), with its wait and its propagation retries. At the first failure or interruption no new
 * step starts; the calls in flight finish, and the result says what was done and what was not.
 */
export async function executePlan(plan: Plan, ctx: ExecuteContext): Promise<ApplyResult> {
  const now = ctx.now ?? Date.now
  // steps hold their slot through their waits; the calls themselves are bounded per service (src/aws/in-flight.ts)
  const limit = ctx.concurrency ?? STEPS_AT_ONCE * Math.max(1, plan.components?.length ?? 1)
  const byId = new Map(plan.steps.map((s) => [s.id, s]))
  for (const step of plan.steps) {
    for (const dep of step.dependsOn) {
      if (!byId.has(dep)) throw new ShipitError('InvalidPlan', `step ${step.id} depends on ${dep}, which is not in the plan`, { exitCode: ExitCode.Invalid })
    }
  }
  // 'answered': its call answered and its wait goes on, which its dependents need not see end (wait.dependentsAfter)
  const status = new Map<string, StepStatus | 'running' | 'answered'>(plan.steps.map((s) => [s.id, 'not-started']))
  const results = new Map<string, StepResult>()
  const outputs: Record<string, Record<string, unknown>> = {}
  let firstError: ShipitError | undefined
  let stopping = false
  const running = new Set<Promise<void>>()
  const needed = new Set(plan.steps.flatMap((s) => s.dependsOn))

  const usable = (id: string) => status.get(id) === 'done' || status.get(id) === 'answered'
  // the longest chain first: a step started earlier also queues earlier for its service's calls in flight
  const rank = remainingPath(plan.steps)
  const byRank = [...plan.steps].sort((a, b) => (rank.get(b.id) ?? 0) - (rank.get(a.id) ?? 0))
  const ready = () => byRank.filter((s) => status.get(s.id) === 'not-started' && s.dependsOn.every(usable))

  const launch = (step: Step) => {
    status.set(step.id, 'running')
    const started = now()
    ctx.reporter.stepStarted(step)
    // --no-wait: the wait of a step nothing depends on (the rollout at the end) is skipped
    const answered = (output: Record<string, unknown>) => {
      outputs[step.id] = output
      status.set(step.id, 'answered')
      wake()
    }
    const p = runStep(step, outputs, ctx, Boolean(ctx.noWait) && !needed.has(step.id), step.wait?.dependentsAfter === 'answer' ? answered : undefined)
      .then((output) => {
        outputs[step.id] = output
        status.set(step.id, 'done')
        const ms = now() - started
        results.set(step.id, { id: step.id, status: 'done', ms })
        ctx.reporter.stepDone(step, ms)
      })
      .catch((err: unknown) => {
        const error = translateAwsError(err, `${step.action} ${step.resource.type} ${step.resource.name}`)
        status.set(step.id, 'failed')
        const ms = now() - started
        results.set(step.id, { id: step.id, status: 'failed', ms, error: error.message })
        ctx.reporter.stepFailed(step, error, ms)
        firstError ??= error
        stopping = true
      })
      .finally(() => running.delete(p))
    running.add(p)
  }

  // a step answered before its wait ended wakes the loop, so that its dependents start
  let wake = () => {}
  for (;;) {
    if (ctx.signal?.aborted) stopping = true
    if (!stopping) {
      for (const step of ready()) {
        if (running.size >= limit) break
        launch(step)
      }
    }
    if (running.size === 0) break
    await Promise.race([...running, new Promise<void>((r) => (wake = r))])
  }

  const interrupted = Boolean(ctx.signal?.aborted)
  const all: StepResult[] = plan.steps.map((s) => results.get(s.id) ?? { id: s.id, status: 'not-started' })
  const ok = !firstError && !interrupted && all.every((r) => r.status === 'done')
  if (!ok && !firstError && !interrupted) {
    // nothing failed yet steps remain: a dependency cycle, which the planner must never produce
    firstError = new ShipitError('InvalidPlan', 'the plan has steps that can never run (a dependency cycle)', { exitCode: ExitCode.Failure })
  }
  return { ok, interrupted, results: all, outputs, error: firstError }
}

/** Independent steps run at once, per component of the plan. */
const STEPS_AT_ONCE = 6

/** For each step, the longest chain of calls from its start to the end of the plan (a call, its wait and its precondition count one each). */
function remainingPath(steps: Step[]): Map<string, number> {
  const dependents = new Map<string, Step[]>(steps.map((s) => [s.id, []]))
  for (const s of steps) for (const d of s.dependsOn) dependents.get(d)?.push(s)
  const memo = new Map<string, number>()
  const visiting = new Set<string>()
  const walk = (step: Step): number => {
    const known = memo.get(step.id)
    if (known !== undefined) return known
    // a cycle is reported by the executor (steps that never run); here it only ends the walk
    if (visiting.has(step.id)) return 0
    visiting.add(step.id)
    const own = 1 + (step.wait ? 1 : 0) + (step.precondition ? 1 : 0)
    const after = Math.max(0, ...(dependents.get(step.id) ?? []).map(walk))
    visiting.delete(step.id)
    memo.set(step.id, own + after)
    return own + after
  }
  for (const s of steps) walk(s)
  return memo
}

async function runStep(
  step: Step,
  outputs: Record<string, Record<string, unknown>>,
  ctx: ExecuteContext,
  skipWait = false,
  onAnswer?: (output: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  const input = (await resolveValue(step.request.input, outputs, ctx)) as Record<string, unknown>
  const request = step.request
  if (isLocalRequest(request)) {
    if (!ctx.local) throw new ShipitError('InvalidPlan', `step ${step.id} is a local ${request.operation}, and this target runs no local operations`)
    return ctx.local({ ...request, input }, { clients: ctx.clients, signal: ctx.signal })
  }
  if (step.precondition) {
    const { request, path, equals, what } = step.precondition
    const answer = await ctx.clients.sendRequest(request)
    const now = getPath(answer, path)
    if (JSON.stringify(now) !== JSON.stringify(equals)) {
      throw new ShipitError(
        'ConcurrentChange',
        `${what} changed since the plan was made (now ${JSON.stringify(now)}, planned from ${JSON.stringify(equals)}): another deploy is running or just ran`,
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
          suggestions: ['nothing was changed by this step; run the deploy again to plan from what is live now'],
        },
      )
    }
  }
  const output = await sendWithRetries(step, request, input, ctx)
  if (output !== OK_ERROR) delete (output as { $metadata?: unknown }).$metadata
  onAnswer?.(output === OK_ERROR ? {} : output)
  // a call that ended in one of its okErrors did nothing (e.g. deleting what is already gone): there is nothing to wait for
  if (step.wait && output !== OK_ERROR && !skipWait) {
    const wait = { ...step.wait, input: (await resolveValue(step.wait.input, { ...outputs, [step.id]: output }, ctx)) as Record<string, unknown> }
    ctx.reporter.stepWaiting?.(step, wait.description)
    await runWait(ctx.clients, request.service, wait, {
      waiters: ctx.catalogue.waiters,
      timeoutSeconds: ctx.timeoutSeconds,
      signal: ctx.signal,
      progress: (what) => ctx.reporter.stepWaiting?.(step, `${wait.description}: ${what}`),
      log: ctx.onLog,
    })
  }
  return output === OK_ERROR ? {} : output
}

/** The answer of a call that failed with one of the step's okErrors. */
const OK_ERROR: Record<string, unknown> = Object.freeze({})

/** Longest pause between two retries of a call that waits for AWS to propagate something. */
const MAX_RETRY_DELAY_MS = 5000

/**
 * The step's call, retried while it fails with the error of one of its retry rules (a role IAM has
 * not propagated yet, a service still draining) and the time waited so far stays within that rule's
 * bound. The progress line names what is waited for. At the bound, AWS's own error is the failure.
 */
async function sendWithRetries(step: Step, request: AwsRequest, input: Record<string, unknown>, ctx: ExecuteContext): Promise<Record<string, unknown>> {
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const rules = retryRules(step)
  // time waited so far, counted from the pauses themselves so that the bound holds whatever the clock
  let waitedMs = 0
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(step, request, input, ctx, sleep)
    } catch (err) {
      const name = awsErrorName(err)
      if (name && step.okErrors?.includes(name)) return OK_ERROR
      const message = (err as Error)?.message ?? ''
      const rule = rules.find((r) => r.errorName === name && (!r.messageIncludes || message.includes(r.messageIncludes)))
      const delayMs = Math.min(1000 * attempt, MAX_RETRY_DELAY_MS)
      if (!rule || waitedMs + delayMs > rule.seconds * 1000 || ctx.signal?.aborted) throw err
      waitedMs += delayMs
      ctx.reporter.stepWaiting?.(
        step,
        `waiting for ${rule.waitingFor ?? `AWS to propagate a change (${name})`}, retry ${attempt} (${Math.round(waitedMs / 1000)} s)`,
      )
      await sleep(delayMs)
    }
  }
}

/** Replace references, artifacts and sensitive markers in a request by their values. */
export async function resolveValue(
  value: unknown,
  outputs: Record<string, Record<string, unknown>>,
  ctx: Pick<ExecuteContext, 'artifact' | 'sensitive'>,
): Promise<unknown> {
  if (isRef(value)) {
    const out = outputs[value.ref]
    const resolved = out === undefined ? undefined : getPath(out, value.output)
    if (resolved === undefined) {
      throw new ShipitError('UnresolvedReference', `step ${value.ref} gave no ${value.output}`, { exitCode: ExitCode.Failure })
    }
    return value.format ? value.format.replace('{}', String(resolved)) : resolved
  }
  if (isKeyedByRef(value)) return { [String(await resolveValue(value.keyRef, outputs, ctx))]: value.value }
  if (isArtifact(value)) return ctx.artifact(value)
  if (isSensitive(value)) return ctx.sensitive(value)
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveValue(v, outputs, ctx)))
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = await resolveValue(v, outputs, ctx)
    return out
  }
  return value
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

/**
 * Send a step's request by its idempotency rule. A `recover` or `single` create goes with a single
 * attempt, so the SDK never resends it blindly; throttled, the clients send it again (AWS did nothing:
 * src/aws/in-flight.ts). A `token` request keeps the SDK's retries (they carry the same token). After
 * a lost answer or a conflict, a `recover` or `token` create is read back: when what it asked for is there and shipit's,
 * the step is done with what was read; when nothing is there after a lost answer, it is sent again
 * (within the attempts of --max-attempts), as the SDK would have done for an idempotent call.
 */
async function sendOnce(
  step: Step,
  aws: AwsRequest,
  input: Record<string, unknown>,
  ctx: ExecuteContext,
  sleep: (ms: number) => Promise<void>,
): Promise<Record<string, unknown>> {
  const request = { ...aws, input: withToken(step, input) }
  const rule = step.idempotency
  if (!rule || rule.kind === 'natural') return ctx.clients.sendRequest(request)
  const single = rule.kind !== 'token'
  const attempts = ctx.clients.settings?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const since = Date.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.clients.sendRequest(request, undefined, single ? { maxAttempts: 1 } : {})
    } catch (err) {
      const lost = answerLost(err)
      if (rule.kind === 'single' || !(lost || conflict(err))) throw err
      const recover = describe(ctx.catalogue, aws)?.recover
      const found = recover ? await recover(input, ctx.clients, since) : undefined
      if (!found && lost && attempt < attempts) {
        // read back and not there: AWS did not do it, so sending it again cannot make a second one
        ctx.reporter.stepWaiting?.(step, `the response was lost and AWS had not done it; sending it again (${attempt + 1}/${attempts})`)
        await sleep(Math.min(1000 * 2 ** (attempt - 1), 10_000))
        continue
      }
      if (!found) throw err
      ctx.reporter.stepWaiting?.(
        step,
        lost ? `the response was lost; AWS had created ${found.what}` : `${found.what} already exists and is shipit's: taken as created`,
      )
      return found.outputs
    }
  }
}
