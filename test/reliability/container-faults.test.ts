import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { polling } from '../../src/aws/waiters.js'
import { applyPlan } from '../../src/engine/apply.js'
import { ShipitError } from '../../src/errors.js'
import { silentReporter } from '../../src/ui/reporter.js'
import { createFakeAws, type FakeAws } from '../fakes/aws.js'
import { MINIMAL_SERVICE as SERVICE, MINIMAL_TASK as TASK } from '../helpers/apps.js'
import { deploy, fakeCredentials, planFor, project } from '../helpers/session.js'

type Snapshot = Record<string, number>

/** Counts of what shipit creates, to compare a recovered deploy with a clean one. */
function census(fake: FakeAws): Snapshot {
  const s = fake.state as any
  const sgs = [...(s.ec2.securityGroups?.values?.() ?? [])].filter((g: any) => String(g.GroupName).startsWith('shipit-'))
  const activeTds = [...(s.ecs.taskDefinitions?.values?.() ?? [])].filter((t: any) => t.status === 'ACTIVE')
  const services = [...(s.ecs.services?.values?.() ?? [])].filter((x: any) => x.status === 'ACTIVE')
  return {
    clusters: [...(s.ecs.clusters?.values?.() ?? [])].filter((c: any) => c.status === 'ACTIVE').length,
    services: services.length,
    taskDefinitions: activeTds.length,
    securityGroups: sgs.length,
    roles: s.iam.roles.size,
    logGroups: s.logs.logGroups.size,
  }
}

const seed = (fake: FakeAws, mode: string) => {
  if (mode === 'task') (fake.state as any).ecs.taskOutcome = { exitCode: 0, logLines: ['ok'] }
}

describe.each([
  ['fargate', 'service', SERVICE],
  ['fargate', 'task', TASK],
  // the article's create-cluster: an ecs app whose cluster has no instances yet deploys with count 0
  ['ecs', 'service', SERVICE.replace('count: 1', 'count: 0')],
])('%s %s: a failure at any mutating call of a fresh deploy, then a re-run, converges', (target, _mode, yaml) => {
  let fake: FakeAws
  let clean: Snapshot
  let mutations: number
  beforeAll(async () => {
    fakeCredentials()
    polling.intervalMs = 0
    fake = createFakeAws()
    seed(fake, _mode)
    await deploy(project(yaml), { target })
    clean = census(fake)
    mutations = fake.mutatingCalls().length
    expect(mutations).toBeGreaterThan(5)
  })
  afterAll(() => fake.restore())

  it('for every k', async () => {
    for (let k = 1; k <= mutations; k++) {
      fake.reset()
      seed(fake, _mode)
      const dir = project(yaml)
      fake.failAtMutation(k, { name: 'AccessDeniedException', message: `injected at ${k}`, httpStatus: 403 })
      const err = await deploy(dir, { target }).catch((e: unknown) => e)
      expect(err, `k=${k}`).toBeInstanceOf(ShipitError)
      expect((err as ShipitError).message, `k=${k}`).toContain(`injected at ${k}`)
      await deploy(dir, { target })
      expect(census(fake), `k=${k}`).toEqual(clean)
      // and then it is stable (a task app runs its task on every deploy: that is its only step)
      const next = await planFor(dir, { target })
      expect(
        next.plan.steps.filter((s) => s.action !== 'run'),
        `k=${k}`,
      ).toEqual([])
    }
  })
})

describe('two deploys of the same service', () => {
  let fake: FakeAws
  beforeAll(() => {
    fakeCredentials()
    polling.intervalMs = 0
    fake = createFakeAws()
  })
  afterAll(() => fake.restore())

  it('the second, planned from the same state, fails before UpdateService with a conflict (exit 1)', async () => {
    const dir = project(SERVICE)
    await deploy(dir, { target: 'fargate' })
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    writeFileSync(join(dir, 'app.yaml'), SERVICE.replace('nginx:1.27', 'nginx:1.28'))
    const a = await planFor(dir, { target: 'fargate' })
    writeFileSync(join(dir, 'app.yaml'), SERVICE.replace('nginx:1.27', 'nginx:1.29'))
    const b = await planFor(dir, { target: 'fargate' })
    await applyPlan(a.session, a.planned, a.plan, { reporter: silentReporter, timeoutSeconds: 10 })
    fake.calls.length = 0
    const err = await applyPlan(b.session, b.planned, b.plan, { reporter: silentReporter, timeoutSeconds: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ShipitError)
    expect((err as ShipitError).exitCode).toBe(1)
    expect((err as ShipitError).message).toMatch(/changed since the plan was made.*another deploy/)
    expect(fake.callsOf('UpdateService')).toEqual([])
    const svc = [...(fake.state as any).ecs.services.values()].find((s: any) => s.serviceName === 'web-dev')
    expect(svc.taskDefinition).toMatch(/web-dev:2$/)
  })
})
