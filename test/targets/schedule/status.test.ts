import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../../src/clock.js'
import Deploy from '../../../src/commands/deploy.js'
import Destroy from '../../../src/commands/destroy.js'
import Status from '../../../src/commands/status.js'
import { runCommand } from '../../helpers/command.js'
import { useFakeAws } from '../../helpers/fake.js'
import { project } from '../../helpers/session.js'

const APP = `
name: nightly
region: us-west-2
container:
  image: public.ecr.aws/docker/library/busybox:1.36
  command: ["sh", "-c", "echo nightly"]
  mode: task
schedule: { expression: "cron(0 3 * * ? *)", timezone: Europe/Paris }
`

describe('shipit status of a scheduled task', () => {
  const fake = useFakeAws()
  const realNow = clock.now
  beforeEach(() => {
    fake.reset()
    clock.now = () => new Date('2026-12-05T21:10:00Z')
  })
  afterEach(() => {
    clock.now = realNow
  })

  it('shows the schedule and its next run; destroy removes the schedule, shown in its plan', async () => {
    const file = join(project(APP, {}), 'app.yaml')
    const t = ['--target', 'fargate', '-f', file]
    expect((await runCommand(Deploy, [...t, '--yes'])).code).toBe(0)

    const status = await runCommand(Status, t)
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('schedule: cron(0 3 * * ? *) Europe/Paris')
    // 03:00 in Paris in December is 02:00 UTC
    expect(status.stdout).toContain('nextRun: 2026-12-06T02:00:00.000Z')
    const json = JSON.parse((await runCommand(Status, [...t, '--json'])).stdout)
    expect(json.outputs).toMatchObject({ schedule: 'cron(0 3 * * ? *) Europe/Paris', nextRun: '2026-12-06T02:00:00.000Z' })

    const destroyed = await runCommand(Destroy, [...t, '--yes'])
    expect(destroyed.code).toBe(0)
    expect(destroyed.stdout + destroyed.stderr).toMatch(/- .*scheduler:schedule shipit-nightly-dev\/nightly-dev/)
    expect(fake.state.scheduler.schedules.size).toBe(0)
  })
})
