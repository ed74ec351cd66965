import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import { TAG_EXPIRES } from '../../src/manifest/names.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'
import { PREVIEW_APP } from './apps.js'

const T0 = Date.parse('2026-12-05T12:00:00Z')
const DAY = 86_400_000
const at = (ms: number) => () => new Date(ms)

describe('a preview env (pr-* with ttl: 3d) on the in-memory AWS', () => {
  const fake = useFakeAws()
  let file: string
  beforeEach(() => {
    fake.reset()
    file = join(project(PREVIEW_APP), 'app.yaml')
    clock.now = at(T0)
  })
  afterEach(() => {
    clock.now = () => new Date()
  })

  it('deploy --env pr-7 tags every resource it makes with the expiry; a redeploy before half the ttl writes nothing; later it renews', async () => {
    const first = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(first.code, first.stderr).toBe(0)
    const expires = '2026-12-08T12:00:00Z'
    // every resource shipit made for pr-7: cluster, service, task definition, log group, security group, role
    const cluster = [...fake.state.clusters.values()].find((c) => c.clusterName === 'web-pr-7')
    expect(cluster?.tags).toContainEqual({ key: TAG_EXPIRES, value: expires })
    const service = [...fake.state.services.values()].find((s) => s.serviceName === 'web-pr-7')
    expect(service?.tags).toContainEqual({ key: TAG_EXPIRES, value: expires })
    const td = [...fake.state.taskDefinitions.values()].find((t) => t.taskDefinition.family === 'web-pr-7')
    expect(td?.tags).toContainEqual({ key: TAG_EXPIRES, value: expires })
    expect(fake.state.logGroups.get('/shipit/web/pr-7')?.tags[TAG_EXPIRES]).toBe(expires)
    const sg = [...fake.state.securityGroups.values()].find((g) => g.GroupName === 'shipit-web-pr-7')
    expect(sg?.Tags).toContainEqual({ Key: TAG_EXPIRES, Value: expires })
    expect(fake.state.roles.get('shipit-web-pr-7-task-exec')?.tags).toContainEqual({ Key: TAG_EXPIRES, Value: expires })

    // a day later: more than half of the 3 days is left, nothing is written
    clock.now = at(T0 + DAY)
    fake.calls.length = 0
    const second = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(second.code, second.stderr).toBe(0)
    expect(fake.mutatingCalls().map((c) => `${c.service}:${c.operation}`)).toEqual([])
    expect(second.stdout).toContain('No changes')
    // the plan says when the env expires: still the first deploy's expiry
    expect(second.stderr).toContain('expires 2026-12-08T12:00:00Z (ttl 3d)')

    // two days later: 1 day left of 3, the expiry is renewed (and only that)
    clock.now = at(T0 + 2 * DAY)
    fake.calls.length = 0
    const third = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(third.code, third.stderr).toBe(0)
    expect(fake.mutatingCalls().map((c) => `${c.service}:${c.operation}`)).toEqual(['resourcegroupstaggingapi:TagResources'])
    expect(fake.state.logGroups.get('/shipit/web/pr-7')?.tags[TAG_EXPIRES]).toBe('2026-12-10T12:00:00Z')
    expect(service?.tags).toBeDefined()
    // the role too: GetResources does not list IAM roles, they are read by name and renewed with the rest
    expect(fake.state.roles.get('shipit-web-pr-7-task-exec')?.tags).toContainEqual({ Key: TAG_EXPIRES, Value: '2026-12-10T12:00:00Z' })
    const renewed = [...fake.state.services.values()].find((s) => s.serviceName === 'web-pr-7')
    expect(renewed?.tags).toContainEqual({ key: TAG_EXPIRES, value: '2026-12-10T12:00:00Z' })

    // renewed: the next redeploy writes nothing again
    clock.now = at(T0 + 2 * DAY + 3_600_000)
    fake.calls.length = 0
    const fourth = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(fourth.code, fourth.stderr).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a saved plan of pr-7 applied an hour later is not stale: it tags with the expiry it showed', async () => {
    const out = join(file, '..', 'plan.json')
    const planned = await runCommand(Plan, ['-f', file, '--env', 'pr-7', '--out', out])
    expect(planned.code, planned.stderr).toBe(0)
    expect(planned.stdout).toContain('expires 2026-12-08T12:00:00Z (ttl 3d)')
    clock.now = at(T0 + 3_600_000)
    const applied = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--plan', out, '--yes'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(fake.state.logGroups.get('/shipit/web/pr-7')?.tags[TAG_EXPIRES]).toBe('2026-12-08T12:00:00Z')
  })

  it('prod has no ttl: no expiry tag, no tagging API call', async () => {
    const r = await runCommand(Deploy, ['-f', file, '--env', 'prod', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(fake.state.logGroups.get('/shipit/web/prod')?.tags[TAG_EXPIRES]).toBeUndefined()
    expect(fake.callsOf('GetResources')).toEqual([])
  })
})
