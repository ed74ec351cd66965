import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RetryNotice } from '../../src/aws/bounds.js'
import { FifoSemaphore, IN_FLIGHT_PER_SERVICE, isThrottling, NotNeeded, sendInFlight, throttleBackoff, throttleDelayMs } from '../../src/aws/in-flight.js'
import type { ServiceName } from '../../src/aws/services.js'
import { awsError } from '../fakes/core.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, project } from '../helpers/session.js'

const tick = () => new Promise((r) => setImmediate(r))

describe('FifoSemaphore', () => {
  it('lets `limit` in at once and the others in the order they asked', async () => {
    const s = new FifoSemaphore(2)
    const order: number[] = []
    const releases = await Promise.all([s.acquire(), s.acquire()])
    const waiting = [3, 4, 5].map((n) =>
      s.acquire().then((release) => {
        order.push(n)
        return release
      }),
    )
    await tick()
    expect([s.inFlight, s.waiting, order]).toEqual([2, 3, []])
    releases[0]()
    releases[0]() // a second release of the same slot changes nothing
    await tick()
    expect([s.inFlight, s.waiting, order]).toEqual([2, 2, [3]])
    releases[1]()
    ;(await waiting[0])()
    await tick()
    expect(order).toEqual([3, 4, 5])
    expect(s.inFlight).toBe(2)
  })

  it('a caller whose signal aborts while it waits leaves the queue with the reason, and takes no slot', async () => {
    const s = new FifoSemaphore(1)
    const release = await s.acquire()
    const abort = new AbortController()
    const waiting = s.acquire(abort.signal)
    abort.abort(new Error('deadline'))
    await expect(waiting).rejects.toThrow('deadline')
    expect(s.waiting).toBe(0)
    release()
    expect(s.inFlight).toBe(0)
  })
})

describe('speculative reads', () => {
  it('wait behind every other caller waiting, whenever they asked', async () => {
    const s = new FifoSemaphore(1)
    const order: string[] = []
    const release = await s.acquire()
    const take = (name: string, behind: boolean) =>
      s.acquire(undefined, behind).then((r) => {
        order.push(name)
        r()
      })
    const all = [take('part of a', true), take('b', false), take('part of b', true), take('c', false)]
    release()
    await Promise.all(all)
    expect(order).toEqual(['b', 'c', 'part of a', 'part of b'])
  })

  it('a queued one no longer needed when its turn comes is not sent, and leaves its slot to the next', async () => {
    const slots = new FifoSemaphore(1)
    let missing = false
    const release = await slots.acquire()
    const sent: string[] = []
    const read = (name: string) =>
      sendInFlight({ call: `iam:${name}`, slots, maxAttempts: 5, speculative: { needed: () => !missing } }, async () => {
        sent.push(name)
        return name
      })
    const part = read('ListAttachedRolePolicies')
    // the call that decides it answers "no such role" as it leaves its slot
    missing = true
    release()
    await expect(part).rejects.toBeInstanceOf(NotNeeded)
    expect(sent).toEqual([])
    expect([slots.inFlight, slots.waiting]).toEqual([0, 0])
  })

  it('one with a free slot is sent at once, needed or not (one app: nothing changes)', async () => {
    const sent: string[] = []
    const out = await sendInFlight(
      { call: 'iam:GetRolePolicy', slots: new FifoSemaphore(5), maxAttempts: 5, speculative: { needed: () => false } },
      async () => {
        sent.push('GetRolePolicy')
        return 'policy'
      },
    )
    expect([out, sent]).toEqual(['policy', ['GetRolePolicy']])
  })
})

describe('throttling', () => {
  it.each([
    ['lambda', 'TooManyRequestsException', 'Rate exceeded', 429],
    ['logs', 'ThrottlingException', 'Rate exceeded', 400],
    ['iam', 'Throttling', 'Rate exceeded', 400],
    ['ec2', 'RequestLimitExceeded', 'Request limit exceeded.', 503],
    ['dynamodb', 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.', 400],
    // a code the SDK does not list as throttling, with AWS's words for it
    ['ecs', 'ClientException', 'Rate exceeded', 400],
  ] as [ServiceName, string, string, number][])('%s %s (%s) is throttling', (service, name, message, status) => {
    expect(isThrottling(awsError(service, name, message, status))).toBe(true)
  })

  it('a quota (LimitExceededException: too many functions) or a conflict is not', () => {
    expect(isThrottling(awsError('lambda', 'CodeStorageExceededException', 'Code storage limit exceeded.', 400))).toBe(false)
    expect(isThrottling(awsError('apigatewayv2', 'ConflictException', 'Unable to complete operation due to concurrent modification.', 409))).toBe(false)
  })

  it('back-off: full jitter under base × 2^retries, capped at 20 s', () => {
    expect(throttleDelayMs(0, () => 0.999)).toBe(999)
    expect(throttleDelayMs(3, () => 0.5)).toBe(4000)
    expect(throttleDelayMs(10, () => 0.999)).toBe(19_980)
    expect(throttleDelayMs(2, () => 0)).toBe(0)
  })
})

describe('sendInFlight', () => {
  const base = throttleBackoff.baseMs
  beforeEach(() => {
    throttleBackoff.baseMs = 10
  })
  afterEach(() => {
    throttleBackoff.baseMs = base
  })
  const throttledError = (attempts = 1) =>
    Object.assign(awsError('logs', 'ThrottlingException', 'Rate exceeded'), { $metadata: { httpStatusCode: 400, attempts } })

  it('a throttled single attempt is sent again, told before each back-off, until it succeeds', async () => {
    const notices: RetryNotice[] = []
    let sends = 0
    const out = await sendInFlight({ call: 'logs:CreateLogGroup', slots: new FifoSemaphore(1), maxAttempts: 5, onRetry: (n) => notices.push(n) }, async () => {
      sends += 1
      if (sends < 3) throw throttledError()
      return 'ok'
    })
    expect(out).toBe('ok')
    expect(notices.map((n) => [n.call, n.attempt, n.maxAttempts, n.reason])).toEqual([
      ['logs:CreateLogGroup', 2, 5, 'throttled'],
      ['logs:CreateLogGroup', 3, 5, 'throttled'],
    ])
  })

  it("counts the SDK's own attempts: throttled after the SDK made all of them, it is not sent again (no second loop)", async () => {
    let sends = 0
    const err = await sendInFlight({ call: 'logs:DescribeLogGroups', slots: new FifoSemaphore(1), maxAttempts: 5 }, async () => {
      sends += 1
      throw throttledError(5)
    }).catch((e: unknown) => e)
    expect(sends).toBe(1)
    expect(err).toMatchObject({ name: 'ThrottlingException' })
    // the SDK stopped at 2 of 5 each time (its retry quota ran out): sent again while under 5 in all (2 + 2 + 2)
    sends = 0
    await sendInFlight({ call: 'logs:DescribeLogGroups', slots: new FifoSemaphore(1), maxAttempts: 5 }, async () => {
      sends += 1
      throw throttledError(2)
    }).catch(() => {})
    expect(sends).toBe(3)
  })

  it('another error is not sent again; a throttled call leaves its slot while it backs off', async () => {
    const slots = new FifoSemaphore(1)
    let sends = 0
    await expect(
      sendInFlight({ call: 'lambda:GetFunction', slots, maxAttempts: 5 }, async () => {
        sends += 1
        throw awsError('lambda', 'ResourceNotFoundException', 'Function not found: x', 404)
      }),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
    expect(sends).toBe(1)
    throttleBackoff.baseMs = 200
    let first = 0
    const throttledOnce = sendInFlight({ call: 'lambda:GetFunction', slots, maxAttempts: 5 }, async () => {
      first += 1
      if (first === 1) throw throttledError()
      return 'first'
    })
    await tick()
    // while the first backs off, another call has the slot
    expect(slots.inFlight).toBe(0)
    await expect(sendInFlight({ call: 'lambda:GetFunction', slots, maxAttempts: 5 }, async () => 'second')).resolves.toBe('second')
    await expect(throttledOnce).resolves.toBe('first')
  })

  it("the call's deadline ends a back-off with the deadline's error", async () => {
    throttleBackoff.baseMs = 60_000
    const deadline = new AbortController()
    const call = sendInFlight({ call: 'iam:CreateRole', slots: new FifoSemaphore(1), maxAttempts: 5, signal: deadline.signal }, async () => {
      throw throttledError()
    })
    setTimeout(() => deadline.abort(new Error('iam:CreateRole timed out after 1 s in all')), 20)
    await expect(call).rejects.toThrow('timed out after 1 s in all')
  })
})

const lambdaApp = (i: number) => `
name: app${String(i).padStart(2, '0')}
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /", "POST /items"]
`

describe('20 lambda apps deployed at once while AWS throttles 10 % of calls', () => {
  const fake = useFakeAws({ latencyMs: 25 })
  const base = throttleBackoff.baseMs
  beforeEach(() => {
    fake.reset()
    // the back-off's shape is tested above; here its base is short so that the test is quick
    throttleBackoff.baseMs = 20
  })
  afterEach(() => {
    throttleBackoff.baseMs = base
  })

  it('every deploy succeeds and no service ever has more calls in flight than its bound', async () => {
    const dirs = Array.from({ length: 20 }, (_, i) => project(lambdaApp(i)))
    const throttling = fake.throttleRandomly(0.1, { seed: 22 })
    const outcomes = await Promise.all(dirs.map((dir) => deploy(dir, { target: 'lambda' })))
    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill('applied'))
    // everything is there, once
    expect(fake.state.functions.size).toBe(20)
    expect(fake.state.apis.size).toBe(20)
    expect(fake.state.roles.size).toBe(20)
    const peak = fake.inFlight.peak
    for (const [service, n] of Object.entries(peak) as [ServiceName, number][]) expect(n, service).toBeLessThanOrEqual(IN_FLIGHT_PER_SERVICE[service])
    // the bound is what held them: without it 20 deploys would have had 20 of their first reads in flight
    expect(peak.lambda).toBe(IN_FLIGHT_PER_SERVICE.lambda)
    expect(peak.iam).toBe(IN_FLIGHT_PER_SERVICE.iam)
    // and AWS did throttle, about one call in ten
    expect(fake.calls.length).toBeGreaterThan(20 * 20)
    expect(throttling.throttled).toBeGreaterThan(fake.calls.length * 0.05)
    expect(throttling.throttled).toBeLessThan(fake.calls.length * 0.15)
  }, 60_000)
})
