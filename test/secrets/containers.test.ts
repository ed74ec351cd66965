import { beforeEach, describe, expect, it } from 'vitest'
import { renderText } from '../../src/plan/render.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'
import { rotateParameter, rotateSecret, seedSecrets } from './helpers.js'

const APP = `
name: shop
region: us-west-2
secrets:
  DB_PASSWORD: ssm:/shop/db-password
  STRIPE_KEY: secretsmanager:shop/stripe#api_key
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  count: 1
`

describe('fargate: secrets by version', () => {
  const fake = useFakeAws()
  beforeEach(async () => {
    fake.reset()
    await seedSecrets()
  })

  it('the task definition references each secret by full ARN, the role reads exactly those, and a redeploy writes nothing', async () => {
    // given the app deployed once
    const first = await deploy(project(APP), { target: 'fargate' })
    expect(first.status).toBe('applied')

    // then the revision injects the secrets by ARN, with the JSON key for Secrets Manager
    const secretArn = [...fake.state.secretsmanager.secrets.values()][0].ARN
    const register = fake.callsOf('RegisterTaskDefinition')[0].input
    expect(register.containerDefinitions[0].secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: `arn:aws:ssm:us-west-2:${fake.account}:parameter/shop/db-password` },
      { name: 'STRIPE_KEY', valueFrom: `${secretArn}:api_key::` },
    ])
    expect(register.containerDefinitions[0].dockerLabels).toEqual({
      'shipit.secret-version.DB_PASSWORD': '1',
      'shipit.secret-version.STRIPE_KEY': expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    // and the execution role may read exactly those two ARNs
    const put = fake.callsOf('PutRolePolicy')[0].input
    expect(JSON.parse(put.PolicyDocument).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters'],
        Resource: [`arn:aws:ssm:us-west-2:${fake.account}:parameter/shop/db-password`, secretArn].sort(),
      },
    ])

    // when deploying again with nothing rotated: zero writes
    fake.calls.length = 0
    const again = await deploy(project(APP), { target: 'fargate' })
    expect(again.plan.steps).toEqual([])
    expect(fake.mutatingCalls()).toEqual([])
  })

  for (const [what, rotate, key, before] of [
    ['an SSM parameter', rotateParameter, 'DB_PASSWORD', '1'],
    ['a Secrets Manager secret', rotateSecret, 'STRIPE_KEY', undefined],
  ] as const) {
    it(`a rotated ${what} makes the next deploy register a new revision and start new tasks`, async () => {
      const dir = project(APP)
      await deploy(dir, { target: 'fargate' })
      const revisionBefore = fake.state.services.values().next().value?.taskDefinition
      await rotate()

      // when planning: the plan shows the version change and the new revision it leads to
      const { plan } = await planFor(dir, { target: 'fargate' })
      const td = plan.steps.find((s) => s.id === 'task-definition')
      expect(td?.reason).toMatch(new RegExp(`secret ${key} changed`))
      const change = td?.changes?.find((c) => c.path === `secret ${key}`)
      expect(change).toMatchObject({ after: expect.any(String) })
      if (before) expect(change).toMatchObject({ before, after: '2' })
      expect(renderText(plan)).toMatch(new RegExp(`~ secret ${key}: version \\S+ → \\S+`))
      expect(plan.steps.map((s) => s.resource.type)).toEqual(expect.arrayContaining(['ecs:task-definition', 'ecs:service']))

      // and deploying it: a new revision, and the service moved to it (new tasks)
      fake.calls.length = 0
      const outcome = await deploy(dir, { target: 'fargate' })
      expect(outcome.status).toBe('applied')
      expect(fake.callsOf('RegisterTaskDefinition')).toHaveLength(1)
      expect(fake.callsOf('UpdateService')).toHaveLength(1)
      const revisionAfter = fake.state.services.values().next().value?.taskDefinition
      expect(revisionAfter).not.toEqual(revisionBefore)
    })
  }

  it('never asks for a value: GetParameter without decryption, no GetSecretValue', async () => {
    await deploy(project(APP), { target: 'fargate' })
    expect(fake.callsOf('GetParameter').length).toBeGreaterThan(0)
    expect(fake.callsOf('GetParameter').every((c) => c.input.WithDecryption !== true)).toBe(true)
    expect(fake.callsOf('GetSecretValue')).toEqual([])
  })

  it('a customer managed key: the role may kms:Decrypt with it, through the services only', async () => {
    fake.reset()
    await seedSecrets({ kms: true })
    await deploy(project(APP), { target: 'fargate' })
    const statements = JSON.parse(fake.callsOf('PutRolePolicy')[0].input.PolicyDocument).Statement
    expect(statements.slice(1)).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: ['arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
        Condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.us-west-2.amazonaws.com', 'ssm.us-west-2.amazonaws.com'] } },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: [`arn:aws:kms:us-west-2:${fake.account}:key/*`],
        Condition: {
          StringEquals: { 'kms:ViaService': ['secretsmanager.us-west-2.amazonaws.com', 'ssm.us-west-2.amazonaws.com'] },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/shop'] },
        },
      },
    ])
  })
})

describe('fargate with http: (an Express service): secrets by version', () => {
  const fake = useFakeAws()
  beforeEach(async () => {
    fake.reset()
    await seedSecrets()
  })

  it('a rotation registers a new revision and updates the Express service; without one, nothing is written', async () => {
    const dir = project(`${APP.replace('port: 80', 'port: 8080')}http: {}\n`)
    expect((await deploy(dir, { target: 'fargate' })).status).toBe('applied')
    expect(fake.callsOf('CreateExpressGatewayService')).toHaveLength(1)
    const created = fake.callsOf('RegisterTaskDefinition')[0].input.containerDefinitions[0]
    expect(created.secrets.map((s: { name: string }) => s.name)).toEqual(['DB_PASSWORD', 'STRIPE_KEY'])

    fake.calls.length = 0
    await deploy(dir, { target: 'fargate' })
    expect(fake.mutatingCalls()).toEqual([])

    await rotateSecret()
    fake.calls.length = 0
    await deploy(dir, { target: 'fargate' })
    expect(fake.callsOf('RegisterTaskDefinition')).toHaveLength(1)
    expect(fake.callsOf('UpdateExpressGatewayService')).toHaveLength(1)
    expect(fake.callsOf('UpdateExpressGatewayService')[0].input.taskDefinitionArn).toMatch(/:task-definition\/shop-[a-z]+:2$/)
  })
})
