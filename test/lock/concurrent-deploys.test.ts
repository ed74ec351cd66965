/**
 * Issue 27: two pipelines deploy the same app and env at once. Both go through the real plan→apply
 * workflow (src/cli/workflow.ts) in this process, against one shared in-memory AWS.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { planAndApply, type WorkflowFlags, type WorkflowResult } from '../../src/cli/workflow.js'
import { ensureLockTable, takeLock } from '../../src/lock/lease.js'
import { LOCK_TABLE, lockKey } from '../../src/lock/requests.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, project } from '../helpers/session.js'

const APP = `
name: hello
region: us-west-2
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /", "ANY /{proxy+}"]
`
const handler = (greeting: string) => `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(greeting)} })\n`

function pipeline(dir: string, notes: string[], extra: Partial<WorkflowFlags> = {}): Promise<WorkflowResult> {
  const flags: WorkflowFlags = {
    file: join(dir, 'app.yaml'),
    target: 'lambda',
    'max-attempts': 5,
    'request-timeout': 30,
    yes: true,
    json: true,
    'lock-timeout': 60,
    ...extra,
  }
  return planAndApply('deploy', flags, false, { out: () => {}, note: (t) => notes.push(t) })
}

const applied = (r: WorkflowResult) => {
  if (r.kind !== 'apply') throw new Error('expected an apply')
  return r
}

describe('two deploys of one app and env at once', () => {
  const fake = useFakeAws()
  beforeEach(async () => {
    fake.reset()
    // the lock table exists, as after any earlier deploy in this account (its first creation is tested in lease.test.ts)
    await ensureLockTable(new AwsClients({ region: 'us-west-2' }))
    // calls take a little time, as on AWS: the second run reaches the lock while the first holds it
    fake.latencyMs = 15
  })

  const api = () => {
    const apis = [...fake.state.apis.values()]
    expect(apis).toHaveLength(1)
    return apis[0]
  }

  it('the same code: exactly the resources of one deploy; the second waited, then planned no changes', async () => {
    const dir = project(APP)
    const notes: [string[], string[]] = [[], []]
    const results = await Promise.all([pipeline(dir, notes[0]), pipeline(dir, notes[1])])
    const waited = notes.findIndex((n) => n.some((l) => l.startsWith('waiting for the lock on hello (dev)')))
    expect(waited).toBeGreaterThanOrEqual(0)
    const first = applied(results[1 - waited])
    const second = applied(results[waited])
    expect(first.outcome.status).toBe('applied')
    expect(second.outcome.status).toBe('no-changes')
    expect(second.plan.steps).toEqual([])

    expect([...api().routes.values()].map((r) => r.RouteKey).sort()).toEqual(['ANY /{proxy+}', 'GET /'])
    expect(api().integrations.size).toBe(1)
    // one version: the one CreateFunction published
    expect(fake.callsOf('PublishVersion')).toHaveLength(0)
    expect(fake.state.functions.get('hello-dev')!.versions.size).toBe(1)
    // both released: no lock is left behind
    expect(fake.state.dynamodb.tables.get(LOCK_TABLE)!.items.has(lockKey({ app: 'hello', env: 'dev' }))).toBe(false)
  })

  it('different code: the run that took the lock last wins, and its plan starts from what the first left (never an interleaving)', async () => {
    const dirs = [project(APP, { 'src/index.mjs': handler('one') }), project(APP, { 'src/index.mjs': handler('two') })]
    const notes: [string[], string[]] = [[], []]
    const results = await Promise.all([pipeline(dirs[0], notes[0]), pipeline(dirs[1], notes[1])])
    const last = notes.findIndex((n) => n.some((l) => l.startsWith('waiting for the lock')))
    expect(last).toBeGreaterThanOrEqual(0)
    const first = applied(results[1 - last])
    const second = applied(results[last])

    // the first created everything; the second, planned after it, only updates the code and moves the alias
    expect(first.plan.steps.filter((s) => s.action === 'create').map((s) => s.resource.type)).toContain('apigatewayv2:api')
    expect(second.plan.steps.map((s) => `${s.action} ${s.resource.type}`).sort()).toEqual([
      'create lambda:version',
      'update lambda:alias',
      'update lambda:function',
    ])

    // the winner's code is live behind the alias, and the API is the one the first deploy made
    const fn = fake.state.functions.get('hello-dev')!
    const alias = fn.aliases.get('live')!
    const liveCode = fn.versions.get(alias.FunctionVersion)!.code
    const winnerZip = second.plan.steps.find((s) => s.resource.type === 'lambda:function')!.request.input.ZipFile as { sha256: string }
    const digest = createHash('sha256').update(liveCode)
    expect([digest.copy().digest('hex'), digest.digest('base64')]).toContain(winnerZip.sha256)
    expect([...api().routes.values()]).toHaveLength(2)
    expect(api().integrations.size).toBe(1)
    // two versions: the first run's CreateFunction published one, the second run PublishVersion the other
    expect(fake.callsOf('PublishVersion')).toHaveLength(1)
    expect(fn.versions.size).toBe(2)

    // never an interleaving: every change of the second run comes after the last change of the first
    const writes = fake.mutatingCalls()
    const firstCount = first.outcome.steps.length
    expect(writes.length).toBeGreaterThanOrEqual(firstCount + second.outcome.steps.length)
    const lockTakes = fake.lockCalls().filter((c) => c.operation === 'PutItem')
    const releases = fake.lockCalls().filter((c) => c.operation === 'DeleteItem')
    expect(releases).toHaveLength(2)
    const firstRelease = releases[0].at
    const secondTake = lockTakes[lockTakes.length - 1].at
    expect(secondTake).toBeGreaterThanOrEqual(firstRelease)
    const beforeSwitch = writes.filter((w) => w.at <= firstRelease)
    const afterSwitch = writes.filter((w) => w.at >= secondTake)
    expect(beforeSwitch.length + afterSwitch.length).toBe(writes.length)
    expect(afterSwitch.map((w) => w.operation)).toEqual(expect.arrayContaining(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias']))
    expect(afterSwitch.map((w) => w.operation)).not.toContain('CreateApi')
  })

  it('deploy --plan FILE waits for the lock, then verifies the saved plan against what the other run left: stale, exit 4, nothing applied', async () => {
    const dir = project(APP, { 'src/index.mjs': handler('saved') })
    const out = join(dir, 'plan.json')
    const planned = await planAndApply(
      'deploy',
      { file: join(dir, 'app.yaml'), target: 'lambda', 'max-attempts': 5, 'request-timeout': 30, json: true, out },
      true,
      {
        out: () => {},
        note: () => {},
      },
    )
    expect(planned.plan.steps.length).toBeGreaterThan(0)

    // another pipeline holds the lock and deploys meanwhile
    const other = await takeLock(new AwsClients({ region: 'us-west-2' }), {
      scope: { app: 'hello', env: 'dev' },
      command: 'deploy',
      timeoutSeconds: 0,
      holder: 'other',
    })
    const notes: string[] = []
    const saved = pipeline(dir, notes, { plan: out })
    await new Promise((r) => setTimeout(r, 100))
    expect(notes.some((n) => n.includes('held by other'))).toBe(true)
    await deploy(project(APP, { 'src/index.mjs': handler('other') }), { target: 'lambda' })
    const writes = fake.mutatingCalls().length
    await other.release()

    const err = await saved.catch((e) => e)
    expect(err).toMatchObject({ exitCode: 4 })
    expect(fake.mutatingCalls()).toHaveLength(writes)
  })

  it('a run whose lock was taken over mid-apply (its lease ran out unrenewed) starts no further step and exits 1 saying so', async () => {
    const dir = project(APP)
    fake.latencyMs = 40
    process.env.SHIPIT_LOCK_LEASE_SECONDS = '0.3'
    try {
      const run = pipeline(dir, [])
      const item = () => fake.state.dynamodb.tables.get(LOCK_TABLE)!.items.get(lockKey({ app: 'hello', env: 'dev' }))
      await vi.waitFor(() => expect(fake.callsOf('CreateRole')).toHaveLength(1), { timeout: 5000, interval: 5 })
      // another run took it over, as after a pause longer than the lease
      item()!.token = { S: 'the-other-run' }
      const err = await run.catch((e) => e)
      expect(err).toMatchObject({ code: 'LockLost', exitCode: 1 })
      expect(err.message).toMatch(/^the deploy lock was lost: another run took the lock over after its lease ran out; stopped after the call in flight/)
      expect(fake.callsOf('PublishVersion')).toHaveLength(0)
      // the other run's lock is left alone
      expect(item()!.token.S).toBe('the-other-run')
    } finally {
      delete process.env.SHIPIT_LOCK_LEASE_SECONDS
    }
  })
})
