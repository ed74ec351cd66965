import { ExitCode, ShipitError } from '../errors.js'
import type { ServiceName, Wait } from '../plan/types.js'
import type { AwsClients } from './clients.js'

/**
 * A wait of shipit's own, for what the SDK has no waiter for (an ECS deployment's rollout state, say).
 * It polls until done, and throws a ShipitError in AWS's words when the resource failed.
 */
export type CustomWaiter = (clients: AwsClients, input: Record<string, unknown>, deadline: number, signal?: AbortSignal) => Promise<void>

const customWaiters = new Map<string, CustomWaiter>()

/** Targets register their own waiters (by name) at import time. */
export function registerWaiter(name: string, waiter: CustomWaiter): void {
  customWaiters.set(name, waiter)
}

/** Explains, in AWS's words, why an SDK waiter ended in failure (e.g. a function's StateReason). */
export type FailureExplainer = (clients: AwsClients, input: Record<string, unknown>) => Promise<string | undefined>
const explainers = new Map<string, FailureExplainer>()
export function registerExplainer(waiter: string, explain: FailureExplainer): void {
  explainers.set(waiter, explain)
}

/** Poll interval for shipit's own waiters; tests set it to 0. */
export const polling = { intervalMs: 3000 }

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

export async function runWait(clients: AwsClients, service: ServiceName, wait: Wait, timeoutSeconds: number, applySignal?: AbortSignal): Promise<void> {
  // a signal of this wait's own: the waiter's abort listener never adds up with those of the waits beside it on the apply's signal
  const signal = applySignal && AbortSignal.any([applySignal])
  const custom = customWaiters.get(wait.waiter)
  if (custom) return custom(clients, wait.input, Date.now() + timeoutSeconds * 1000, signal)

  const mod = await clients.module(service)
  const waitUntil = mod[`waitUntil${wait.waiter}`] as
    | ((params: Record<string, unknown>, input: Record<string, unknown>) => Promise<{ state: string; reason?: unknown }>)
    | undefined
  if (!waitUntil) throw new ShipitError('UnknownWaiter', `no waiter ${wait.waiter} for ${service}`, { exitCode: ExitCode.Failure })
  const client = await clients.client(service)
  try {
    await waitUntil({ client, maxWaitTime: timeoutSeconds, minDelay: 1, maxDelay: 10, ...(signal ? { abortSignal: signal } : {}) }, wait.input)
  } catch (err) {
    const state = (err as { state?: string })?.state
    const why =
      (await explainers
        .get(wait.waiter)?.(clients, wait.input)
        .catch(() => undefined)) ?? reasonOf(err)
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
