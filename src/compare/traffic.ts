import { invalid } from '../errors.js'

/** The load an estimate is made for, in base units. */
export interface Traffic {
  requestsPerMonth: number
  /** seconds one request takes to serve */
  durationSeconds: number
  /** bytes in and out of one request */
  payloadBytes: number
  /** requests one container serves at the same time */
  concurrency: number
}

/** What the user wrote, from flags or `expect:` in app.yaml. */
export interface TrafficInput {
  requests?: string | number
  duration?: string | number
  payload?: string | number
  concurrency?: number
}

const DEFAULT_PAYLOAD_BYTES = 4 * 1024
const DEFAULT_CONCURRENCY = 10
/** AWS bills a month as 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600

const COUNT_SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, B: 1e9, G: 1e9 }
const PER: Record<string, number> = {
  month: 1,
  mo: 1,
  day: 730 / 24,
  d: 730 / 24,
  hour: 730,
  h: 730,
  minute: 730 * 60,
  min: 730 * 60,
  second: SECONDS_PER_MONTH,
  s: SECONDS_PER_MONTH,
}
const DURATION_UNIT: Record<string, number> = { ms: 1e-3, s: 1, m: 60, min: 60 }
const SIZE_UNIT: Record<string, number> = { '': 1, B: 1, KB: 1024, KiB: 1024, MB: 1024 ** 2, MiB: 1024 ** 2, GB: 1024 ** 3, GiB: 1024 ** 3 }

const REQUESTS = /^(\d+(?:\.\d+)?)\s*([kKMBG]?)\s*(?:\/\s*([a-z]+))?$/
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)$/
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/

/** `5M/month`, `100k/day`, `20/s`, `2500000` (a month) → requests per month. */
export function parseRequests(text: string | number, where = '--requests'): number {
  const m = REQUESTS.exec(String(text).trim())
  const per = m ? PER[m[3] ?? 'month'] : undefined
  if (!m || per === undefined) {
    throw invalid('InvalidTraffic', `${where} ${JSON.stringify(String(text))} is not a request rate`, [
      'write a number with an optional k/M/B and a period, e.g. 5M/month, 100k/day, 20/s',
    ])
  }
  return Number(m[1]) * COUNT_SUFFIX[m[2]] * per
}

/** `120ms`, `1.5s`, `2m` → seconds; must be more than zero. */
export function parseDuration(text: string | number, where = '--duration'): number {
  const m = DURATION.exec(String(text).trim())
  const seconds = m ? Number(m[1]) * DURATION_UNIT[m[2]] : 0
  if (!m || !(seconds > 0)) {
    throw invalid('InvalidTraffic', `${where} ${JSON.stringify(String(text))} is not a duration above zero`, [
      'write how long one request takes, e.g. 120ms, 1.5s, 2m',
    ])
  }
  return seconds
}

/** `4KB`, `1MB`, `512` (bytes) → bytes (KB = 1024 bytes, as AWS meters payloads). */
export function parseSize(text: string | number, where = '--payload'): number {
  const m = SIZE.exec(String(text).trim())
  if (!m) {
    throw invalid('InvalidTraffic', `${where} ${JSON.stringify(String(text))} is not a size`, ['write bytes in and out of one request, e.g. 4KB, 1MB'])
  }
  return Number(m[1]) * SIZE_UNIT[m[2] ?? '']
}

/** Flags win over `expect:`; requests and duration are required from one or the other. */
export function resolveTraffic(flags: TrafficInput, expected: TrafficInput | undefined, file: string): Traffic {
  const requests = flags.requests ?? expected?.requests
  const duration = flags.duration ?? expected?.duration
  const missing = [requests === undefined ? '--requests' : undefined, duration === undefined ? '--duration' : undefined].filter(Boolean)
  if (missing.length) {
    throw invalid('NoTraffic', `compare needs the expected load: ${missing.join(' and ')} not given`, [
      `pass e.g. --requests 5M/month --duration 120ms, or add expect: { requests: 5M/month, duration: 120ms } to ${file}`,
    ])
  }
  const source = (flag: unknown) => (flag === undefined ? `expect in ${file}:` : undefined)
  const concurrency = flags.concurrency ?? expected?.concurrency ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw invalid('InvalidTraffic', `--concurrency ${concurrency} must be a whole number of at least 1`, ['e.g. --concurrency 10'])
  }
  const payload = flags.payload ?? expected?.payload
  return {
    requestsPerMonth: parseRequests(requests as string | number, source(flags.requests) ?? '--requests'),
    durationSeconds: parseDuration(duration as string | number, source(flags.duration) ?? '--duration'),
    payloadBytes: payload === undefined ? DEFAULT_PAYLOAD_BYTES : parseSize(payload, source(flags.payload) ?? '--payload'),
    concurrency,
  }
}

/** 5000000 → "5M", 1500 → "1.5k". */
export function formatCount(n: number): string {
  for (const [suffix, size] of [
    ['B', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (n >= size) return `${trim(n / size)}${suffix}`
  }
  return trim(n)
}

function trim(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Number(n.toPrecision(3)))
}
