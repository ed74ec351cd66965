// Issue 22, must-be-true 2 (its lambda half): a fresh deploy of examples/hello-lambda by shipit
// against the classic tutorial's flow done by hand with the aws CLI, with 100 ms added to every call.
// `node --import tsx bench/tutorial.ts` (the runner does this).
//
// As the issue measures it (the figure held to ≤ 0.3×): each flow the way a person runs it, every
// command a process talking to the SAME endpoint through `--endpoint-url`: a loopback HTTP server
// (test/helpers/fake-endpoint.ts) that hands each request to the in-memory fake of test/fakes (which
// sleeps 100 ms, then answers from its state, as in every other bench) and encodes the answer in the
// request's wire protocol. The tutorial: `aws` (the aws CLI v1 installed here, a Python process per
// command) for create-role, attach-role-policy, create-log-group, put-retention-policy,
// create-function, `wait function-active-v2` (botocore's waiter: a poll at once, then every 1 s),
// publish-version, create-alias, create-api, create-integration, create-route ×2, create-stage,
// add-permission, one after the other (bench/tutorial-cli.ts), the account typed in. shipit:
// `bin/run.js deploy --yes -f <copy of examples/hello-lambda>/app.yaml --endpoint-url …` (the built
// CLI, its start-up, the zip and the deploy lock included) in an account where shipit ran before (the
// lock table exists; the first deploy of an account also creates it, printed beside). Both start from
// an empty account (fake.reset()), interleaved, after one unmeasured run of each at 0 ms (Python's and
// Node's caches).
//
// Second, as before (a lower bound, "at its fastest"): the tutorial's commands replayed as SDK calls
// in this process, without the aws CLI's start-up, against shipit's plan + apply in-process, on the
// same fake at 100 ms a call.
import { AwsClients } from '../src/aws/clients.js'
import { polling } from '../src/aws/waiters.js'
import { ensureLockTable } from '../src/lock/lease.js'
import { createFakeAws } from '../test/fakes/aws.js'
import { startFakeEndpoint } from '../test/helpers/fake-endpoint.js'
import { fakeCredentials } from '../test/helpers/session.js'
import { deployCounted, emit, example } from './flows.js'
import { awsCommandCost, cliContext, disposeContext, shipitByCli, shipitStartup, tutorialByCli } from './tutorial-cli.js'

const LATENCY = 100
const RUNS = Number(process.env.BENCH_TUTORIAL_RUNS ?? 3)
const REGION = 'us-west-2'
/** botocore's FunctionActiveV2 waiter: delay 1 s between polls */
const CLI_WAITER_DELAY_MS = 1000

fakeCredentials()
// the endpoint builds SDK clients of its own (the fake intercepts them): without the SDK's Node 20 notice
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
polling.intervalMs = 0
const fake = createFakeAws({ latencyMs: LATENCY, region: REGION })

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})

/** The tutorial's commands, one after the other. Returns the number of SDK calls made. */
async function byHand(clients: AwsClients, account: string): Promise<number> {
  const name = 'hello-tutorial'
  const region = fake.region
  const zip = new Uint8Array(Buffer.from('PK\u0005\u0006'.padEnd(22, '\u0000'), 'binary'))
  const start = fake.calls.length
  // aws iam create-role; aws iam attach-role-policy
  const role = await clients.send('iam', 'CreateRole', { RoleName: `${name}-role`, AssumeRolePolicyDocument: trust })
  await clients.send('iam', 'AttachRolePolicy', {
    RoleName: `${name}-role`,
    PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  })
  // aws logs create-log-group; aws logs put-retention-policy
  await clients.send('logs', 'CreateLogGroup', { logGroupName: `/tutorial/${name}` })
  await clients.send('logs', 'PutRetentionPolicy', { logGroupName: `/tutorial/${name}`, retentionInDays: 14 })
  // aws lambda create-function; aws lambda wait function-active-v2
  const fn = await clients.send('lambda', 'CreateFunction', {
    FunctionName: name,
    Runtime: 'nodejs22.x',
    Role: role.Role?.Arn,
    Handler: 'index.handler',
    Code: { ZipFile: zip },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/tutorial/${name}` },
  })
  await cliWaitActive(clients, name)
  // aws lambda publish-version; aws lambda create-alias
  const version = await clients.send('lambda', 'PublishVersion', { FunctionName: name })
  await clients.send('lambda', 'CreateAlias', { FunctionName: name, Name: 'live', FunctionVersion: version.Version })
  // aws apigatewayv2 create-api / create-integration / create-route ×2 / create-stage
  const api = await clients.send('apigatewayv2', 'CreateApi', { Name: name, ProtocolType: 'HTTP' })
  const integration = await clients.send('apigatewayv2', 'CreateIntegration', {
    ApiId: api.ApiId,
    IntegrationType: 'AWS_PROXY',
    IntegrationUri: `${fn.FunctionArn}:live`,
    PayloadFormatVersion: '2.0',
  })
  for (const RouteKey of ['GET /', 'ANY /{proxy+}']) {
    await clients.send('apigatewayv2', 'CreateRoute', { ApiId: api.ApiId, RouteKey, Target: `integrations/${integration.IntegrationId}` })
  }
  await clients.send('apigatewayv2', 'CreateStage', { ApiId: api.ApiId, StageName: '$default', AutoDeploy: true })
  // aws lambda add-permission
  await clients.send('lambda', 'AddPermission', {
    FunctionName: name,
    Qualifier: 'live',
    StatementId: 'apigateway-invoke',
    Action: 'lambda:InvokeFunction',
    Principal: 'apigateway.amazonaws.com',
    SourceArn: `arn:aws:execute-api:${region}:${account}:${api.ApiId}/*`,
  })
  return fake.calls.length - start
}

/** `aws lambda wait function-active-v2`: GetFunction at once, then every second until Active. */
async function cliWaitActive(clients: AwsClients, FunctionName: string): Promise<void> {
  for (;;) {
    const out = await clients.send('lambda', 'GetFunction', { FunctionName })
    const state = out.Configuration?.State
    if (state === 'Active') return
    if (state === 'Failed') throw new Error(`function ${FunctionName} failed: ${out.Configuration?.StateReason}`)
    await new Promise((r) => setTimeout(r, CLI_WAITER_DELAY_MS))
  }
}

async function tutorialOnce(latency: number): Promise<{ ms: number; calls: number }> {
  fake.reset()
  fake.latencyMs = latency
  const clients = new AwsClients({ region: fake.region })
  const t0 = performance.now()
  const calls = await byHand(clients, fake.account)
  const ms = performance.now() - t0
  clients.destroy()
  return { ms, calls }
}

async function shipitOnce(latency: number) {
  fake.reset()
  fake.latencyMs = latency
  const r = await deployCounted(example('hello-lambda'), { target: 'lambda' }, fake.calls)
  if (r.outcome.status !== 'applied') throw new Error(`shipit: ${r.outcome.status}`)
  return { ms: r.wallMs, calls: r.observeCalls.length + r.applyCalls.length }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** The in-process replay against shipit in-process: the lower bound of the tutorial. */
async function inProcess() {
  // unmeasured, without latency: the JIT and the lazy imports of both
  await tutorialOnce(0)
  await shipitOnce(0)
  const tutorial: number[] = []
  const shipit: number[] = []
  let tutorialCalls = 0
  let shipitCalls = 0
  for (let i = 0; i < RUNS; i++) {
    // interleaved, so that a busy moment of the machine falls on both
    const t = await tutorialOnce(LATENCY)
    const s = await shipitOnce(LATENCY)
    tutorial.push(t.ms)
    shipit.push(s.ms)
    tutorialCalls = t.calls
    shipitCalls = s.calls
  }
  return {
    tutorialMs: median(tutorial),
    shipitMs: median(shipit),
    tutorialCalls,
    shipitCalls,
    tutorialAll: tutorial.map(Math.round),
    shipitAll: shipit.map(Math.round),
  }
}

/** An empty account at `latency` ms a call; with `lockTable`, one where shipit deployed before. */
async function freshAccount(latency: number, lockTable: boolean): Promise<void> {
  fake.reset()
  fake.latencyMs = 0
  if (lockTable) {
    const clients = new AwsClients({ region: REGION })
    await ensureLockTable(clients)
    clients.destroy()
  }
  fake.calls.length = 0
  fake.latencyMs = latency
}

async function timed(f: () => Promise<unknown>): Promise<{ ms: number; calls: number }> {
  const t0 = performance.now()
  await f()
  return { ms: performance.now() - t0, calls: fake.calls.length }
}

/** Both flows as processes against one endpoint, as the issue measures them. */
async function asProcesses() {
  const endpoint = await startFakeEndpoint(fake)
  const c = cliContext(endpoint.url, REGION, fake.account)
  const app = example('hello-lambda')
  try {
    await freshAccount(0, true)
    await tutorialByCli(c)
    await freshAccount(0, true)
    await shipitByCli(c, app)
    const tutorial: number[] = []
    const shipit: number[] = []
    const firstInAccount: number[] = []
    const startup: number[] = []
    const awsCommand: number[] = []
    let tutorialCalls = 0
    let shipitCalls = 0
    let commands = 0
    for (let i = 0; i < RUNS; i++) {
      await freshAccount(LATENCY, true)
      const t = await timed(async () => (commands = (await tutorialByCli(c)).length))
      await freshAccount(LATENCY, true)
      const s = await timed(() => shipitByCli(c, app))
      await freshAccount(LATENCY, false)
      const f = await timed(() => shipitByCli(c, app))
      await freshAccount(0, false)
      startup.push((await timed(() => shipitStartup(c))).ms)
      awsCommand.push((await timed(() => awsCommandCost(c))).ms)
      tutorial.push(t.ms)
      shipit.push(s.ms)
      firstInAccount.push(f.ms)
      tutorialCalls = t.calls
      shipitCalls = s.calls
    }
    if (endpoint.unrouted.length) throw new Error(`the endpoint could not answer: ${endpoint.unrouted.join('; ')}`)
    return {
      tutorialMs: median(tutorial),
      shipitMs: median(shipit),
      firstInAccountMs: median(firstInAccount),
      startupMs: median(startup),
      awsCommandMs: median(awsCommand),
      commands,
      tutorialCalls,
      shipitCalls,
      tutorialAll: tutorial.map(Math.round),
      shipitAll: shipit.map(Math.round),
    }
  } finally {
    disposeContext(c)
    await endpoint.close()
  }
}

const cli = await asProcesses()
const sdk = await inProcess()
fake.restore()
emit({ latencyMs: LATENCY, runs: RUNS, ratio: cli.shipitMs / cli.tutorialMs, cli, sdk, sdkRatio: sdk.shipitMs / sdk.tutorialMs })
