import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Time bounds of AWS calls, and the progress a person sees while a call is slow or retried.
 *
 * - Each attempt (one HTTP request and the reading of its whole answer) must end within
 *   --request-timeout, plus time to send a large body at a slow uplink's pace. This is a total, not
 *   an inactivity timer: an endpoint that trickles a byte a second is cut off too.
 * - Each call (every attempt and the back-off between them) must end within the call deadline.
 */

/** A body is given time to be sent at this pace (≈1 Mbit/s) on top of --request-timeout. */
const SLOWEST_UPLOAD_BYTES_PER_SECOND = 128 * 1024
/** A call still running after this long is reported, then again every SLOW_CALL_REPEAT_MS. */
export const SLOW_CALL_MS = 5_000
export const SLOW_CALL_REPEAT_MS = 10_000

export interface RetryNotice {
  /** service:Operation */
  call: string
  /** the attempt about to be made, 2 for the first retry */
  attempt: number
  maxAttempts: number
  delayMs: number
  /** throttled, timed out, HTTP 503, connection reset… */
  reason: string
}

export interface SlowCallNotice {
  call: string
  elapsedMs: number
}

/** Retries worth a line: throttling and timeouts (the user already waited), or a back-off of a second or more. */
export const retryWorthTelling = (n: RetryNotice) => n.reason === 'throttled' || n.reason === 'timed out' || n.delayMs >= 1000
export const describeRetry = (n: RetryNotice) => `${n.call} ${n.reason}, retry ${n.attempt}/${n.maxAttempts} in ${(n.delayMs / 1000).toFixed(1)} s`
export const describeSlowCall = (n: SlowCallNotice) => `still waiting for ${n.call} (${Math.round(n.elapsedMs / 1000)} s)`

/** Whole milliseconds, rounded down: a small form body (STS's query protocol) adds nothing to --request-timeout. */
export function uploadAllowanceMs(bytes: number): number {
  return Math.floor((bytes / SLOWEST_UPLOAD_BYTES_PER_SECOND) * 1000)
}

/** Bytes of binary data in an operation's input (Lambda's ZipFile, Invoke's Payload), two levels deep. */
export function payloadBytes(value: unknown, depth = 2): number {
  if (value instanceof Uint8Array) return value.byteLength
  if (depth === 0 || typeof value !== 'object' || value === null) return 0
  let total = 0
  for (const v of Object.values(value)) total += payloadBytes(v, depth - 1)
  return total
}

/** The error of an attempt or a call that ran out of time: named TimeoutError, as the SDK's own. */
export function timeoutError(message: string, code: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code })
}

interface CallBounds {
  /** service:Operation, for messages */
  call: string
  deadlineMs: number
  onSlowCall?: (notice: SlowCallNotice) => void
  slowCallMs?: number
}

/**
 * Run one call with one abort signal of its own (the caller's signals and the call's deadline
 * combined), so that the SDK's per-attempt abort listeners never pile up on a shared signal.
 * When the deadline passes, the call rejects with a TimeoutError that says so (not retried).
 */
export async function boundedCall<T>(bounds: CallBounds, signals: (AbortSignal | undefined)[], run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const started = Date.now()
  const deadline = new AbortController()
  const expire = setTimeout(
    () =>
      deadline.abort(
        timeoutError(
          `${bounds.call} timed out after ${seconds(bounds.deadlineMs)} in all (--call-timeout; every attempt and back-off included)`,
          'CallDeadline',
        ),
      ),
    bounds.deadlineMs,
  )
  let slow: NodeJS.Timeout | undefined
  const { onSlowCall } = bounds
  if (onSlowCall) {
    const tick = () => {
      onSlowCall({ call: bounds.call, elapsedMs: Date.now() - started })
      slow = setTimeout(tick, SLOW_CALL_REPEAT_MS)
    }
    slow = setTimeout(tick, bounds.slowCallMs ?? SLOW_CALL_MS)
  }
  const given = signals.filter((s): s is AbortSignal => s !== undefined)
  try {
    return await run(AbortSignal.any([...given, deadline.signal]))
  } catch (err) {
    if (deadline.signal.aborted && !given.some((s) => s.aborted)) throw deadline.signal.reason
    throw err
  } finally {
    clearTimeout(expire)
    clearTimeout(slow)
  }
}

/** The part of the SDK's HTTP handler (NodeHttpHandler) that an attempt goes through. */
interface AttemptHandler {
  handle(request: AttemptRequest, options?: { abortSignal?: AbortSignal; requestTimeout?: number }): Promise<{ response: { body?: unknown } }>
}
interface AttemptRequest {
  body?: unknown
  headers?: Record<string, string>
}

/**
 * Bound every attempt through this handler by a total time. The handler's own timers stop at the
 * response headers (requestTimeout) or measure only silence (socketTimeout); the body is read
 * after handle() returns, so the same budget is carried over to the body stream.
 */
function boundEachAttempt(handler: AttemptHandler, attemptMs: number): void {
  const handle = handler.handle.bind(handler)
  handler.handle = async (request, options = {}) => {
    const budgetMs = attemptMs + uploadAllowanceMs(requestBytes(request))
    const attempt = new AbortController()
    const timer = setTimeout(
      () => attempt.abort(timeoutError(`the request timed out after ${budgetMs} ms (--request-timeout, the whole attempt)`, 'ETIMEDOUT')),
      budgetMs,
    )
    timer.unref()
    const outer = options.abortSignal
    let out: Awaited<ReturnType<AttemptHandler['handle']>>
    try {
      out = await handle(request, { ...options, abortSignal: outer ? AbortSignal.any([outer, attempt.signal]) : attempt.signal })
    } catch (err) {
      clearTimeout(timer)
      // the handler reports its own abort as an AbortError, which the SDK never retries: a timed-out attempt is retried
      if (attempt.signal.aborted && !outer?.aborted) throw attempt.signal.reason
      throw err
    }
    const body = out.response.body
    if (!isStream(body) || body.destroyed) {
      clearTimeout(timer)
      return out
    }
    const cut = () => body.destroy(attempt.signal.reason)
    attempt.signal.addEventListener('abort', cut, { once: true })
    body.once('close', () => {
      clearTimeout(timer)
      attempt.signal.removeEventListener('abort', cut)
    })
    return out
  }
}

interface DestroyableStream {
  destroyed: boolean
  destroy(error?: Error): void
  once(event: 'close', listener: () => void): unknown
}

function isStream(body: unknown): body is DestroyableStream {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as DestroyableStream).destroy === 'function' &&
    typeof (body as DestroyableStream).once === 'function'
  )
}

function requestBytes(request: AttemptRequest): number {
  const { body } = request
  if (body instanceof Uint8Array) return body.byteLength
  if (typeof body === 'string') return Buffer.byteLength(body)
  const length = Number(Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-length')?.[1])
  return Number.isFinite(length) ? length : 0
}

/** What the SDK hands a retry strategy, and the part of the strategy that decides a retry. */
interface RetryErrorInfo {
  error: unknown
  errorType: string
}
interface RetryToken {
  getRetryCount(): number
  getRetryDelay(): number
}
interface RetryStrategyLike {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>
  refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken>
  recordSuccess(token: RetryToken): void
}

/** Which call an attempt's error came from: set per attempt (a middleware), read when a retry is decided. */
const callOfError = new WeakMap<object, string>()

function rememberCall(error: unknown, call: string): void {
  if (typeof error === 'object' && error !== null) callOfError.set(error, call)
}

/** The backoff of the SDK's standard strategy, which computes each delay and then sleeps it. */
interface BackoffLike {
  computeNextBackoffDelay(retries: number): number
}

/**
 * A retry strategy that tells `onRetry` each retry it grants, with its delay, before the back-off
 * starts: the SDK's strategy computes the delay (retryBackoffStrategy) and sleeps inside
 * refreshRetryTokenForRetry, so the delay is caught as it is computed, for the call being refreshed.
 * Without that hook (another SDK version), the notice comes after the back-off.
 */
function reportingRetries(strategy: RetryStrategyLike, maxAttempts: number, onRetry: (notice: RetryNotice) => void): RetryStrategyLike {
  const refreshing = new AsyncLocalStorage<(delayMs: number) => void>()
  const backoff = (strategy as { retryBackoffStrategy?: BackoffLike }).retryBackoffStrategy
  if (backoff && typeof backoff.computeNextBackoffDelay === 'function') {
    const compute = backoff.computeNextBackoffDelay.bind(backoff)
    backoff.computeNextBackoffDelay = (retries) => {
      const delayMs = compute(retries)
      refreshing.getStore()?.(delayMs)
      return delayMs
    }
  }
  return {
    acquireInitialRetryToken: (scope) => strategy.acquireInitialRetryToken(scope),
    recordSuccess: (token) => strategy.recordSuccess(token),
    refreshRetryTokenForRetry: async (token, info) => {
      const call = typeof info.error === 'object' && info.error !== null ? callOfError.get(info.error) : undefined
      let told = false
      const tell = (delayMs: number) => {
        if (told || !call) return
        told = true
        onRetry({ call, attempt: token.getRetryCount() + 2, maxAttempts, delayMs, reason: retryReason(info) })
      }
      const next = await refreshing.run(tell, () => strategy.refreshRetryTokenForRetry(token, info))
      tell((next as { $retryLog?: { acquisitionDelay?: number } }).$retryLog?.acquisitionDelay ?? next.getRetryDelay())
      return next
    },
  }
}

function retryReason(info: RetryErrorInfo): string {
  const e = (info.error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } }
  if (info.errorType === 'THROTTLING') return 'throttled'
  if (e.name === 'TimeoutError') return 'timed out'
  if (e.$metadata?.httpStatusCode) return `failed (HTTP ${e.$metadata.httpStatusCode}${e.name ? ` ${e.name}` : ''})`
  return `failed (${e.code ?? e.name ?? 'network error'})`
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

/** The parts of an SDK v3 client that bounds and progress are attached to. */
export interface BoundableClient {
  config: { requestHandler?: unknown; retryStrategy?: () => Promise<RetryStrategyLike> }
  middlewareStack: {
    addRelativeTo(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { relation: 'after'; toMiddleware: string; name: string },
    ): void
  }
}

/** Bound each attempt of this client's calls and report the retries it makes. */
export function attachBounds(
  service: string,
  client: BoundableClient,
  options: { attemptMs: number; maxAttempts: number; onRetry?: (notice: RetryNotice) => void },
): void {
  const handler = client.config.requestHandler as AttemptHandler | undefined
  if (handler && typeof handler.handle === 'function') boundEachAttempt(handler, options.attemptMs)
  const { onRetry } = options
  const resolveStrategy = client.config.retryStrategy
  if (!onRetry || !resolveStrategy) return
  let reporting: Promise<RetryStrategyLike> | undefined
  client.config.retryStrategy = () => (reporting ??= resolveStrategy().then((s) => reportingRetries(s, options.maxAttempts, onRetry)))
  // inside the retry loop: each failed attempt's error is labelled with its call, for the notice
  client.middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (err) {
        rememberCall(err, `${service}:${(context.commandName ?? '').replace(/Command$/, '')}`)
        throw err
      }
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'shipitRetryNotice' },
  )
}
