import type { AwsClients } from '../aws/clients.js'
import { awsErrorName, translateAwsError } from '../aws/errors.js'
import { runWait, type WaiterSet } from '../aws/waiters.js'
import { ExitCode, ShipitError } from '../errors.js'
import { type Artifact, isArtifact, isRef, isSensitive, type Plan, type Sensitive, type Step } from './types.js'

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

/** A step run by the target's own code rather than one AWS call (e.g. a multipart upload), by `service:operation`. */
export type LocalOperation = (clients: AwsClients, input: Record<string, unknown>, signal?: AbortSignal) => Promise<Record<string, unknown>>

export interface ExecuteContext {
  clients: AwsClients
  /** the target's local operations, by `service:operation` */
  localOperations?: Record<string, LocalOperation>
  reporter: Reporter
  /** the bytes of an artifact, checked against its sha256 */
  artifact: (a: Artifact) => Promise<Uint8Array>
  /** the value behind a sensitive marker */
  sensitive: (s: Sensitive) => string
  /** aborted on SIGINT/SIGTERM: no new step starts, calls in flight finish */
  signal?: AbortSignal
  /** lines a step's workload printed while it was awaited (a one-off task's log) */
  onLog?: (line: string) => void
  /** the waits the plan's steps name: the target's own waiters and explanations */
  waiters: WaiterSet
  /** the longest any one wait may take */
  timeoutSeconds: number
  /** how many independent steps may run at once */
  concurrency?: number
  /** test hook: time source */
  now?: () => number
  /** test hook: sleep between propagation retries */
  sleep?: (ms: number) => Promise<void>
}

export type StepStatus = 'done' | 'failed' | 'not-started'

export interface StepResult {
  id: string
  status: StepStatus
  ms?: number
  error?: string
}

export interface ApplyResult {
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
  const limit = ctx.concurrency ?? 6
  const byId = new Map(plan.steps.map((s) => [s.id, s]))
  for (const step of plan.steps) {
    for (const dep of step.dependsOn) {
      if (!byId.has(dep)) throw new ShipitError('InvalidPlan', `step ${step.id} depends on ${dep}, which is not in the plan`, { exitCode: ExitCode.Invalid })
    }
  }
  const status = new Map<string, StepStatus | 'running'>(plan.steps.map((s) => [s.id, 'not-started']))
  const results = new Map<string, StepResult>()
  const outputs: Record<string, Record<string, unknown>> = {}
  let firstError: ShipitError | undefined
  let stopping = false
  const running = new Set<Promise<void>>()

  const ready = () => plan.steps.filter((s) => status.get(s.id) === 'not-started' && s.dependsOn.every((d) => status.get(d) === 'done'))

  const launch = (step: Step) => {
    status.set(step.id, 'running')
    const started = now()
    ctx.reporter.stepStarted(step)
    const p = runStep(step, outputs, ctx)
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

  for (;;) {
    if (ctx.signal?.aborted) stopping = true
    if (!stopping) {
      for (const step of ready()) {
        if (running.size >= limit) break
        launch(step)
      }
    }
    if (running.size === 0) break
    await Promise.race(running)
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

async function runStep(step: Step, outputs: Record<string, Record<string, unknown>>, ctx: ExecuteContext): Promise<Record<string, unknown>> {
  const input = (await resolveValue(step.request.input, outputs, ctx)) as Record<string, unknown>
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
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = Date.now() + (step.retry?.seconds ?? 0) * 1000
  let output: Record<string, unknown>
  for (let attempt = 1; ; attempt++) {
    try {
      const local = ctx.localOperations?.[`${step.request.service}:${step.request.operation}`]
      output = local ? await local(ctx.clients, input, ctx.signal) : await ctx.clients.sendRequest({ ...step.request, input })
      break
    } catch (err) {
      const name = awsErrorName(err)
      if (name && step.okErrors?.includes(name)) {
        output = {}
        break
      }
      const retry = step.retry
      const message = (err as Error)?.message ?? ''
      if (retry && name === retry.errorName && (!retry.messageIncludes || message.includes(retry.messageIncludes)) && Date.now() < deadline) {
        ctx.reporter.stepWaiting?.(step, 'waiting for IAM to propagate the new role')
        await sleep(Math.min(1000 * attempt, 5000))
        continue
      }
      throw err
    }
  }
  if (step.wait) {
    const wait = { ...step.wait, input: (await resolveValue(step.wait.input, { ...outputs, [step.id]: output }, ctx)) as Record<string, unknown> }
    ctx.reporter.stepWaiting?.(step, wait.description)
    await runWait(ctx.clients, step.request.service, wait, {
      waiters: ctx.waiters,
      timeoutSeconds: ctx.timeoutSeconds,
      signal: ctx.signal,
      progress: (what) => ctx.reporter.stepWaiting?.(step, `${wait.description}: ${what}`),
      log: ctx.onLog,
    })
  }
  delete (output as { $metadata?: unknown }).$metadata
  return output
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

export function getPath(obj: unknown, path: string): unknown {
  let cur = obj
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}
