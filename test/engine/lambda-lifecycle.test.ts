import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyPlan } from '../../src/engine/apply.js'
import { ShipitError } from '../../src/errors.js'
import { silentReporter } from '../../src/ui/reporter.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const APP = `
name: hello
region: us-west-2
env:
  LOG_LEVEL: info
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
  memory: 256
http:
  routes: ["GET /", "ANY /{proxy+}"]
environments:
  prod:
    function: { memory: 1024 }
`
const isRead = (op: string) => /^(Get|List|Describe|Filter|Head)/.test(op)

describe('lambda target against the in-memory AWS', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('deploy → redeploy (no mutating call) → code change → destroy', async () => {
    const dir = project(APP)

    // given nothing exists, when deploying
    const first = await deploy(dir, { target: 'lambda' })
    // then every resource exists, wired together
    expect(first.status).toBe('applied')
    const fn = fake.state.lambda.functions.get('hello-dev')!
    expect(fn).toBeDefined()
    expect(fn.tags).toMatchObject({ 'shipit:app': 'hello', 'shipit:env': 'dev', 'shipit:target': 'lambda' })
    const apis = [...fake.state.apigatewayv2.apis.values()]
    expect(apis).toHaveLength(1)
    expect(first.outputs.url).toBe(`${apis[0].api.ApiEndpoint}/`)
    expect(first.outputs.version).toBe('1')
    expect(
      fake
        .callsOf('CreateRoute')
        .map((c) => c.input.RouteKey)
        .sort(),
    ).toEqual(['ANY /{proxy+}', 'GET /'])
    expect(fake.callsOf('AddPermission')[0].input.SourceArn).toBe(`arn:aws:execute-api:us-west-2:${fake.account}:${apis[0].api.ApiId}/*`)
    expect(fake.callsOf('CreateIntegration')[0].input).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: `${fn.config.FunctionArn}:live`,
    })

    // when deploying again with nothing changed
    fake.calls.length = 0
    const second = await deploy(dir, { target: 'lambda' })
    // then no mutating call is sent, and few reads
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])
    // 13 reads: the log group's tags are read too (ownership), the alias (its RevisionId), the caller (beside the
    // reads, not after them) and the schedule group (a schedule removed from app.yaml is deleted), besides what the function, role and API need
    expect(fake.calls.length).toBeLessThanOrEqual(13)

    // when the code changes
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
    fake.calls.length = 0
    const third = await deploy(dir, { target: 'lambda' })
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias'])
    expect(third.outputs.version).toBe('2')

    // when destroying
    fake.calls.length = 0
    const gone = await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(gone.status).toBe('applied')
    expect(fake.state.lambda.functions.size).toBe(0)
    expect(fake.state.apigatewayv2.apis.size).toBe(0)
    expect(fake.state.iam.roles.size).toBe(0)
    expect([...fake.state.logs.logGroups.keys()].filter((g) => g.startsWith('/shipit/'))).toEqual([])

    // and a plan afterwards creates everything again
    const after = await planFor(dir, { target: 'lambda', mutates: false })
    expect(after.plan.summary.create).toBe(12)
  })

  it('plan and dry-run send only read operations', async () => {
    const dir = project(APP)
    await deploy(dir, { target: 'lambda' })
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 500 })\n')
    fake.calls.length = 0
    const { plan } = await planFor(dir, { target: 'lambda', mutates: false })
    expect(plan.steps.length).toBeGreaterThan(0)
    expect(fake.calls.length).toBeGreaterThan(0)
    expect(fake.calls.filter((c) => !isRead(c.operation) && c.operation !== 'GetCallerIdentity')).toEqual([])
    await planFor(dir, { target: 'lambda', mutates: false, command: 'destroy' })
    expect(fake.calls.filter((c) => !isRead(c.operation))).toEqual([])
  })

  it('an env overlay deploys its own function with its own settings', async () => {
    const dir = project(APP)
    await deploy(dir, { target: 'lambda', env: 'prod' })
    expect(fake.state.lambda.functions.get('hello-prod')).toBeDefined()
    expect(fake.callsOf('CreateFunction')[0].input.MemorySize).toBe(1024)
  })

  it('rollback moves live back to the version it served before, and refuses when there is none', async () => {
    const dir = project(APP)
    await deploy(dir, { target: 'lambda' })
    await expect(deploy(dir, { target: 'lambda', command: 'rollback' })).rejects.toThrow(/no earlier version/)
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 202 })\n')
    await deploy(dir, { target: 'lambda' })
    const back = await deploy(dir, { target: 'lambda', command: 'rollback' })
    expect(back.status).toBe('applied')
    expect(fake.callsOf('UpdateAlias').at(-1)!.input).toMatchObject({ Name: 'live', FunctionVersion: '1' })
  })

  it('UpdateAlias carries the RevisionId observed: a deploy planned before another one moved the alias fails instead of mixing', async () => {
    // given a deployed app, and two deploys of different code planned from the same live alias
    const dir = project(APP)
    await deploy(dir, { target: 'lambda' })
    const revision = fake.state.lambda.functions.get('hello-dev')!.aliases.get('live')!.RevisionId
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
    const late = await planFor(dir, { target: 'lambda' })
    const alias = late.plan.steps.find((s) => s.id === 'alias')!
    expect(alias.request.input).toMatchObject({ Name: 'live', RevisionId: revision })

    // when the other deploy moves the alias first
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 202 })\n')
    expect((await deploy(dir, { target: 'lambda' })).status).toBe('applied')
    const served = fake.state.lambda.functions.get('hello-dev')!.aliases.get('live')!.FunctionVersion

    // then the late one is refused by Lambda with its own words, and live still serves what the other deploy set
    const error = await applyPlan(late.session, late.planned, late.plan, { reporter: silentReporter, timeoutSeconds: 30 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShipitError)
    expect((error as ShipitError).exitCode).toBe(1)
    expect((error as ShipitError).message).toContain('PreconditionFailedException')
    expect((error as ShipitError).message).toContain('The Revision Id provided does not match the latest Revision Id')
    expect(fake.state.lambda.functions.get('hello-dev')!.aliases.get('live')!.FunctionVersion).toBe(served)
  })
})
