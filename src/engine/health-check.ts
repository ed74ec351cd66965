import { lookup } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import { ExitCode, ShipitError } from '../errors.js'

/**
 * The HTTP access of `shipit move`'s health check, replaceable in tests (a loopback server, the
 * fake's HTTP simulator): one GET, and the pause between attempts. With `via`, the GET goes to that
 * host's address while the URL's name stays the TLS name and the Host header: a custom domain asked
 * at the endpoint that will answer for it, before its DNS records point there.
 */
export const healthProbe = {
  fetch: (url: string, init: RequestInit, via?: string): Promise<Response> => (via ? fetchVia(url, init, via) : fetch(url, init)),
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

interface HealthCheckOptions {
  /** the whole check, every attempt and pause included */
  timeoutMs: number
  /** one request, answer included */
  requestTimeoutMs?: number
  /** the most of a body read (to quote a 5xx); the rest is not downloaded */
  maxBodyBytes?: number
  signal?: AbortSignal
  /** one line per failed attempt */
  progress?: (line: string) => void
  /** connect to this host instead of the URL's (see healthProbe) */
  via?: string
  /** only this status passes (the status the target's own URL gave: a 403 of an unmapped domain is not the app) */
  status?: number
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
    if (answer.status !== undefined && answer.status < 500 && (options.status === undefined || answer.status === options.status))
      return { url, status: answer.status, attempts: attempt, at, elapsedMs: at - started }
    last = answer.status !== undefined ? `${answer.status}${answer.body ? ` ${answer.body}` : ''}` : answer.error
    // no attempt is started without a second left for it: the last answer stays the one quoted
    const wait = Math.min(pause, deadline - at - LAST_ATTEMPT_MS)
    if (wait <= 0) {
      throw new ShipitError(
        'HealthCheckFailed',
        `${url}${options.via ? ` (at ${options.via})` : ''} did not answer with ${options.status === undefined ? 'a status below 500' : options.status} within ${seconds(options.timeoutMs)}: last ${last} (${attempt} attempt${attempt === 1 ? '' : 's'})`,
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
    const init: RequestInit = { method: 'GET', redirect: 'manual', signal, headers: { 'user-agent': 'shipit-move-check' } }
    const res = await (options.via ? healthProbe.fetch(url, init, options.via) : healthProbe.fetch(url, init))
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

/** One GET of `url` sent to the address of `via`: the name of `url` is kept for TLS (SNI, certificate) and the Host header. */
function fetchVia(url: string, init: RequestInit, via: string): Promise<Response> {
  const resolveVia: LookupFunction = (_host, options, callback) => lookup(via, options, callback)
  const send = new URL(url).protocol === 'http:' ? httpRequest : httpsRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: init.method ?? 'GET', headers: init.headers as Record<string, string>, lookup: resolveVia, ...(init.signal ? { signal: init.signal } : {}) },
      (res) => resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status: res.statusCode ?? 502 })),
    )
    req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })))
    req.end()
  })
}
