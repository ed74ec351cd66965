import type { AwsClients } from '../aws/clients.js'
import { isNotFound } from '../aws/errors.js'
import { sleep } from '../aws/waiters.js'
import { invalid } from '../errors.js'

export interface LogEvent {
  timestamp: number
  stream: string
  message: string
  id: string
}

interface LogQuery {
  logGroup: string
  /** epoch ms */
  startTime: number
  filterPattern?: string
  streamPrefix?: string
  follow?: boolean
  signal?: AbortSignal
  /** between polls while following */
  pollMs?: number
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `10m`, `2h`, `1d`, `30s` before now, or an ISO date/time. */
export function parseSince(since: string, now = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(since.trim())
  if (m) return now - Number(m[1]) * UNITS[m[2]]
  const t = Date.parse(since)
  if (Number.isNaN(t))
    throw invalid('InvalidSince', `--since ${since} is not a duration or a date`, ['use e.g. --since 10m, --since 2h, --since 2026-01-31T12:00:00Z'])
  return t
}

/**
 * Events of a log group in time order, across its streams, page by page (FilterLogEvents), and —
 * when following — new events as they arrive until the signal aborts. Each event is yielded once.
 */
export async function* readLogs(clients: AwsClients, q: LogQuery): AsyncGenerator<LogEvent> {
  const seen = new Set<string>()
  let start = q.startTime
  for (;;) {
    let nextToken: string | undefined
    const batch: LogEvent[] = []
    do {
      let page: { events?: { eventId?: string; logStreamName?: string; timestamp?: number; message?: string }[]; nextToken?: string }
      try {
        page = await clients.send('logs', 'FilterLogEvents', {
          logGroupName: q.logGroup,
          startTime: start,
          ...(q.filterPattern ? { filterPattern: q.filterPattern } : {}),
          ...(q.streamPrefix ? { logStreamNamePrefix: q.streamPrefix } : {}),
          ...(nextToken ? { nextToken } : {}),
        })
      } catch (err) {
        if (isNotFound(err)) return
        throw err
      }
      for (const e of page.events ?? []) {
        const id = e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`
        if (seen.has(id)) continue
        seen.add(id)
        batch.push({ timestamp: e.timestamp ?? 0, stream: e.logStreamName ?? '', message: (e.message ?? '').replace(/\n$/, ''), id })
      }
      nextToken = page.nextToken
      if (q.signal?.aborted) break
    } while (nextToken)
    batch.sort((a, b) => a.timestamp - b.timestamp)
    yield* batch
    if (!q.follow || q.signal?.aborted) return
    if (batch.length) start = batch[batch.length - 1].timestamp
    await sleep(q.pollMs ?? 2_000, q.signal)
    if (q.signal?.aborted) return
  }
}

export function formatLogEvent(e: LogEvent): string {
  return `${new Date(e.timestamp).toISOString()} ${e.stream} ${e.message}`
}
