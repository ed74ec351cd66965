import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import type { Plan as PlanDocument, Step } from '../../src/plan/types.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const APP = `name: saved
region: us-west-2
env:
  API_KEY: { value: "\${env:API_KEY}", secret: true }
function:
  handler: index.handler
  runtime: nodejs22.x
`

/** A saved plan is verified against the plan made now, step for step; anything else exits 4 and runs nothing. */
describe('saved plans are verified, not trusted', () => {
  const fake = useFakeAws()
  let dir: string
  let file: string
  let out: string
  const env = { API_KEY: 'first-secret-value' }
  const apply = (vars = env) => runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'], vars)
  const save = async (vars = env) => {
    expect((await runCommand(Plan, ['--target', 'lambda', '-f', file, '--out', out], vars)).code).toBe(0)
    return JSON.parse(readFileSync(out, 'utf8')) as PlanDocument
  }

  beforeEach(async () => {
    fake.reset()
    dir = project(APP)
    file = join(dir, 'app.yaml')
    out = join(dir, 'plan.json')
    expect((await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes'], env)).code).toBe(0)
    // a code change gives the saved plan something to do
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
  })

  it('a step appended to a saved plan (a DeleteFunction of an unrelated function, labelled harmless) exits 4 and nothing runs', async () => {
    fake.state.lambda.functions.set('bystander', { ...[...fake.state.lambda.functions.values()][0], FunctionName: 'bystander', Tags: {} } as never)
    const plan = await save()
    const evil: Step = {
      id: 'harmless',
      action: 'update',
      resource: { type: 'lambda:function', name: 'harmless' },
      reason: 'update … harmless',
      request: { service: 'lambda', operation: 'DeleteFunction', input: { FunctionName: 'bystander' } },
      dependsOn: [],
    }
    writeFileSync(out, JSON.stringify({ ...plan, steps: [...plan.steps, evil] }))
    fake.calls.length = 0
    const r = await apply()
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('the saved plan has step harmless')
    expect(fake.mutatingCalls()).toEqual([])
    expect(fake.state.lambda.functions.has('bystander')).toBe(true)
  })

  it('an altered step (a secret written into a tag) exits 4 and nothing runs', async () => {
    const plan = await save()
    const steps = plan.steps.map((s) =>
      s.request.operation === 'UpdateFunctionCode'
        ? { ...s, request: { ...s.request, input: { ...s.request.input, Tags: { leak: 'first-secret-value' } } } }
        : s,
    )
    writeFileSync(out, JSON.stringify({ ...plan, steps }))
    fake.calls.length = 0
    const r = await apply()
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/step function-code .* differs in request/)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a plan saved with no changes, applied after a secret changed, exits 4', async () => {
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
    await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes'], env)
    const plan = await save()
    expect(plan.steps).toEqual([])
    fake.calls.length = 0
    const r = await apply({ API_KEY: 'second-secret-value' })
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('the plan made now also has step')
    expect(r.stderr).not.toContain('second-secret-value')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('the saved plan carries a salted hash of each secret, never a bare SHA-256', async () => {
    const { createHash } = await import('node:crypto')
    const plan = await save()
    const text = readFileSync(out, 'utf8')
    expect(plan.salt).toMatch(/^[0-9a-f]{32}$/)
    expect(text).not.toContain(createHash('sha256').update('first-secret-value').digest('hex'))
    expect(text).not.toContain('first-secret-value')
    // two plans of the same app never share a hash
    const again = await save()
    expect(again.salt).not.toBe(plan.salt)
  })

  it('a version 1 plan (bare hashes) is refused with exit 3', async () => {
    const plan = await save()
    writeFileSync(out, JSON.stringify({ ...plan, formatVersion: 1 }))
    const r = await apply()
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('formatVersion 1')
  })

  it('a version 2 plan (one HMAC per secret) is refused with exit 3, saying why', async () => {
    const plan = await save()
    writeFileSync(out, JSON.stringify({ ...plan, formatVersion: 2 }))
    fake.calls.length = 0
    const r = await apply()
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('formatVersion 2; this shipit reads version 3')
    expect(r.stderr).toContain('HMAC-SHA256, cheap to test guesses against')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('each guess at a secret costs a memory-hard scrypt, with the parameters the plan states', async () => {
    const { scryptSync, createHmac } = await import('node:crypto')
    // a new secret value: the plan sends it
    const plan = await save(rotated)
    expect(plan.kdf).toEqual({ algorithm: 'scrypt', N: 32768, r: 8, p: 1, keylen: 32 })
    const marker = JSON.stringify(plan.steps).match(/"sensitive":"API_KEY","sha256":"([0-9a-f]+)"/)?.[1]
    // what an attacker with the file must compute per guess: 128·N·r = 32 MiB of memory, not one HMAC
    const guess = (value: string) => scryptSync(value, `${plan.salt}:API_KEY`, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 2 ** 20 }).toString('hex')
    expect(marker).toBe(guess(rotated.API_KEY))
    expect(marker).not.toBe(guess('sunshine1'))
    expect(marker).not.toBe(createHmac('sha256', plan.salt).update(rotated.API_KEY).digest('hex'))
  })

  const rotated = { API_KEY: 'rotated-secret-value' }

  /** The plan (of a new secret value) with its parameters changed and its commitment recomputed to match, as a forger would. */
  const reparametrised = async (N: number) => {
    const { scryptSync } = await import('node:crypto')
    const plan = await save(rotated)
    const commitment = scryptSync(rotated.API_KEY, `${plan.salt}:API_KEY`, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }).toString('hex')
    const text = JSON.stringify({ ...plan, kdf: { ...plan.kdf, N } })
    const replaced = text.replace(/("sensitive":"API_KEY","sha256":")[0-9a-f]+"/g, `$1${commitment}"`)
    expect(replaced).not.toBe(text)
    writeFileSync(out, replaced)
  }

  it('a plan with weakened scrypt parameters (consistent commitments) is refused with exit 3 and nothing runs', async () => {
    await reparametrised(2 ** 10)
    fake.calls.length = 0
    const r = await apply(rotated)
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('its scrypt parameter N=1024 is weaker than the least this shipit accepts (32768)')
    expect(fake.mutatingCalls()).toEqual([])
    for (const kdf of [undefined, { algorithm: 'sha256' }, { algorithm: 'scrypt', N: 2 ** 30, r: 8, p: 1, keylen: 32 }]) {
      writeFileSync(out, JSON.stringify({ ...(JSON.parse(readFileSync(out, 'utf8')) as PlanDocument), kdf }))
      const refused = await apply(rotated)
      expect(refused.code, JSON.stringify(kdf)).toBe(3)
    }
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a plan with stronger parameters is verified with them, and applies', async () => {
    // a commitment that does not hold under the stated parameters is a stale plan
    await reparametrised(2 ** 16)
    writeFileSync(out, readFileSync(out, 'utf8').replace(/("sensitive":"API_KEY","sha256":")[0-9a-f]+"/g, `$1${'0'.repeat(64)}"`))
    fake.calls.length = 0
    const stale = await apply(rotated)
    expect(stale.code).toBe(4)
    expect(fake.mutatingCalls()).toEqual([])
    // one that holds under them applies: the verification used the plan's N, not this shipit's
    await reparametrised(2 ** 16)
    const r = await apply(rotated)
    expect(r.code, r.stderr).toBe(0)
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias'])
  })

  it('an untouched saved plan applies exactly', async () => {
    await save()
    fake.calls.length = 0
    expect((await apply()).code).toBe(0)
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias'])
  })
})

describe('a saved plan of a container service (steps with client tokens)', () => {
  const fake = useFakeAws()

  it('applies when nothing changed: the plan made again has the same tokens, and the service is created once', async () => {
    fake.reset()
    const dir = project('name: saved\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n')
    const file = join(dir, 'app.yaml')
    const out = join(dir, 'plan.json')
    expect((await runCommand(Plan, ['--target', 'fargate', '-f', file, '--out', out])).code).toBe(0)
    const saved = JSON.parse(readFileSync(out, 'utf8')) as PlanDocument
    const token = saved.steps.find((s) => s.request.operation === 'CreateService')?.idempotency
    expect(token).toMatchObject({ kind: 'token', field: 'clientToken' })
    const r = await runCommand(Deploy, ['--target', 'fargate', '-f', file, '--plan', out, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const sent = fake.callsOf('CreateService')
    expect(sent).toHaveLength(1)
    expect(sent[0].input.clientToken).toBe((token as { value: string }).value)
  })
})
