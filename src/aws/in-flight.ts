import type { RetryNotice } from './bounds.js'
import type { ServiceName } from './services.js'

/**
 * How many calls shipit has in flight per AWS service, and what it does when AWS throttles.
 *
 * AWS meters control-plane calls per account and region, per service; a deploy of many parts at once
 * (components, or many deploys in one process) would otherwise start every independent call at once.
 * AWS documents rates (calls a second), shipit bounds concurrency: a control-plane call takes
 * 0.1–0.5 s, so N calls in flight make about 2N–10N calls a second. Each bound is about half the
 * documented rate, so that shipit alone stays near it at the fast end and a throttled call is the
 * exception, not the rule; where AWS documents no rate, 10.
 *
 * Throttling: the SDK's standard retry mode already retries every throttling answer it recognises
 * (its THROTTLING_ERROR_CODES: ThrottlingException, Throttling, TooManyRequestsException,
 * RequestLimitExceeded, ProvisionedThroughputExceededException…) with exponential back-off and full
 * jitter (random × min(1 s × 2^retry, 20 s) for throttling in @smithy/core 2026), up to maxAttempts,
 * while its retry quota lasts (500 tokens, 5 a throttled retry). Stacking a second loop on top would
 * multiply the attempts (5 × 5). So shipit's loop (sendInFlight) counts the attempts the SDK already
 * made ($metadata.attempts) against the same --max-attempts, and only continues where the SDK stopped
 * short of it: calls sent with a single attempt (creates that must not be resent blindly: a throttled
 * call was not processed, so sending it again is safe), a retry quota used up by a big deploy, and a
 * "Rate exceeded" under a code the SDK does not know. Its back-off is the SDK's (same base, cap and
 * jitter), it leaves its slot while it waits, it is told through the same retry notices, and it ends at
 * the call's deadline (--call-timeout: the signal of boundedCall aborts the back-off).
 */

/**
 * Calls in flight per service, per account and region (all the clients of a process share them).
 * - lambda 8: Lambda's control-plane quota is 15 requests/s (GetFunction 100/s, GetPolicy 15/s),
 *   https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * - apigatewayv2 5: API Gateway's management calls share 10 requests/s (burst 40) per account,
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 * - logs 3: CloudWatch Logs allows CreateLogGroup and PutRetentionPolicy 5 transactions/s each,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
 * - iam 5: IAM publishes no rate, and its control plane is one for every region of the account
 *   (writes from every region and tool meet there), so it gets less than the default.
 * - ecs, ec2 10: both meter each action with a token bucket refilled at 20 (EC2 non-mutating) or
 *   more a second ("Request throttling" in the ECS and EC2 API references); 10 stays under it.
 */
export const IN_FLIGHT_PER_SERVICE: Readonly<Record<ServiceName, number>> = {
  lambda: 8,
  apigatewayv2: 5,
  iam: 5,
  sts: 10,
  logs: 3,
  ecs: 10,
  ec2: 10,
  ecr: 10,
  resourcegroupstaggingapi: 5,
  s3: 10,
  dynamodb: 10,
  scheduler: 5,
  ssm: 5,
  secretsmanager: 10,
  cloudwatch: 5,
  acm: 5,
  route53: 5,
  elbv2: 5,
}

/** The throttling back-off: the SDK's own numbers (@smithy/core util-retry, 2026 config); baseMs is a test hook. */
export const throttleBackoff = { baseMs: 1_000, capMs: 20_000 }

/** Full jitter: a random delay in [0, min(cap, base × 2^retries)). */
export function throttleDelayMs(retries: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(throttleBackoff.capMs, throttleBackoff.baseMs * 2 ** retries))
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'EC2ThrottledException',
  'SlowDown',
])

interface ErrorFields {
  name?: string
  message?: string
  $retryable?: { throttling?: boolean }
  $metadata?: { httpStatusCode?: number; attempts?: number }
}

/** AWS said "later": the call was not processed, so sending it again is safe whatever it is. */
export function isThrottling(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const e = err as ErrorFields
  return (
    THROTTLING_NAMES.has(e.name ?? '') || Boolean(e.$retryable?.throttling) || e.$metadata?.httpStatusCode === 429 || /\brate exceeded\b/i.test(e.message ?? '')
  )
}

/** Attempts the SDK made for one send (its retry middleware records them on the error). */
function attemptsOf(err: unknown): number {
  const n = (err as ErrorFields | null)?.$metadata?.attempts
  return typeof n === 'number' && n > 1 ? n : 1
}

/**
 * A first-in first-out counting semaphore: calls start in the order they asked, those asked `behind`
 * (reads that may prove needless) after every other caller waiting.
 */
export class FifoSemaphore {
  private active = 0
  private readonly queue: { grant: () => void }[] = []
  private readonly behind: { grant: () => void }[] = []

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.active
  }

  get waiting(): number {
    return this.queue.length + this.behind.length
  }

  /** Resolves with the release of a slot; rejects with the signal's reason when aborted while waiting. */
  acquire(signal?: AbortSignal, behind = false): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.active < this.limit && this.waiting === 0) {
      this.active += 1
      return Promise.resolve(this.releaser())
    }
    const queue = behind ? this.behind : this.queue
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          this.active += 1
          resolve(this.releaser())
        },
      }
      const onAbort = () => {
        const at = queue.indexOf(entry)
        if (at >= 0) queue.splice(at, 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      queue.push(entry)
    })
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      this.active -= 1
      ;(this.queue.shift() ?? this.behind.shift())?.grant()
    }
  }
}

const semaphores = new Map<string, FifoSemaphore>()

/** The slots of a service at an endpoint (a region, or --endpoint-url), shared by every client of the process. */
export function serviceSlots(service: ServiceName, where: string): FifoSemaphore {
  const key = `${where}/${service}`
  let s = semaphores.get(key)
  if (!s) {
    s = new FifoSemaphore(IN_FLIGHT_PER_SERVICE[service])
    semaphores.set(key, s)
  }
  return s
}

/**
 * A read that may prove needless (the parts of a role that may not exist): it waits behind the calls
 * of its service that are not, and when its turn comes and it is no longer needed it is not sent.
 */
export interface Speculative {
  needed: () => boolean
}

/** A speculative read given up before it was sent: its answer could no longer matter. */
export class NotNeeded extends Error {
  override readonly name = 'NotNeeded'
}

interface InFlightOptions {
  /** service:Operation, for the notices */
  call: string
  slots: FifoSemaphore
  /** attempts in all (--max-attempts), the SDK's included */
  maxAttempts: number
  onRetry?: (notice: RetryNotice) => void
  /** the call's signal: its deadline and the clients' closing; aborts a wait for a slot or a back-off */
  signal?: AbortSignal
  speculative?: Speculative
}

/**
 * One send in a slot of its service; throttled, sent again after a back-off out of the slot, for as
 * long as the attempts (the SDK's included) stay within maxAttempts and the signal allows.
 */
export async function sendInFlight<T>(o: InFlightOptions, send: () => Promise<T>): Promise<T> {
  let attempts = 0
  for (;;) {
    // a speculative read with a free slot is sent at once, as any other; one that waits is asked, its turn come, whether it is still needed
    const queued = o.slots.waiting > 0 || o.slots.inFlight >= o.slots.limit
    const release = await o.slots.acquire(o.signal, o.speculative !== undefined)
    // the slot may be this one's because the call that decides it just answered: that answer is taken in first
    if (o.speculative && queued && (await afterAnswers(o.speculative))) {
      release()
      throw new NotNeeded(`${o.call} was not sent: its answer is no longer needed`)
    }
    let error: unknown
    try {
      return await send()
    } catch (e) {
      error = e
    } finally {
      release()
    }
    attempts += attemptsOf(error)
    if (!isThrottling(error) || attempts >= o.maxAttempts || o.signal?.aborted) throw error
    const delayMs = throttleDelayMs(attempts - 1)
    o.onRetry?.({ call: o.call, attempt: attempts + 1, maxAttempts: o.maxAttempts, delayMs, reason: 'throttled' })
    await pause(delayMs, o.signal)
  }
}

/** Whether a speculative read is no longer needed, asked once the answers already in are taken in. */
async function afterAnswers(speculative: Speculative): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve))
  return !speculative.needed()
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
