/**
 * bench/tutorial.ts times two flows of processes against the in-memory fake behind a loopback
 * endpoint: the tutorial's aws CLI commands and `shipit deploy --yes`. Not timed here: this checks
 * that the endpoint answers every call of both (no command fails, nothing unrouted) and that each
 * flow leaves what it should, so the bench cannot silently measure failures.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { example } from '../../bench/flows.js'
import { awsCli, awsCommandCost, type CliContext, cliContext, disposeContext, shipitByCli, tutorialByCli } from '../../bench/tutorial-cli.js'
import { createFakeAws, type FakeAws } from '../fakes/aws.js'
import { type FakeEndpoint, parseQueryForm, startFakeEndpoint, toQueryXml } from '../helpers/fake-endpoint.js'

const hasAwsCli = (() => {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe('the fake endpoint of bench/tutorial.ts', () => {
  let fake: FakeAws
  let endpoint: FakeEndpoint
  let c: CliContext
  beforeAll(async () => {
    fake = createFakeAws({ region: 'us-west-2' })
    endpoint = await startFakeEndpoint(fake)
    c = cliContext(endpoint.url, fake.region, fake.account)
  })
  afterAll(async () => {
    disposeContext(c)
    await endpoint.close()
    fake.restore()
  })

  it('decodes query-protocol lists and nests, and encodes outputs as the query XML', () => {
    expect(parseQueryForm(new URLSearchParams('Action=CreateRole&RoleName=r&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.2.Key=c'))).toEqual({
      RoleName: 'r',
      Tags: [{ Key: 'a', Value: 'b' }, { Key: 'c' }],
    })
    expect(toQueryXml({ Role: { RoleName: 'r', CreateDate: new Date(0), Tags: [{ Key: 'a&b' }] } })).toBe(
      '<Role><RoleName>r</RoleName><CreateDate>1970-01-01T00:00:00.000Z</CreateDate><Tags><member><Key>a&amp;b</Key></member></Tags></Role>',
    )
  })

  it.skipIf(!hasAwsCli)(
    'answers every aws command of the tutorial: each exits 0 and the function, alias, API and permission exist',
    { timeout: 120_000 },
    async () => {
      fake.reset()
      const commands = await tutorialByCli(c)
      expect(commands).toHaveLength(14)
      expect(endpoint.unrouted).toEqual([])
      expect(fake.calls.map((x) => x.operation)).toEqual([
      'CreateRole', 'AttachRolePolicy', 'CreateLogGroup', 'PutRetentionPolicy', 'CreateFunction', 'GetFunction', 'PublishVersion',
      'CreateAlias', 'CreateApi', 'CreateIntegration', 'CreateRoute', 'CreateRoute', 'CreateStage', 'AddPermission',
    ]) // biome-ignore format: one list
      // the zip the aws CLI sent arrived as bytes (base64 in JSON), a valid archive
      const fn = fake.state.lambda.functions.get('hello-tutorial')
      expect(Buffer.from(fn?.code ?? []).subarray(0, 4)).toEqual(Buffer.from('PK\u0003\u0004', 'binary'))
      expect(fn?.config.Role).toMatch(/^arn:aws:iam::\d{12}:role\/hello-tutorial-role$/)
      const api = [...fake.state.apigatewayv2.apis.values()][0]
      expect([...api.routes.values()].map((r) => r.RouteKey).sort()).toEqual(['ANY /{proxy+}', 'GET /'])
      expect(api.stages.get('$default')?.AutoDeploy).toBe(true)
      // the API reaches the function through the alias and the permission
      fake.setLambdaHandler('hello-tutorial', () => ({ result: { statusCode: 200, body: 'hi' } }))
      expect(await fake.http({ url: `${api.api.ApiEndpoint}/x` })).toMatchObject({ statusCode: 200, body: 'hi' })
    },
  )

  it.skipIf(!hasAwsCli)('answers a missing function as Lambda does: the aws CLI exits 255 with ResourceNotFoundException', { timeout: 60_000 }, async () => {
    fake.reset()
    await awsCommandCost(c)
    expect(fake.callsOf('GetCallerIdentity')).toHaveLength(1)
    const failing = awsCli(c, ['lambda', 'get-function', '--function-name', 'nothing-here'])
    await expect(failing).rejects.toMatchObject({ code: 255, stderr: expect.stringContaining('ResourceNotFoundException') })
    expect(endpoint.unrouted).toEqual([])
  })

  it('answers every call of `shipit deploy --yes` of examples/hello-lambda: exit 0, the app deployed, nothing unrouted', { timeout: 60_000 }, async () => {
    fake.reset()
    const { stdout } = await shipitByCli(c, example('hello-lambda'))
    expect(stdout).toContain('Deployed hello (dev) on lambda in us-west-2')
    expect(endpoint.unrouted).toEqual([])
    // the reads of an empty account answered as not found, then every write, the lock taken and released
    const ops = fake.calls.map((x) => `${x.service}:${x.operation}`)
    for (const op of ['lambda:GetFunction', 'iam:GetRole', 'apigatewayv2:GetApis', 'dynamodb:CreateTable', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
      expect(ops).toContain(op)
    }
    const fn = fake.state.lambda.functions.get('hello-dev')
    expect(fn?.aliases.get('live')?.FunctionVersion).toBe('1')
    // shipit's zip arrived as the bytes it sent (base64 on the wire), not as their text
    expect(Buffer.from(fn?.code ?? []).subarray(0, 4)).toEqual(Buffer.from('PK\u0003\u0004', 'binary'))
    const url = /url: (\S+)/.exec(stdout)?.[1]
    fake.setLambdaHandler('hello-dev', () => ({ result: { statusCode: 200, body: 'hello' } }))
    expect(await fake.http({ url: `${url}` })).toMatchObject({ statusCode: 200, body: 'hello' })
  })
})
