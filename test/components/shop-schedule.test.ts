import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Status from '../../src/commands/status.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'

function shop(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-shop-schedule-'))
  cpSync(join(import.meta.dirname, '../../examples/shop'), dir, { recursive: true })
  return join(dir, 'app.yaml')
}

describe("the shop's nightly: an EventBridge Scheduler schedule, named for its component", () => {
  const fake = useFakeAws({ region: 'us-east-1' })
  const realNow = clock.now
  beforeEach(() => {
    fake.reset()
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
    clock.now = () => new Date('2026-12-05T21:10:00Z')
  })
  afterEach(() => {
    clock.now = realNow
  })

  it('deploy makes its group, schedule and role; status shows its next run; destroy removes them with every component', async () => {
    const file = shop()
    const r = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)

    // the group (tagged: schedules take no tags), the schedule in it, and the role it runs the task with
    expect([...fake.state.scheduler.groups.keys()]).toEqual(['shipit-shop-nightly-dev'])
    expect(fake.state.scheduler.groups.get('shipit-shop-nightly-dev')?.Tags).toMatchObject({
      'shipit:app': 'shop',
      'shipit:env': 'dev',
      'shipit:component': 'nightly',
    })
    const schedule = fake.state.scheduler.schedules.get('shipit-shop-nightly-dev/shop-nightly-dev')
    expect(schedule).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)' })
    const target = schedule?.Target as { Arn: string; RoleArn: string; EcsParameters: { TaskDefinitionArn: string } }
    expect(target.Arn).toMatch(/:cluster\/shop-dev$/)
    expect(target.EcsParameters.TaskDefinitionArn).toContain('task-definition/shop-nightly-dev')
    expect(target.RoleArn).toMatch(/role\/shipit-shop-nightly-dev-scheduler$/)
    const role = fake.state.iam.roles.get('shipit-shop-nightly-dev-scheduler')
    expect(JSON.stringify(role)).toContain('scheduler.amazonaws.com')
    // only nightly is scheduled: no other component has a group
    expect(fake.callsOf('CreateScheduleGroup')).toHaveLength(1)

    const status = await runCommand(Status, ['-f', file, 'nightly'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain('schedule: cron(0 3 * * ? *)')
    expect(status.stdout).toContain('nextRun: 2026-12-06T03:00:00.000Z')

    const destroyed = await runCommand(Destroy, ['-f', file, '--yes'])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(fake.state.scheduler.schedules.size).toBe(0)
    expect(fake.state.scheduler.groups.size).toBe(0)
    expect([...fake.state.iam.roles.keys()].filter((name) => name.includes('shop'))).toEqual([])
    expect(fake.state.lambda.functions.size).toBe(0)
    expect(fake.state.apigatewayv2.apis.size).toBe(0)
    expect([...fake.state.ecs.services.values()].filter((s) => s.status === 'ACTIVE')).toEqual([])
    expect([...fake.state.ecs.clusters.values()].filter((c) => c.status === 'ACTIVE')).toEqual([])
    expect([...fake.state.logs.logGroups.keys()].filter((g) => g.startsWith('/shipit/shop/'))).toEqual([])
    expect([...fake.state.ec2.securityGroups.values()].map((g) => g.GroupName).filter((n) => n?.includes('shop'))).toEqual([])
    const families = [...fake.state.ecs.taskDefinitions.values()].filter((t) => t.taskDefinition.status === 'ACTIVE').map((t) => t.taskDefinition.family)
    expect(families).toEqual([])
  })
})
