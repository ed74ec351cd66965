import { ExitCode, ShipitError } from '../errors.js'
import type { AwsClients } from './clients.js'
import type { ServiceName } from './services.js'

/** What to wait for after a call: an SDK waiter name without `waitUntil` (FunctionActiveV2, …) or one of shipit's own. */
export interface WaitSpec {
  waiter: string
  input: Record<string, unknown>
  /** what is being waited for, for people */
  description: string
  /**
   * 'answer': the steps that depend on this one start once its call has answered (they need what it
   * made to exist, not to be ready), while the wait goes on; the apply still ends only after the wait.
   * Default: they start after the wait.
   */
  dependentsAfter?: 'answer'
}

/**
 * A wait of shipit's own, for what the SDK has no waiter for (an ECS deployment's rollout state, say).
 * It polls until done, and throws a ShipitError in AWS's words when the resource failed.
 */
export type CustomWaiter = (clients: AwsClients, input: Record<string, unknown>, wait: WaitContext) => Promise<void>

/** What a waiter of shipit's own is given besides its input. */
export interface WaitContext {
  /** epoch ms after which the waiter gives up */
  deadline: number
  signal?: AbortSignal
  /** where it stands, for the progress line ("RUNNING, 12 s") */
  progress?: (what: string) => void
  /** a line the workload printed (a task's log), for commands that stream them */
  log?: (line: string) => void
}

/** Explains, in AWS's words, why an SDK waiter ended in failure (e.g. a function's StateReason). */
type FailureExplainer = (clients: AwsClients, input: Record<string, unknown>) => Promise<string | undefined>

/**
 * The waits a target's steps may name, given to the executor by the target: shipit's own waiters by
 * name, and explanations of SDK waiter failures. A name found in neither is an SDK waiter.
 */
export interface WaiterSet {
  custom: Readonly<Record<string, CustomWaiter>>
  explain: Readonly<Record<string, FailureExplainer>>
}

export const NO_WAITERS: WaiterSet = { custom: {}, explain: {} }

/**
 * Poll intervals: `intervalMs` for shipit's own waiters, `sdkMinDelaySeconds` the least an SDK waiter
 * waits between two reads (it backs off from there up to 10 s). Tests against the in-memory fake set
 * them to 0 and a millisecond: the same waiters poll, without seconds of real sleep per wait.
 */
export const polling = { intervalMs: 3000, sdkMinDelaySeconds: 1 }

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve()
    // the listener goes when the timer fires: one per poll would pile up on the apply's signal (MaxListenersExceededWarning)
    const onAbort = () => {
      clearTimeout(t)
      resolve()
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

interface WaitOptions {
  waiters: WaiterSet
  timeoutSeconds: number
  signal?: AbortSignal
  progress?: (what: string) => void
  log?: (line: string) => void
}

export async function runWait(clients: AwsClients, service: ServiceName, wait: WaitSpec, options: WaitOptions): Promise<void> {
  const { waiters, timeoutSeconds } = options
  // a signal of this wait's own: the waiter's abort listener never adds up with those of the waits beside it on the apply's signal
  const signal = options.signal && AbortSignal.any([options.signal])
  const custom = Object.hasOwn(waiters.custom, wait.waiter) ? waiters.custom[wait.waiter] : undefined
  if (custom) return custom(clients, wait.input, { deadline: Date.now() + timeoutSeconds * 1000, signal, progress: options.progress, log: options.log })

  const waitUntil = await clients.waiter(service, wait.waiter)
  if (!waitUntil) throw new ShipitError('UnknownWaiter', `no waiter ${wait.waiter} for ${service}`, { exitCode: ExitCode.Failure })
  const client = await clients.client(service)
  try {
    await waitUntil(
      { client, maxWaitTime: timeoutSeconds, minDelay: polling.sdkMinDelaySeconds, maxDelay: 10, ...(signal ? { abortSignal: signal } : {}) },
      wait.input,
    )
  } catch (err) {
    const state = (err as { state?: string })?.state
    const why =
      (Object.hasOwn(waiters.explain, wait.waiter) ? await waiters.explain[wait.waiter](clients, wait.input).catch(() => undefined) : undefined) ??
      reasonOf(err)
    if (state === 'TIMEOUT') {
      throw new ShipitError('WaitTimeout', `timed out after ${timeoutSeconds}s waiting for ${wait.description}${why ? `: ${why}` : ''}`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: ['raise --timeout, or look at the resource in the AWS console; running the deploy again resumes from here'],
      })
    }
    if (state === 'ABORTED') throw new ShipitError('Interrupted', `interrupted while waiting for ${wait.description}`, { exitCode: ExitCode.Interrupted })
    throw new ShipitError('WaitFailed', `${wait.description} failed${why ? `: ${why}` : ''}`, { exitCode: ExitCode.Failure, source: 'aws' })
  }
}

function reasonOf(err: unknown): string | undefined {
  const reason = (err as { reason?: unknown })?.reason
  if (!reason) return (err as Error)?.message
  if (typeof reason === 'string') return reason
  const r = reason as { message?: string; name?: string }
  return r.message ?? r.name
}
