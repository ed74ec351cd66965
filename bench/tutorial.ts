// Issue 22, must-be-true 2 (its lambda half): a fresh deploy of examples/hello-lambda by shipit
// against the classic tutorial's flow done by hand with the aws CLI, both on the in-memory fake with
// 100 ms added to every call. `node --import tsx bench/tutorial.ts` (the runner does this).
//
// The tutorial flow makes what shipit makes (the same end state: role and its policy, log group and
// retention, function, a version and the alias `live`, the HTTP API, its integration, routes and
// stage, the invoke permission), one aws command after the other as a person or a script runs them:
// each command is the SDK call it makes, through the same clients; `aws lambda wait
// function-active-v2` polls GetFunction as botocore's waiter does (at once, then every 1 s until
// Active). It is given every advantage: the account is typed in (no get-caller-identity), no
// second wait after publish-version, no sleep for IAM (the fake lets Lambda assume a new role at
// once), and the aws CLI's own start-up per command (a Python process) is not counted.
// shipit: plan + apply in-process, as bench/latency.ts (packaging included, the CLI's start not).
import { AwsClients } from '../src/aws/clients.js'
import { polling } from '../src/aws/waiters.js'
import { createFakeAws } from '../test/fakes/aws.js'
import { fakeCredentials } from '../test/helpers/session.js'
import { deployCounted, emit, example } from './flows.js'

const LATENCY = 100
const RUNS = Number(process.env.BENCH_TUTORIAL_RUNS ?? 3)
/** botocore's FunctionActiveV2 waiter: delay 1 s between polls */
const CLI_WAITER_DELAY_MS = 1000

fakeCredentials()
polling.intervalMs = 0
const fake = createFakeAws({ latencyMs: LATENCY })

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
fake.restore()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
emit({
  latencyMs: LATENCY,
  runs: RUNS,
  tutorialMs: median(tutorial),
  shipitMs: median(shipit),
  ratio: median(shipit) / median(tutorial),
  tutorialCalls,
  shipitCalls,
  tutorialAll: tutorial.map(Math.round),
  shipitAll: shipit.map(Math.round),
})
