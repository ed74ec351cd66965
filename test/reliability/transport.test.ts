/**
 * Transport: the real SDK client path (AwsClients → SDK v3 clients → SigV4 → the Node HTTP handler →
 * the protocol deserializers) against a loopback stub of AWS on 127.0.0.1, in-process and through
 * the built CLI with --endpoint-url. Throttling is retried and succeeds; a non-retryable error stops
 * at once with AWS's words and exit 1; a hung endpoint fails within the configured bound; the
 * endpoint settings and the user agent are honoured; credentials are sent but never printed.
 *
 * Nothing here uses the in-memory fake (test/fakes/aws.ts): every call goes over HTTP.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AwsClients, type AwsSettings } from '../../src/aws/clients.js'
import { translateAwsError } from '../../src/aws/errors.js'
import type { ServiceName } from '../../src/plan/types.js'
import { SHIPIT_VERSION } from '../../src/version.js'
import { cleanEnv, type Run, shipit } from '../helpers/cli.js'
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
})

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
    // measured from the first request: the process start-up (module loading) is not the endpoint's doing
    expect(run.msFromFirstRequest).toBeDefined()
    expect(run.msFromFirstRequest).toBeGreaterThanOrEqual(1000)
    expect(run.msFromFirstRequest).toBeLessThan(5000)
    expect(run.stub.requests.every((r) => r.attempt === 1)).toBe(true)
  }, 60_000)

  it('--endpoint-url and AWS_ENDPOINT_URL are both honoured: every read goes to the stub, with shipit/ in the user agent', async () => {
    for (const name of ['flag', 'env']) {
      const run = await runs[name]
      expect(run.code, `${name}: ${run.stderr}`).toBe(0)
      expect(new Set(run.stub.requests.map((r) => r.service)), name).toEqual(new Set(['lambda', 'apigateway', 'iam', 'logs', 'sts']))
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
