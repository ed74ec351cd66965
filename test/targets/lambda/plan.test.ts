import type { Runtime } from '@aws-sdk/client-lambda'
import { describe, expect, it } from 'vitest'
import type { LambdaDesired } from '../../../src/manifest/resolve.js'
import { renderCli, renderText } from '../../../src/plan/render.js'
import { retryRules } from '../../../src/plan/types.js'
import { lambdaTarget } from '../../../src/targets/lambda/index.js'
import { configOf, type LambdaObserved } from '../../../src/targets/lambda/observe.js'
import { BASIC_EXECUTION_POLICY, desiredEnvironment, planLambda } from '../../../src/targets/lambda/plan.js'
import type { Target } from '../../../src/targets/target.js'
import { codeSha256Of, desiredFrom, LAMBDA_YAML, planDocument, preparedZip, stable } from '../../helpers/plan.js'

const ACCOUNT = '123456789012'
const target = lambdaTarget as Target<unknown>
const ctx = { region: 'us-west-2', account: ACCOUNT, adopt: false }

/** What AWS holds after a successful deploy of `desired` with this code. */
function deployedState(desired: LambdaDesired, codeSha256: string): LambdaObserved {
  const arn = `arn:aws:lambda:us-west-2:${ACCOUNT}:function:${desired.names.function}`
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(desired.environment)) env[k] = v.value
  // a deploy records the names of its secret values with the function
  const secret = Object.keys(desired.environment).filter((k) => desired.environment[k].secret)
  if (secret.length) env.SHIPIT_SENSITIVE_KEYS = secret.sort().join(' ')
  const config = configOf({
    Runtime: desired.function.runtime as Runtime,
    Handler: desired.function.handler,
    MemorySize: desired.function.memory,
    Timeout: desired.function.timeout,
    Role: `arn:aws:iam::${ACCOUNT}:role/${desired.names.lambdaRole}`,
    Architectures: [desired.function.architecture],
    Environment: { Variables: env },
    LoggingConfig: { LogGroup: desired.names.logGroup },
    CodeSha256: codeSha256,
  })
  return {
    account: ACCOUNT,
    role: {
      arn: `arn:aws:iam::${ACCOUNT}:role/${desired.names.lambdaRole}`,
      tags: desired.tags,
      attachedPolicies: [BASIC_EXECUTION_POLICY({ region: 'us-west-2' })],
    },
    logGroup: { arn: `arn:aws:logs:us-west-2:${ACCOUNT}:log-group:${desired.names.logGroup}`, retentionInDays: 14, tags: desired.tags },
    function: { arn, revisionId: 'rev-1', config, tags: desired.tags },
    alias: { version: '3', config: { ...config } },
    permission: { sourceArn: `arn:aws:execute-api:us-west-2:${ACCOUNT}:abc123defg/*` },
    api: {
      id: 'abc123defg',
      endpoint: 'https://abc123defg.execute-api.us-west-2.amazonaws.com',
      tags: desired.tags,
      integrations: [{ id: 'int1234', type: 'AWS_PROXY', uri: `${arn}:live`, payloadFormatVersion: '2.0' }],
      routes: desired.http.routes.map((key, i) => ({ id: `rt${i}`, key, target: 'integrations/int1234' })),
      stage: { autoDeploy: true },
    },
    foreignApis: [],
    duplicateApis: [],
    artifacts: null,
  }
}

describe('lambda plan', () => {
  const desired = desiredFrom(LAMBDA_YAML)
  const prepared = preparedZip('code-v1')

  it('fresh deploy: creates role, logs, function, version, alias, API, integration, routes, stage and permission', () => {
    const part = planLambda(desired, target.nothing(desired) as LambdaObserved, prepared, ctx)
    const plan = planDocument(desired, target, part, {}, ACCOUNT)
    expect(plan.steps.map((s) => `${s.action} ${s.request.operation}`)).toEqual([
      'create CreateRole',
      'create AttachRolePolicy',
      'create CreateLogGroup',
      'create PutRetentionPolicy',
      'create CreateFunction',
      'create CreateAlias',
      'create CreateApi',
      'create CreateIntegration',
      'create CreateRoute',
      'create CreateRoute',
      'create CreateStage',
      'create AddPermission',
    ])
    const fn = plan.steps.find((s) => s.id === 'function')!
    expect(fn.request.input).toMatchObject({
      FunctionName: 'hello-dev',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      Architectures: ['arm64'],
      Role: { ref: 'role', output: 'Role.Arn' },
      PackageType: 'Zip',
      Publish: true,
      Tags: { 'shipit:app': 'hello', 'shipit:env': 'dev', 'shipit:target': 'lambda' },
    })
    // Lambda needs the role to exist and trust it, not its policies: those must be there before the alias makes a version live
    expect(fn.dependsOn).toEqual(expect.arrayContaining(['role', 'log-group']))
    expect(fn.dependsOn).not.toContain('role-policy')
    const alias = plan.steps.find((s) => s.id === 'alias')!
    expect(alias.dependsOn).toEqual(expect.arrayContaining(['function', 'role-policy']))
    expect(alias.request.input.FunctionVersion).toEqual({ ref: 'function', output: 'Version' })
    // the wait is on the version CreateFunction published; the alias and the integration start at its answer
    expect(fn.wait).toMatchObject({ waiter: 'FunctionActiveV2', input: { Qualifier: { ref: 'function', output: 'Version' } }, dependentsAfter: 'answer' })
    expect(retryRules(fn)[0]?.errorName).toBe('InvalidParameterValueException')
    const permission = plan.steps.find((s) => s.id === 'permission')!
    expect(permission.request.input.SourceArn).toEqual({ ref: 'api', output: 'ApiId', format: `arn:aws:execute-api:us-west-2:${ACCOUNT}:{}/*` })
    expect(permission.dependsOn).toEqual(expect.arrayContaining(['api', 'alias']))
    expect(plan.summary).toEqual({ create: 12, update: 0, replace: 0, delete: 0, run: 0, noop: 0 })
    expect(stable(plan)).toMatchSnapshot()
    expect(renderText(plan)).toMatchSnapshot()
  })

  it('secret values travel as a name and a hash, never as the value', () => {
    const part = planLambda(desired, target.nothing(desired) as LambdaObserved, prepared, ctx)
    const plan = planDocument(desired, target, part, {}, ACCOUNT)
    for (const text of [JSON.stringify(plan), renderText(plan), renderCli(plan)]) expect(text).not.toContain('canary-secret-value')
    expect(desiredEnvironment(desired).API_KEY).toEqual({ sensitive: 'API_KEY', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(renderText(plan)).toContain('Environment.API_KEY: (sensitive)')
  })

  it('no-change redeploy: no steps, everything unchanged', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    const part = planLambda(desired, observed, prepared, ctx)
    expect(part.steps).toEqual([])
    expect(part.blocked).toEqual([])
    const plan = planDocument(desired, target, part, observed, ACCOUNT)
    expect(renderText(plan)).toMatchSnapshot()
    expect(plan.summary.noop).toBeGreaterThanOrEqual(8)
  })

  it('code-only change: UpdateFunctionCode with the observed RevisionId, a new version, the alias moved; nothing else', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    const next = preparedZip('code-v2')
    const part = planLambda(desired, observed, next, ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias'])
    expect(part.steps[0].request.input).toMatchObject({ FunctionName: 'hello-dev', RevisionId: 'rev-1', ZipFile: { artifact: 'zip' } })
    expect(part.steps[0].changes).toEqual([{ path: 'CodeSha256', before: codeSha256Of(prepared), after: codeSha256Of(next) }])
    expect(part.steps[1].request.input).toMatchObject({ CodeSha256: codeSha256Of(next) })
    const plan = planDocument(desired, target, part, observed, ACCOUNT)
    expect(stable(plan)).toMatchSnapshot()
    expect(renderText(plan)).toMatchSnapshot()
  })

  it('config-only change: UpdateFunctionConfiguration with only the changed fields', () => {
    const prod = desiredFrom(LAMBDA_YAML, { env: 'prod' })
    const observed = deployedState(prod, codeSha256Of(prepared))
    observed.function!.config.MemorySize = 256
    observed.alias!.config.MemorySize = 256
    const part = planLambda(prod, observed, prepared, ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias'])
    expect(part.steps[0].request.input).toEqual({ FunctionName: 'hello-prod', MemorySize: 1024, RevisionId: 'rev-1' })
    expect(part.steps[0].changes).toEqual([{ path: 'MemorySize', before: 256, after: 1024 }])
    const plan = planDocument(prod, target, part, observed, ACCOUNT)
    expect(renderText(plan)).toMatchSnapshot()
    expect(renderCli(plan)).toContain(
      'aws lambda update-function-configuration --function-name hello-prod --memory-size 1024 --revision-id rev-1 --region us-west-2',
    )
  })

  it('a code update and a config update are ordered: Lambda refuses one while the other runs', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    observed.function!.config.Timeout = 3
    const part = planLambda(desired, observed, preparedZip('code-v2'), ctx)
    const config = part.steps.find((s) => s.id === 'function-config')!
    expect(config.dependsOn).toContain('function-code')
    expect(config.request.input.RevisionId).toBeUndefined()
  })

  it('an interrupted deploy (function updated, no version published) publishes on the next run', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    observed.alias!.config.CodeSha256 = 'old-code'
    const part = planLambda(desired, observed, prepared, ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['PublishVersion', 'UpdateAlias'])
  })

  it('a removed route is deleted, a new one created', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    observed.api!.routes.push({ id: 'old', key: 'POST /old', target: 'integrations/int1234' })
    const changed = { ...desired, http: { routes: ['GET /'] } }
    const part = planLambda(changed, observed, prepared, ctx)
    expect(part.steps.map((s) => `${s.action} ${s.request.operation} ${s.resource.name}`)).toEqual([
      'delete DeleteRoute ANY /{proxy+}',
      'delete DeleteRoute POST /old',
    ])
  })

  it('a function without shipit tags is blocked, not modified; --adopt tags it', () => {
    const observed = deployedState(desired, codeSha256Of(prepared))
    observed.function!.tags = {}
    const part = planLambda(desired, observed, preparedZip('code-v2'), ctx)
    expect(part.blocked.map((b) => b.resource.type)).toContain('lambda:function')
    expect(part.steps.filter((s) => s.resource.type.startsWith('lambda:function'))).toEqual([])
    const adopted = planLambda(desired, observed, preparedZip('code-v2'), { ...ctx, adopt: true })
    expect(adopted.blocked).toEqual([])
    expect(adopted.steps.map((s) => s.request.operation)).toContain('TagResource')
  })

  it('an API with our name but not our tags is never touched', () => {
    const observed = target.nothing(desired) as LambdaObserved
    observed.api = { id: 'zzz9999999', endpoint: 'https://zzz9999999.execute-api.us-west-2.amazonaws.com', tags: {}, integrations: [], routes: [] }
    const part = planLambda(desired, observed, prepared, ctx)
    expect(part.blocked.map((b) => b.resource.name)).toContain('hello-dev (zzz9999999)')
    expect(part.steps.map((s) => s.request.operation)).not.toContain('CreateApi')
  })

  it('--adopt tags an API with our name and uses it: never a second API beside it', () => {
    const observed = target.nothing(desired) as LambdaObserved
    observed.api = { id: 'zzz9999999', endpoint: 'https://zzz9999999.execute-api.us-west-2.amazonaws.com', tags: {}, integrations: [], routes: [] }
    const part = planLambda(desired, observed, prepared, { ...ctx, adopt: true })
    expect(part.blocked).toEqual([])
    const ops = part.steps.map((s) => s.request.operation)
    expect(ops).not.toContain('CreateApi')
    expect(part.steps.find((s) => s.id === 'api-tags')?.request.input).toEqual({
      ResourceArn: 'arn:aws:apigateway:us-west-2::/apis/zzz9999999',
      Tags: desired.tags,
    })
    // routes and stage go on the adopted API
    expect(part.steps.filter((s) => s.request.operation === 'CreateRoute').map((s) => s.request.input.ApiId)).toEqual(['zzz9999999', 'zzz9999999'])
  })
})

describe('lambda destroy plan', () => {
  const desired = desiredFrom(LAMBDA_YAML)
  it('deletes API, permission, alias, function, log group and role in order', () => {
    const observed = deployedState(desired, 'x')
    const part = lambdaTarget.planDestroy(desired, observed, ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual([
      'DeleteApi',
      'RemovePermission',
      'DeleteAlias',
      'DeleteFunction',
      'DeleteLogGroup',
      'DetachRolePolicy',
      'DeleteRole',
    ])
    expect(part.steps.find((s) => s.id === 'role')!.dependsOn).toEqual(expect.arrayContaining(['function', 'role-policy-0']))
  })
  it('keeps what lacks shipit tags', () => {
    const observed = deployedState(desired, 'x')
    observed.function!.tags = { other: 'x' }
    observed.role!.tags = {}
    const part = lambdaTarget.planDestroy(desired, observed, ctx)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['DeleteApi', 'DeleteLogGroup'])
    expect(part.unchanged.map((u) => u.resource.type)).toEqual(['lambda:function', 'iam:role'])
  })
})
