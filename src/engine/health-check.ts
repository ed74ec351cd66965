import { ExitCode, ShipitError } from '../errors.js'

/**
 * The HTTP access of `shipit move`'s health check, replaceable in tests (a loopback server, the
 * fake's HTTP simulator): one GET, and the pause between attempts.
 */
export const healthProbe = {
  fetch: (url: string, init: RequestInit): Promise<Response> => fetch(url, init),
  sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(done, ms)
      function done() {
        signal?.removeEventListener('abort', abort)
        resolve()
      }
      function abort() {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', abort, { once: true })
    }),
  now: (): number => Date.now(),
}

export interface HealthCheckOptions {
  /** the whole check, every attempt and pause included */
  timeoutMs: number
  /** one request, answer included */
  requestTimeoutMs?: number
  /** the most of a body read (to quote a 5xx); the rest is not downloaded */
  maxBodyBytes?: number
  signal?: AbortSignal
  /** one line per failed attempt */
  progress?: (line: string) => void
}

export interface HealthCheckResult {
  url: string
  status: number
  attempts: number
  /** when the answer that passed arrived (ms since the epoch) */
  at: number
  elapsedMs: number
}

const FIRST_PAUSE_MS = 1_000
const LONGEST_PAUSE_MS = 15_000
const REQUEST_TIMEOUT_MS = 10_000
const MAX_BODY_BYTES = 4_096
const LAST_ATTEMPT_MS = 1_000

/** The URL checked: the app's URL with the health path in place of its own path. */
export function healthUrl(base: string, path: string): string {
  const url = new URL(base)
  url.pathname = path.split('?')[0]
  url.search = path.includes('?') ? path.slice(path.indexOf('?')) : ''
  return url.toString()
}

/**
 * GET `url` until it answers with a status below 500, pausing 1 s, 2 s, 4 s … (at most 15 s)
 * between attempts, within `timeoutMs`. A refused connection, a timeout or a 5xx is retried; the
 * last of them is the error when time runs out (exit 1). An abort of `signal` rejects with its reason.
 */
export async function waitUntilHealthy(url: string, options: HealthCheckOptions): Promise<HealthCheckResult> {
  const started = healthProbe.now()
  const deadline = started + options.timeoutMs
  let pause = FIRST_PAUSE_MS
  let last = 'no answer'
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted()
    const left = deadline - healthProbe.now()
    const answer = await probeOnce(url, Math.max(1, Math.min(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, left)), options)
    const at = healthProbe.now()
    if (answer.status !== undefined && answer.status < 500) return { url, status: answer.status, attempts: attempt, at, elapsedMs: at - started }
    last = answer.status !== undefined ? `${answer.status}${answer.body ? ` ${answer.body}` : ''}` : answer.error
    // no attempt is started without a second left for it: the last answer stays the one quoted
    const wait = Math.min(pause, deadline - at - LAST_ATTEMPT_MS)
    if (wait <= 0) {
      throw new ShipitError(
        'HealthCheckFailed',
        `${url} did not answer with a status below 500 within ${seconds(options.timeoutMs)}: last ${last} (${attempt} attempt${attempt === 1 ? '' : 's'})`,
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
          details: { url, attempts: attempt, last },
        },
      )
    }
    options.progress?.(`  ${url}: ${last} (attempt ${attempt}, ${seconds(at - started)} of ${seconds(options.timeoutMs)}); again in ${seconds(wait)}`)
    await healthProbe.sleep(wait, options.signal)
    pause = Math.min(pause * 2, LONGEST_PAUSE_MS)
  }
}

type Answer = { status: number; body: string } | { status?: undefined; error: string }

async function probeOnce(url: string, timeoutMs: number, options: HealthCheckOptions): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  try {
    // a redirect is an answer (the app is up): not followed, so the check never leaves the app's host
    const res = await healthProbe.fetch(url, { method: 'GET', redirect: 'manual', signal, headers: { 'user-agent': 'shipit-move-check' } })
    const body = res.status >= 500 ? await readSome(res, options.maxBodyBytes ?? MAX_BODY_BYTES) : ''
    if (res.status < 500) await res.body?.cancel().catch(() => {})
    return { status: res.status, body }
  } catch (err) {
    options.signal?.throwIfAborted()
    if (timeout.aborted) return { error: `no answer within ${seconds(timeoutMs)}` }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return { error: cause?.code ?? cause?.message ?? (err as Error).message }
  }
}

/** At most `max` bytes of the body, on one line, to quote in a progress line or an error. */
async function readSome(res: Response, max: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < max) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } catch {
    // a body cut off is still a 5xx: what arrived is quoted
  } finally {
    await reader.cancel().catch(() => {})
  }
  const text = Buffer.concat(chunks).subarray(0, max).toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s` : `${Math.round(ms / 1000)}s`
}
