import { Transform, type TransformCallback } from 'node:stream'
import type { DeserializeMiddleware, MiddlewareStack } from '@smithy/types'

/**
 * Bounds of `--live-prices`: the Price List API is read over the network, and an endpoint (a proxy,
 * a misconfigured --endpoint-url, an attacker) may answer without end. Three bounds hold whatever it
 * sends: a total deadline for the whole read, a size cap on each reply enforced while its bytes
 * arrive (a reply is cut the moment it passes the cap, before it is parsed), and a number of pages
 * per query (an endless NextToken). What a bound cuts is named in the note and priced from the table.
 */
export interface LiveBounds {
  /** the whole read, every query and page together */
  deadlineMs: number
  /** bytes of one reply's body */
  maxReplyBytes: number
  /** GetProducts pages per query */
  maxPages: number
}

export const DEFAULT_LIVE_BOUNDS: LiveBounds = { deadlineMs: 30_000, maxReplyBytes: 4 * 1024 * 1024, maxPages: 20 }

/** Why a query stopped before its last page: what the note says. */
export type Cut = { kind: 'deadline' } | { kind: 'reply-size'; bytes: number } | { kind: 'pages'; pages: number }

export function describeCut(query: string, cut: Cut, bounds: LiveBounds): string {
  if (cut.kind === 'deadline') return `${query}: not read within ${bounds.deadlineMs / 1000} s (--prices-timeout)`
  if (cut.kind === 'reply-size') return `${query}: a reply passed ${formatBytes(bounds.maxReplyBytes)} and was cut while reading (--prices-max-reply)`
  return `${query}: stopped after ${cut.pages} pages, more were offered (--prices-max-pages)`
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Number((n / 1024 / 1024).toPrecision(3))} MiB`
  if (n >= 1024) return `${Number((n / 1024).toPrecision(3))} KiB`
  return `${n} B`
}

/** The error a reply over the cap ends with; `cut` records it for the query, whatever the SDK wraps it in. */
function replyTooLarge(maxBytes: number): Error {
  return Object.assign(new Error(`the reply passed ${maxBytes} bytes (--prices-max-reply)`), { name: 'ReplyTooLarge' })
}

/**
 * A stream that passes bytes through until `maxBytes`, then fails with ReplyTooLarge and destroys
 * its source, so the rest of the reply is never read. `signal` (the deadline) cuts it the same way.
 */
function countingBody(
  source: NodeJS.ReadableStream & { destroy?(error?: Error): void },
  maxBytes: number,
  signal: AbortSignal,
  onCut: (cut: Cut) => void,
): Transform {
  let seen = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length
      if (seen > maxBytes) {
        onCut({ kind: 'reply-size', bytes: seen })
        source.destroy?.()
        done(replyTooLarge(maxBytes))
        return
      }
      done(null, chunk)
    },
  })
  const expire = () => {
    onCut({ kind: 'deadline' })
    source.destroy?.()
    counter.destroy(signal.reason instanceof Error ? signal.reason : new Error('deadline'))
  }
  if (signal.aborted) queueMicrotask(expire)
  else signal.addEventListener('abort', expire, { once: true })
  counter.once('close', () => signal.removeEventListener('abort', expire))
  source.on('error', (err) => counter.destroy(err))
  source.pipe(counter)
  return counter
}

interface RawResponse {
  headers?: Record<string, string | undefined>
  body?: unknown
}

function isReadable(body: unknown): body is NodeJS.ReadableStream & { destroy(error?: Error): void } {
  return typeof body === 'object' && body !== null && typeof (body as NodeJS.ReadableStream).pipe === 'function'
}

/**
 * Bound the reply of one command: innermost in the deserialize step, so it sees the raw HTTP
 * response before the SDK reads its body. A declared Content-Length over the cap is refused at once;
 * a body without one (or lying) is counted as it arrives.
 */
export function boundReply<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  maxBytes: number,
  signal: AbortSignal,
  onCut: (cut: Cut) => void,
): void {
  const middleware: DeserializeMiddleware<I, O> = (next) => async (args) => {
    const out = await next(args)
    const response = out.response as RawResponse
    const declared = Number(Object.entries(response.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-length')?.[1])
    if (Number.isFinite(declared) && declared > maxBytes) {
      onCut({ kind: 'reply-size', bytes: declared })
      if (isReadable(response.body)) response.body.destroy()
      throw replyTooLarge(maxBytes)
    }
    if (isReadable(response.body)) response.body = countingBody(response.body, maxBytes, signal, onCut)
    return out
  }
  stack.add(middleware, { step: 'deserialize', priority: 'low', name: 'shipitPriceReplyBound' })
}
