import { beforeEach, describe, expect, it } from 'vitest'
import { renderText } from '../../src/plan/render.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'
import { rotateParameter, rotateSecret, seedSecrets } from './helpers.js'

const APP = (extra = '') => `
name: shop
region: us-west-2
secrets:
  DB_PASSWORD: ssm:/shop/db-password
  STRIPE_KEY: secretsmanager:shop/stripe#api_key
function:
  handler: index.handler
  runtime: nodejs22.x
  architecture: arm64
${extra}`

describe('lambda: secrets by version', () => {
  const fake = useFakeAws()
  beforeEach(async () => {
    fake.reset()
    await seedSecrets()
  })

  it('the function gets the extension layer and where to read each secret, the role reads exactly those, and a redeploy writes nothing', async () => {
    const dir = project(APP())
    const first = await deploy(dir, { target: 'lambda' })
    expect(first.status).toBe('applied')
    const create = fake.callsOf('CreateFunction')[0].input
    expect(create.Layers).toEqual(['arn:aws:lambda:us-west-2:345057560386:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:11'])
    const secretArn = [...fake.state.secretsmanager.secrets.values()][0].ARN
    const vars = create.Environment.Variables
    expect(vars).toMatchObject({
      SHIPIT_SECRET_DB_PASSWORD: `arn:aws:ssm:us-west-2:${fake.account}:parameter/shop/db-password`,
      SHIPIT_SECRET_DB_PASSWORD_URL: 'http://localhost:2773/systemsmanager/parameters/get?name=%2Fshop%2Fdb-password&withDecryption=true',
      SHIPIT_SECRET_STRIPE_KEY: secretArn,
      SHIPIT_SECRET_STRIPE_KEY_JSON_KEY: 'api_key',
      SHIPIT_SECRET_STRIPE_KEY_URL: `http://localhost:2773/secretsmanager/get?secretId=${encodeURIComponent(secretArn)}`,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
      SHIPIT_SECRETS_VERSIONS: expect.stringMatching(/^DB_PASSWORD=1 STRIPE_KEY=[0-9a-f-]{36}$/),
    })
    const policy = JSON.parse(fake.callsOf('PutRolePolicy')[0].input.PolicyDocument)
    expect(policy.Statement[0].Resource).toEqual([`arn:aws:ssm:us-west-2:${fake.account}:parameter/shop/db-password`, secretArn].sort())

    fake.calls.length = 0
    const again = await deploy(dir, { target: 'lambda' })
    expect(again.plan.steps).toEqual([])
    expect(fake.mutatingCalls()).toEqual([])
  })

  for (const [what, rotate, key] of [
    ['an SSM parameter', rotateParameter, 'DB_PASSWORD'],
    ['a Secrets Manager secret', rotateSecret, 'STRIPE_KEY'],
  ] as const) {
    it(`a rotated ${what} publishes a new function version and moves the alias to it`, async () => {
      const dir = project(APP())
      await deploy(dir, { target: 'lambda' })
      // the first version is CreateFunction's own (Publish: true): no PublishVersion on a fresh deploy
      const versionBefore = fake.callsOf('PublishVersion').length
      expect(fake.callsOf('CreateFunction')[0]?.input.Publish).toBe(true)
      await rotate()

      const { plan } = await planFor(dir, { target: 'lambda' })
      const config = plan.steps.find((s) => s.id === 'function-config')
      expect(config?.reason).toBe(`secret ${key} changed`)
      expect(renderText(plan)).toMatch(new RegExp(`~ secret ${key}: version \\S+ → \\S+`))

      fake.calls.length = 0
      await deploy(dir, { target: 'lambda' })
      expect(fake.callsOf('UpdateFunctionConfiguration')).toHaveLength(1)
      expect(fake.callsOf('PublishVersion')).toHaveLength(1)
      expect(versionBefore).toBe(0)
      expect(fake.callsOf('UpdateFunctionCode')).toEqual([])
      expect(fake.callsOf('UpdateAlias')).toHaveLength(1)
      const versions = fake.callsOf('UpdateFunctionConfiguration')[0].input.Environment.Variables.SHIPIT_SECRETS_VERSIONS
      expect(versions).toMatch(key === 'DB_PASSWORD' ? /DB_PASSWORD=2/ : /DB_PASSWORD=1/)
    })
  }

  it('secretsVia: arn — no layer, only the ARNs and the versions', async () => {
    await deploy(project(APP('  secretsVia: arn\n')), { target: 'lambda' })
    const create = fake.callsOf('CreateFunction')[0].input
    expect(create.Layers).toBeUndefined()
    expect(Object.keys(create.Environment.Variables).sort()).toEqual([
      'SHIPIT_SECRETS_VERSIONS',
      'SHIPIT_SECRET_DB_PASSWORD',
      'SHIPIT_SECRET_STRIPE_KEY',
      'SHIPIT_SECRET_STRIPE_KEY_JSON_KEY',
    ])
  })

  it('never asks for a value', async () => {
    await deploy(project(APP()), { target: 'lambda' })
    expect(fake.callsOf('GetParameter').every((c) => c.input.WithDecryption !== true)).toBe(true)
    expect(fake.callsOf('GetSecretValue')).toEqual([])
  })
})
