import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import Status from '../../src/commands/status.js'
import Validate from '../../src/commands/validate.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'
import { DB_VALUE, rotateParameter, rotateSecret, STRIPE_VALUE, seedSecrets } from './helpers.js'

const APPS: Record<string, string> = {
  fargate: `name: shop\nregion: us-west-2\nsecrets:\n  DB_PASSWORD: ssm:/shop/db-password\n  STRIPE_KEY: secretsmanager:shop/stripe#api_key\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`,
  lambda: `name: shop\nregion: us-west-2\nsecrets:\n  DB_PASSWORD: ssm:/shop/db-password\n  STRIPE_KEY: secretsmanager:shop/stripe#api_key\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n`,
}
const VALUES = [DB_VALUE, JSON.parse(STRIPE_VALUE).api_key as string]

describe('secrets by version, as a user runs shipit', () => {
  const fake = useFakeAws()
  beforeEach(async () => {
    fake.reset()
    await seedSecrets()
  })

  for (const target of Object.keys(APPS)) {
    it(`${target}: no secret value in any output, --json, saved plan or --cli runbook, before and after a rotation`, async () => {
      const dir = project(APPS[target])
      const t = ['--target', target, '-f', join(dir, 'app.yaml')]
      const outputs: string[] = []
      const run = async (cmd: Parameters<typeof runCommand>[0], args: string[]) => {
        const r = await runCommand(cmd, args)
        outputs.push(r.stdout, r.stderr)
        return r
      }
      await run(Validate, ['-f', join(dir, 'app.yaml')])
      await run(Plan, [...t, '--json'])
      expect((await run(Deploy, [...t, '--yes', '--debug'])).code).toBe(0)
      await rotateParameter()
      await rotateSecret()
      const plan = await run(Plan, [...t])
      expect(plan.stdout).toMatch(/~ secret DB_PASSWORD: version 1 → 2/)
      expect(plan.stdout).toMatch(/~ secret STRIPE_KEY: version [0-9a-f-]{36} → [0-9a-f-]{36}/)
      await run(Plan, [...t, '--json'])
      await run(Plan, [...t, '--cli'])
      await run(Plan, [...t, '--out', join(dir, 'plan.json')])
      outputs.push(readFileSync(join(dir, 'plan.json'), 'utf8'))
      expect((await run(Deploy, [...t, '--yes', '--json'])).code).toBe(0)
      await run(Status, [...t, '--json'])

      const all = outputs.join('\n')
      expect(all).toContain('secret DB_PASSWORD')
      for (const value of VALUES) expect(all).not.toContain(value)
      // and shipit never asked for one
      expect(fake.callsOf('GetSecretValue')).toEqual([])
      expect(fake.callsOf('GetParameter').filter((c) => c.input.WithDecryption)).toEqual([])
    })
  }

  it('a plain String parameter: GetParameter returns its text, which shipit drops and never prints', async () => {
    const value = 'plain-value-3c9e81aa-never-printed'
    await new SSMClient({ region: 'us-west-2' }).send(new PutParameterCommand({ Name: '/shop/plain', Value: value, Type: 'String' }))
    const dir = project(APPS.fargate.replace('secrets:\n', 'secrets:\n  PLAIN: ssm:/shop/plain\n'))
    const t = ['--target', 'fargate', '-f', join(dir, 'app.yaml')]
    const runs = [await runCommand(Plan, [...t, '--debug']), await runCommand(Plan, [...t, '--json']), await runCommand(Deploy, [...t, '--yes', '--debug'])]
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0])
    const all = runs.map((r) => r.stdout + r.stderr).join('\n')
    expect(all).toContain('PLAIN')
    expect(all).not.toContain(value)
  })

  it('a rotation after a plan was saved makes that plan stale (exit 4), nothing applied', async () => {
    const dir = project(APPS.lambda)
    const t = ['--target', 'lambda', '-f', join(dir, 'app.yaml')]
    expect((await runCommand(Deploy, [...t, '--yes'])).code).toBe(0)
    await runCommand(Plan, [...t, '--out', join(dir, 'plan.json')])
    await rotateParameter()
    fake.calls.length = 0
    const r = await runCommand(Deploy, [...t, '--yes', '--plan', join(dir, 'plan.json')])
    expect(r.code).toBe(4)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a missing parameter is a plan error (exit 1) naming it, before any change', async () => {
    const dir = project(APPS.fargate.replace('/shop/db-password', '/shop/nope'))
    fake.calls.length = 0
    const r = await runCommand(Deploy, ['--target', 'fargate', '-f', join(dir, 'app.yaml'), '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('secret DB_PASSWORD: SSM parameter /shop/nope does not exist in us-west-2')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a missing Secrets Manager secret is a plan error (exit 1) naming it', async () => {
    const dir = project(APPS.lambda.replace('shop/stripe#', 'shop/gone#'))
    const r = await runCommand(Plan, ['--target', 'lambda', '-f', join(dir, 'app.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('secret STRIPE_KEY: Secrets Manager secret shop/gone does not exist in us-west-2')
  })

  it('a secret in another region is a plan error (exit 1) naming it, and nothing is asked of it', async () => {
    const arn = 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password'
    const dir = project(APPS.fargate.replace('ssm:/shop/db-password', `ssm:${arn}`))
    const r = await runCommand(Plan, ['--target', 'fargate', '-f', join(dir, 'app.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`secret DB_PASSWORD: ${arn} is in eu-west-1, and the app deploys to us-west-2`)
    expect(fake.callsOf('GetParameter')).toEqual([])
  })

  it('an entry in a form shipit does not know is exit 3 at its line:col, with no AWS call', async () => {
    const dir = project(APPS.fargate.replace('ssm:/shop/db-password', 'ssm:/shop/db password'))
    fake.calls.length = 0
    const r = await runCommand(Plan, ['--target', 'fargate', '-f', join(dir, 'app.yaml')])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/app\.yaml:4:16/)
    expect(fake.calls).toEqual([])
  })
})
