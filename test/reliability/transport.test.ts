/**
 * Transport: the real SDK client path (AwsClients → SDK v3 clients → SigV4 → the Node HTTP handler →
 * the protocol deserializers) against a loopback stub of AWS on 127.0.0.1, in-process and through
 * the built CLI with --endpoint-url. Throttling is retried and succeeds; a non-retryable error stops
 * at once with AWS's words and exit 1; a hung endpoint fails within the configured bound; the
 * endpoint settings and the user agent are honoured; credentials are sent but never printed.
 *
 * Nothing here uses the in-memory fake (test/fakes/aws.ts): every call goes over HTTP.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeRetry, describeSlowCall, type RetryNotice } from '../../src/aws/bounds.js'
import { AwsClients, type AwsSettings } from '../../src/aws/clients.js'
import { translateAwsError } from '../../src/aws/errors.js'
import type { ServiceName } from '../../src/plan/types.js'
import { SHIPIT_VERSION } from '../../src/version.js'
import { cleanEnv, RUN, type Run, shipit } from '../helpers/cli.js'
import { awsError, emptyAccount, jsonOk, type LoopbackStub, queryOk, STUB_ACCOUNT, type StubHandler, type StubRequest, startStub } from '../helpers/loopback.js'
import { project } from '../helpers/session.js'

const ACCESS_KEY_ID = 'transport-test-key-id'
const SECRET_ACCESS_KEY = 'transport/Test+Secret0123456789abcdefGHIJ'
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjTRANSPORTsessionTOKEN0123456789abcdefEXAMPLE=='
const REGION = 'us-west-2'
const USER_AGENT = `shipit/${SHIPIT_VERSION}`
const STACK_FRAME = /^\s*at .+(:\d+:\d+\)?|\(native\))$/m

const MANIFEST = `name: hello
target: lambda
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /"]
`

const DENIED = (op: string) =>
  `User: arn:aws:iam::${STUB_ACCOUNT}:user/ci is not authorized to perform: lambda:${op} on resource: arn:aws:lambda:${REGION}:${STUB_ACCOUNT}:function:hello-dev because no identity-based policy allows the lambda:${op} action`

const FUNCTION = {
  Configuration: {
    FunctionName: 'hello-dev',
    FunctionArn: `arn:aws:lambda:${REGION}:${STUB_ACCOUNT}:function:hello-dev`,
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    MemorySize: 128,
    Timeout: 10,
    RevisionId: 'b0f4c1a2-0000-4000-8000-000000000001',
    Architectures: ['x86_64'],
  },
  Tags: { 'shipit:app': 'hello', 'shipit:env': 'dev' },
}

// ---------------------------------------------------------------------------------------------
// in-process: AwsClients with the stub as endpoint, credentials from the environment

const saved: Record<string, string | undefined> = {}
const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ENDPOINT_URL',
  'AWS_EC2_METADATA_DISABLED',
]
beforeAll(() => {
  for (const k of ENV_KEYS) saved[k] = process.env[k]
  for (const k of ENV_KEYS) delete process.env[k]
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
})
afterAll(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

// each test has its own stub and clients, so the in-process tests run concurrently; all are closed at the end
const open: { stub: LoopbackStub; clients: AwsClients }[] = []
afterAll(async () => {
  for (const { stub, clients } of open.splice(0)) {
    clients.destroy()
    await stub.close()
  }
})

/**
 * The SDK's backoff is `random × base × 2^retry` (base 1 s for throttling, 50 ms otherwise): a small
 * random keeps this file fast while every retry still waits (the tests check totalRetryDelay > 0).
 * Only this worker's in-process SDK is affected, not the CLI processes.
 */
beforeAll(() => {
  vi.spyOn(Math, 'random').mockReturnValue(0.05)
})
afterAll(() => {
  vi.restoreAllMocks()
})

async function connect(handler: StubHandler, settings: Partial<AwsSettings> = {}, maxRequests = 20): Promise<{ stub: LoopbackStub; clients: AwsClients }> {
  const stub = await startStub(handler, { maxRequests })
  const clients = new AwsClients({ region: REGION, endpoint: stub.url, ...settings })
  open.push({ stub, clients })
  return { stub, clients }
}

interface ThrottleCase {
  service: ServiceName
  operation: string
  input: Record<string, unknown>
  throttle: [number, string][]
  ok: (req: StubRequest) => ReturnType<typeof jsonOk>
  check: (out: any) => void
}

const THROTTLED: ThrottleCase[] = [
  {
    service: 'lambda',
    operation: 'GetFunction',
    input: { FunctionName: 'hello-dev' },
    throttle: [
      [429, 'TooManyRequestsException'],
      [400, 'ThrottlingException'],
    ],
    ok: (req) => jsonOk(req, FUNCTION),
    check: (out) => expect(out.Configuration.RevisionId).toBe(FUNCTION.Configuration.RevisionId),
  },
  {
    service: 'logs',
    operation: 'DescribeLogGroups',
    input: { logGroupNamePrefix: '/aws/lambda/hello-dev' },
    throttle: [
      [400, 'ThrottlingException'],
      [400, 'ThrottlingException'],
    ],
    ok: (req) => jsonOk(req, { logGroups: [{ logGroupName: '/aws/lambda/hello-dev', retentionInDays: 14 }] }),
    check: (out) => expect(out.logGroups[0].retentionInDays).toBe(14),
  },
  {
    service: 'apigatewayv2',
    operation: 'GetApis',
    input: { MaxResults: '500' },
    throttle: [
      [429, 'TooManyRequestsException'],
      [429, 'TooManyRequestsException'],
    ],
    ok: (req) => jsonOk(req, { items: [] }),
    check: (out) => expect(out.Items).toEqual([]),
  },
  {
    service: 'sts',
    operation: 'GetCallerIdentity',
    input: {},
    throttle: [
      [400, 'Throttling'],
      [400, 'Throttling'],
    ],
    ok: (req) => queryOk(req, `<Arn>arn:aws:iam::${STUB_ACCOUNT}:user/ci</Arn><UserId>AIDAEXAMPLE</UserId><Account>${STUB_ACCOUNT}</Account>`),
    check: (out) => expect(out.Account).toBe(STUB_ACCOUNT),
  },
]

describe.concurrent('throttling is retried with backoff and then succeeds', () => {
  for (const c of THROTTLED) {
    it(`${c.service} ${c.operation}: ${c.throttle.map(([s, code]) => `${s} ${code}`).join(', ')}, then 200 → success after exactly 3 attempts`, async () => {
      const { stub, clients } = await connect((req) => {
        const n = stub.requests.length
        if (n <= c.throttle.length) return awsError(req, c.throttle[n - 1][0], c.throttle[n - 1][1], 'Rate exceeded')
        return c.ok(req)
      })
      const out = await clients.sendRequest({ service: c.service, operation: c.operation, input: c.input })
      c.check(out)
      expect(stub.requests.map((r) => r.operation)).toEqual([c.operation, c.operation, c.operation])
      // one call, three attempts: the same invocation id, attempt=1..3 (standard mode, default 5 attempts)
      expect(new Set(stub.requests.map((r) => r.invocationId)).size).toBe(1)
      expect(stub.requests.map((r) => r.attempt)).toEqual([1, 2, 3])
      expect(stub.requests[0].headers['amz-sdk-request']).toBe('attempt=1; max=5')
      expect((out.$metadata as { attempts?: number; totalRetryDelay?: number }).attempts).toBe(3)
      expect((out.$metadata as { attempts?: number; totalRetryDelay?: number }).totalRetryDelay).toBeGreaterThan(0)
    })
  }

  it("throttling on every attempt gives up after --max-attempts, with AWS's throttling error and its advice", async () => {
    const { stub, clients } = await connect((req) => awsError(req, 429, 'TooManyRequestsException', 'Rate exceeded'), { maxAttempts: 3 })
    const err = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }).catch((e: unknown) => e)
    expect(stub.requests).toHaveLength(3)
    const translated = translateAwsError(err, 'reading hello-dev')
    expect(translated.message).toBe('reading hello-dev: TooManyRequestsException (HTTP 429): Rate exceeded')
    expect(translated.exitCode).toBe(1)
    expect(translated.suggestions.join(' ')).toMatch(/throttling/)
  })
})

describe.concurrent("a non-retryable error stops at the first attempt with AWS's name and message", () => {
  const CASES: { service: ServiceName; operation: string; input: Record<string, unknown>; status: number; code: string; name: string; message: string }[] = [
    {
      service: 'lambda',
      operation: 'GetFunction',
      input: { FunctionName: 'hello-dev' },
      status: 403,
      code: 'AccessDeniedException',
      name: 'AccessDeniedException',
      message: DENIED('GetFunction'),
    },
    {
      service: 'lambda',
      operation: 'GetFunction',
      input: { FunctionName: 'hello-dev' },
      status: 400,
      code: 'InvalidParameterValueException',
      name: 'InvalidParameterValueException',
      message: 'The function name is not valid.',
    },
    {
      service: 'iam',
      operation: 'GetRole',
      input: { RoleName: 'hello-dev-lambda' },
      status: 403,
      code: 'AccessDenied',
      name: 'AccessDenied',
      message: `User: arn:aws:iam::${STUB_ACCOUNT}:user/ci is not authorized to perform: iam:GetRole`,
    },
    {
      service: 'logs',
      operation: 'DescribeLogGroups',
      input: {},
      status: 400,
      code: 'AccessDeniedException',
      name: 'AccessDeniedException',
      message: 'not authorized to perform: logs:DescribeLogGroups',
    },
  ]
  for (const c of CASES) {
    it(`${c.service} ${c.operation}: ${c.status} ${c.code} → 1 attempt, "${c.name}: …" in the message`, async () => {
      const { stub, clients } = await connect((req) => awsError(req, c.status, c.code, c.message))
      const err = await clients.sendRequest({ service: c.service, operation: c.operation, input: c.input }).catch((e: unknown) => e)
      expect(stub.requests).toHaveLength(1)
      expect((err as { $metadata: { attempts: number } }).$metadata.attempts).toBe(1)
      const translated = translateAwsError(err, 'reading the live state of hello-dev')
      expect(translated.message).toBe(`reading the live state of hello-dev: ${c.name} (HTTP ${c.status}): ${c.message}`)
      expect(translated.exitCode).toBe(1)
      expect(translated.source).toBe('aws')
    })
  }

  it('whereas a 500 is retried (transient) up to maxAttempts', async () => {
    const { stub, clients } = await connect((req) => awsError(req, 500, 'ServiceException', 'Lambda was unable to process the request.'), { maxAttempts: 3 })
    const err = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }).catch((e: unknown) => e)
    expect(stub.requests.map((r) => r.attempt)).toEqual([1, 2, 3])
    expect(translateAwsError(err, 'reading').message).toBe('reading: ServiceException (HTTP 500): Lambda was unable to process the request.')
  })
})

describe.concurrent('a hung endpoint fails within the configured bound', () => {
  it('requestTimeoutMs 500, maxAttempts 2: both attempts time out and the call rejects in < 3 s', async () => {
    const { stub, clients } = await connect(() => 'hang', { requestTimeoutMs: 500, maxAttempts: 2 })
    const started = Date.now()
    const err = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('TimeoutError')
    expect(stub.requests.map((r) => r.attempt)).toEqual([1, 2])
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(3000)
    expect(translateAwsError(err, 'reading').message).toMatch(/^reading: TimeoutError: .*timed out after 500 ms/)
  })

  it('an endpoint that accepts the connection and sends nothing at all (not even HTTP) times out the same way', async () => {
    const { createServer } = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const server = createServer((s) => sockets.push(s))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as import('node:net').AddressInfo).port
    const clients = new AwsClients({ region: REGION, endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 500, maxAttempts: 1 })
    try {
      const started = Date.now()
      const err = await clients.send('sts', 'GetCallerIdentity', {}).catch((e: unknown) => e)
      expect((err as Error).name).toBe('TimeoutError')
      expect(Date.now() - started).toBeLessThan(2000)
      expect(sockets).toHaveLength(1)
    } finally {
      clients.destroy()
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    }
  })
})

// one at a time: these measure time
describe('each attempt and each call are bounded in total, not only by silence', () => {
  /** GetFunction's answer, its headers at once and then one byte every 100 ms: never silent for long, never done */
  const trickling = (req: StubRequest) => ({ ...jsonOk(req, FUNCTION), trickleMs: 100 })

  it('a body that trickles a byte every 100 ms: each attempt is cut at requestTimeoutMs (1000), then retried, and the call fails in < 3.5 s', async () => {
    const { stub, clients } = await connect(trickling, { requestTimeoutMs: 1000, maxAttempts: 2 })
    await clients.client('lambda') // loading the SDK module is not the call's time
    const started = Date.now()
    const err = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect((err as Error).name).toBe('TimeoutError')
    expect(translateAwsError(err, 'reading').message).toMatch(
      /^reading: TimeoutError: the request timed out after 1000 ms \(--request-timeout, the whole attempt\)$/,
    )
    expect(stub.requests.map((r) => r.attempt)).toEqual([1, 2])
    expect(elapsed).toBeGreaterThanOrEqual(1900)
    expect(elapsed).toBeLessThan(3500)
  })

  it('the same body trickled fast enough (all of it within the attempt) is read in full', async () => {
    const { clients } = await connect((req) => ({ ...jsonOk(req, { Configuration: { FunctionName: 'hello-dev' } }), trickleMs: 2 }), { requestTimeoutMs: 2000 })
    const out = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' })
    expect(out.Configuration?.FunctionName).toBe('hello-dev')
  })

  it('the call deadline ends a call across its attempts: callTimeoutMs 1500 over attempts of 400 ms × 5', async () => {
    const { stub, clients } = await connect(() => 'hang', { requestTimeoutMs: 400, maxAttempts: 5, callTimeoutMs: 1500 })
    await clients.client('lambda')
    const started = Date.now()
    const err = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect((err as Error).name).toBe('TimeoutError')
    expect((err as Error).message).toBe('lambda:GetFunction timed out after 1.5 s in all (--call-timeout; every attempt and back-off included)')
    expect(elapsed).toBeGreaterThanOrEqual(1450)
    expect(elapsed).toBeLessThan(2200)
    // attempts were cut at 400 ms and retried until the deadline, which came before the fifth
    expect(stub.requests.length).toBeGreaterThanOrEqual(2)
    expect(stub.requests.length).toBeLessThan(5)
  })

  it('retries are told before their back-off, with the call, the attempt and the delay; a slow call is told while it runs', async () => {
    const retries: RetryNotice[] = []
    const slow: string[] = []
    const { stub, clients } = await connect(
      async (req) => {
        if (req.attempt < 3) return awsError(req, 400, 'ThrottlingException', 'Rate exceeded')
        await new Promise((r) => setTimeout(r, 700))
        return jsonOk(req, FUNCTION)
      },
      { onRetry: (n) => retries.push(n), onSlowCall: (n) => slow.push(describeSlowCall(n)), slowCallMs: 300 },
    )
    const out = await clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' })
    expect(stub.requests).toHaveLength(3)
    expect(retries.map((n) => [n.call, n.attempt, n.maxAttempts, n.reason])).toEqual([
      ['lambda:GetFunction', 2, 5, 'throttled'],
      ['lambda:GetFunction', 3, 5, 'throttled'],
    ])
    // the delays told are the delays waited
    expect(retries.reduce((sum, n) => sum + n.delayMs, 0)).toBe(out.$metadata.totalRetryDelay)
    expect(describeRetry(retries[1])).toBe(`lambda:GetFunction throttled, retry 3/5 in ${(retries[1].delayMs / 1000).toFixed(1)} s`)
    expect(slow[0]).toMatch(/^still waiting for lambda:GetFunction \(\d+ s\)$/)
  })

  it('many calls at once on one set of clients, failing and retried, with and without a caller signal: no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      const { clients } = await connect((req) => awsError(req, 503, 'ServiceUnavailableException', 'try again'), { maxAttempts: 3 }, 200)
      const apply = new AbortController()
      await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) => clients.send('lambda', 'GetFunction', { FunctionName: `f${i}` }, i % 2 ? apply.signal : undefined)),
      )
      await new Promise((r) => setImmediate(r))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning')
  })
})

describe.concurrent('calls in flight when the clients are destroyed (a sibling call failed)', () => {
  it('are abandoned at once, not retried on the closed connection', async () => {
    const { stub, clients } = await connect(async (req) => {
      await new Promise((r) => setTimeout(r, 400))
      return emptyAccount(req)
    })
    const pending = clients.send('logs', 'DescribeLogGroups', {}).then(
      () => 'answered',
      (e: Error) => e.name,
    )
    while (stub.requests.length === 0) await new Promise((r) => setTimeout(r, 10))
    const started = Date.now()
    clients.destroy()
    expect(await pending).toBe('AbortError')
    expect(Date.now() - started).toBeLessThan(300)
    await new Promise((r) => setTimeout(r, 450))
    expect(stub.requests.map((r) => r.attempt)).toEqual([1])
  })
})

describe.concurrent('endpoint, user agent and signing', () => {
  it("every service goes to the configured endpoint, signed with the environment's credentials, with shipit/ in the user agent", async () => {
    const { stub, clients } = await connect(emptyAccount)
    await Promise.allSettled([
      clients.send('lambda', 'GetFunction', { FunctionName: 'hello-dev' }),
      clients.send('apigatewayv2', 'GetApis', {}),
      clients.send('iam', 'GetRole', { RoleName: 'r' }),
      clients.send('logs', 'DescribeLogGroups', {}),
      clients.send('sts', 'GetCallerIdentity', {}),
    ])
    expect(new Set(stub.requests.map((r) => r.service))).toEqual(new Set(['lambda', 'apigateway', 'iam', 'logs', 'sts']))
    for (const r of stub.requests) {
      expect(String(r.headers['user-agent'])).toContain(USER_AGENT)
      expect(String(r.headers['x-amz-user-agent'])).toContain(USER_AGENT)
      expect(String(r.headers.authorization)).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/${REGION}/${r.service}/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$`),
      )
      // the secret signs; it is never sent
      expect(JSON.stringify(r.headers) + r.body).not.toContain(SECRET_ACCESS_KEY)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// the built CLI: `shipit plan|deploy --endpoint-url <stub>` with dummy credentials

interface CliResult extends Run {
  stub: LoopbackStub
  ms: number
  /** from the first request the stub saw to the exit of the process */
  msFromFirstRequest?: number
}

/** At most 4 CLI processes at once (each spawn is ~0.6 s of CPU, mostly module loading). */
let running = 0
const waiting: (() => void)[] = []
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 4) await new Promise<void>((r) => waiting.push(r))
  running++
  try {
    return await f()
  } finally {
    running--
    waiting.shift()?.()
  }
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_REGION: REGION,
    ...extra,
  })
}

/** Run the CLI in a fresh project against a fresh stub; `args` get `-f app.yaml`, and `--endpoint-url` unless `viaEnv`. */
function cli(handler: StubHandler, args: string[], options: { viaEnv?: boolean } = {}): Promise<CliResult> {
  return slot(async () => {
    const stub = await startStub(handler, { maxRequests: 60 })
    const dir = project(MANIFEST)
    const started = Date.now()
    try {
      const run = await shipit([...args, '-f', join(dir, 'app.yaml'), ...(options.viaEnv ? [] : ['--endpoint-url', stub.url])], {
        cwd: dir,
        env: cliEnv(options.viaEnv ? { AWS_ENDPOINT_URL: stub.url } : {}),
        timeoutMs: 60_000,
      })
      const ended = Date.now()
      const first = stub.requests[0]?.receivedAt
      return { ...run, stub, ms: ended - started, msFromFirstRequest: first === undefined ? undefined : ended - first }
    } finally {
      await stub.close()
    }
  })
}

/** What a misbehaving endpoint would reflect into its error message: what it was sent, and the secret itself. */
const echo = (req: StubRequest) =>
  `echo: authorization=${req.headers.authorization} token=${req.headers['x-amz-security-token']} secret=${SECRET_ACCESS_KEY} keyid=${ACCESS_KEY_ID}`

/** Reads find nothing, except GetFunction: 403, with the credentials echoed into the message. */
const deniedGetFunction: StubHandler = (req) =>
  req.operation === 'GetFunction' ? awsError(req, 403, 'AccessDeniedException', `${DENIED('GetFunction')}; ${echo(req)}`) : emptyAccount(req)

/** Reads find nothing; every write is refused, with the credentials echoed into the message. */
const deniedWrites: StubHandler = (req) => {
  const answer = emptyAccount(req)
  if (answer.status !== 403) return answer
  const message = `User: arn:aws:iam::${STUB_ACCOUNT}:user/ci is not authorized to perform: ${req.service}:${req.operation}; ${echo(req)}`
  return awsError(req, 403, req.protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException', message)
}

// started at once, so that the processes overlap the in-process tests above; each test awaits its own
const runs: Record<string, Promise<CliResult>> = {}
beforeAll(() => {
  const start = (name: string, f: () => Promise<CliResult>) => {
    runs[name] = f()
    runs[name].catch(() => {})
  }
  start('plan', () => cli(deniedGetFunction, ['plan']))
  start('deploy', () => cli(deniedWrites, ['deploy', '--yes']))
  start('hung', () => cli(() => 'hang', ['plan', '--request-timeout', '1', '--max-attempts', '1']))
  start('flag', () => cli(emptyAccount, ['plan']))
  start('env', () => cli(emptyAccount, ['plan'], { viaEnv: true }))
  start('plan --json', () => cli(deniedGetFunction, ['plan', '--json']))
  start('plan --debug', () => cli(deniedGetFunction, ['plan', '--debug']))
  start('trickle', () => cli(tricklingGetFunction, ['plan', '--request-timeout', '1', '--max-attempts', '2']))
  start('deadline', () => cli(() => 'hang', ['plan', '--request-timeout', '30', '--call-timeout', '2']))
})

/** Reads find nothing, except GetFunction: its answer's headers at once, then a byte every 200 ms. */
const tricklingGetFunction: StubHandler = (req) => (req.operation === 'GetFunction' ? { ...jsonOk(req, FUNCTION), trickleMs: 200 } : emptyAccount(req))

function noStackTrace(run: Run): void {
  expect(`${run.stdout}\n${run.stderr}`).not.toMatch(STACK_FRAME)
  expect(run.stderr).not.toContain('this looks like a bug in shipit')
}

describe('through the built CLI', () => {
  it("plan --endpoint-url: AccessDeniedException on GetFunction → exit 1, AWS's message on stderr, no retry, no stack trace", async () => {
    const run = await runs.plan
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/^Error: reading the live state of hello-dev: AccessDeniedException \(HTTP 403\): /)
    expect(run.stderr).toContain(DENIED('GetFunction'))
    noStackTrace(run)
    expect(run.stub.requests.filter((r) => r.operation === 'GetFunction').length).toBeGreaterThanOrEqual(1)
    // not the refused call, nor the reads in flight beside it when the command failed, was sent twice
    expect(run.stub.requests.every((r) => r.attempt === 1)).toBe(true)
  }, 60_000)

  it("deploy --yes --endpoint-url: the first writes are refused (403) → stops there, exit 1, AWS's message, each write sent once", async () => {
    const run = await runs.deploy
    expect(run.code, run.stderr).toBe(1)
    // the steps with nothing to wait for start together (role, log group, API); each is refused once,
    // and nothing that depends on them (policy attachment, retention, function, …) is attempted
    const writes = run.stub.requests.filter((r) => !/^(Get|List|Describe)/.test(r.operation))
    expect(writes.length).toBeGreaterThanOrEqual(1)
    expect(run.stub.requests.every((r) => r.attempt === 1)).toBe(true)
    expect(new Set(writes.map((w) => w.operation)).size).toBe(writes.length)
    expect(writes.map((w) => w.operation)).not.toContain('CreateFunction')
    expect(writes.map((w) => w.operation)).not.toContain('AttachRolePolicy')
    expect(run.stderr).toMatch(/AccessDenied(Exception)? \(HTTP 403\): User: arn:aws:iam::123456789012:user\/ci is not authorized to perform: /)
    expect(run.stderr).toMatch(/done \(0\): nothing/)
    expect(run.stderr).toMatch(/run the same command again/)
    noStackTrace(run)
  }, 60_000)

  it('plan --request-timeout 1 --max-attempts 1 against a hung endpoint → exit 1 with a timeout message, within ~5 s of the first request', async () => {
    const run = await runs.hung
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/TimeoutError: .*timed out after 1000 ms/)
    expect(run.stderr).toMatch(/did not answer in time/)
    noStackTrace(run)
    // measured from the first request: the process start-up (module loading) is not the endpoint's doing;
    // the attempt's 1 s counts from when the SDK starts it (signing, connecting), a moment before the stub sees it
    expect(run.msFromFirstRequest).toBeDefined()
    expect(run.msFromFirstRequest).toBeGreaterThanOrEqual(800)
    expect(run.msFromFirstRequest).toBeLessThan(5000)
    expect(run.stub.requests.every((r) => r.attempt === 1)).toBe(true)
  }, 60_000)

  it('--endpoint-url and AWS_ENDPOINT_URL are both honoured: every read goes to the stub, with shipit/ in the user agent', async () => {
    for (const name of ['flag', 'env']) {
      const run = await runs[name]
      expect(run.code, `${name}: ${run.stderr}`).toBe(0)
      // dynamodb: the plan's one read of the deploy lock; scheduler: the schedule group (a schedule app.yaml dropped is removed)
      expect(new Set(run.stub.requests.map((r) => r.service)), name).toEqual(new Set(['lambda', 'apigateway', 'iam', 'logs', 'sts', 'dynamodb', 'scheduler']))
      for (const r of run.stub.requests) expect(String(r.headers['user-agent']), name).toContain(USER_AGENT)
      expect(run.stdout, name).toContain('hello-dev')
    }
  }, 60_000)

  it("credentials are sent (Authorization, X-Amz-Security-Token) but never printed — text, --json, --debug, apply failures — even when AWS's message echoes them", async () => {
    for (const name of ['plan', 'plan --json', 'plan --debug', 'deploy']) {
      const run = await runs[name]
      const output = `${run.stdout}\n${run.stderr}`
      expect(run.code, `${name}: ${output}`).toBe(1)
      for (const r of run.stub.requests) {
        expect(String(r.headers.authorization), name).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/`))
        expect(r.headers['x-amz-security-token'], name).toBe(SESSION_TOKEN)
      }
      // the error itself is shown, in AWS's words
      expect(output, name).toMatch(/AccessDenied(Exception)? \(HTTP 403\)/)
      expect(output, name).toContain('is not authorized to perform: ')
      for (const credential of [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN]) expect(output, name).not.toContain(credential)
      if (name === 'plan --json') expect(JSON.parse(run.stdout).error.code).toBe('AccessDeniedException')
    }
  }, 60_000)
})

describe('bounded calls through the built CLI', () => {
  it('plan against an endpoint that trickles its answer: each attempt cut after --request-timeout 1, the retry told, exit 1 within ~3 s of the first request', async () => {
    const run = await runs.trickle
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/^lambda:GetFunction timed out, retry 2\/2 in \d+\.\d s$/m)
    expect(run.stderr).toMatch(/TimeoutError: the request timed out after 1000 ms \(--request-timeout, the whole attempt\)/)
    noStackTrace(run)
    expect(run.stub.requests.filter((r) => r.operation === 'GetFunction').map((r) => r.attempt)).toContain(2)
    expect(run.msFromFirstRequest).toBeLessThan(5000)
  }, 60_000)

  it('plan against a hung endpoint with --call-timeout 2 (attempts of 30 s): the call ends at its deadline, exit 1', async () => {
    const run = await runs.deadline
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/timed out after 2 s in all \(--call-timeout; every attempt and back-off included\)/)
    expect(run.stderr).toMatch(/did not answer in time/)
    noStackTrace(run)
    // the deadline counts from the call's start, a little before its first request reached the endpoint
    expect(run.msFromFirstRequest).toBeGreaterThanOrEqual(800)
    expect(run.msFromFirstRequest).toBeLessThan(5000)
  }, 60_000)
})

/** The built CLI in a fresh project against `stub`, to be signalled by the test. */
function signalledRun(args: string[], stub: LoopbackStub) {
  const dir = project(MANIFEST)
  const child = spawn(process.execPath, [RUN, ...args, '-f', join(dir, 'app.yaml'), '--endpoint-url', stub.url], { cwd: dir, env: cliEnv() })
  let stdout = ''
  let stderr = ''
  const started = Date.now()
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const done = new Promise<Run & { endedAt: number }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started, endedAt: Date.now() })
    }),
  )
  return { child, done }
}

const firstRequest = (stub: LoopbackStub, matches: (r: StubRequest) => boolean = () => true) =>
  vi.waitFor(
    () => {
      if (!stub.requests.some(matches)) throw new Error('no request yet')
    },
    { timeout: 20_000, interval: 20 },
  )

describe('signals against a hung endpoint (the real process)', () => {
  it('SIGINT during plan: stops at once, exit 130, nothing on stdout', async () => {
    const stub = await startStub(() => 'hang')
    try {
      const { child, done } = signalledRun(['plan'], stub)
      await firstRequest(stub)
      const signalledAt = Date.now()
      child.kill('SIGINT')
      const run = await done
      expect(run.code, run.stderr).toBe(130)
      expect(run.stderr).toContain('Error: SIGINT: stopped before anything was changed')
      expect(run.stdout).toBe('')
      expect(run.endedAt - signalledAt).toBeLessThan(2000)
    } finally {
      await stub.close()
    }
  }, 40_000)

  it('deploy with a write that hangs: the first SIGTERM waits for the call in flight, the second ends the process at once with 130', async () => {
    // the deploy lock (dynamodb) is taken; the app's first write hangs
    const appWrite = (req: StubRequest) => req.service !== 'dynamodb' && !/^(Get|List|Describe)/.test(req.operation)
    const stub = await startStub((req) => (appWrite(req) ? 'hang' : emptyAccount(req)))
    try {
      const { child, done } = signalledRun(['deploy', '--yes'], stub)
      await firstRequest(stub, appWrite)
      child.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 300))
      expect(child.exitCode).toBeNull() // still waiting for the hung write
      const secondAt = Date.now()
      child.kill('SIGTERM')
      const run = await done
      expect(run.code, run.stderr).toBe(130)
      expect(run.stderr).toContain('SIGTERM: finishing the call in flight, then stopping')
      expect(run.endedAt - secondAt).toBeLessThan(1500)
    } finally {
      await stub.close()
    }
  }, 40_000)
})
