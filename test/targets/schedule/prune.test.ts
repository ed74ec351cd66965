import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../../src/clock.js'
import Deploy from '../../../src/commands/deploy.js'
import Prune from '../../../src/commands/prune.js'
import { runCommand } from '../../helpers/command.js'
import { useFakeAws } from '../../helpers/fake.js'
import { project } from '../../helpers/session.js'

const APP = `name: report
region: us-west-2
target: lambda
function:
  handler: index.handler
  runtime: nodejs22.x
schedule: "rate(1 hour)"
environments:
  "pr-*": { ttl: 12h }
`
const T0 = Date.parse('2026-12-05T12:00:00Z')

describe('a preview env with a schedule', () => {
  const fake = useFakeAws()
  beforeEach(() => {
    fake.reset()
    clock.now = () => new Date(T0)
  })
  afterEach(() => {
    clock.now = () => new Date()
  })

  it('carries the expiry on its schedule group, and prune removes the schedule with the rest', async () => {
    const file = join(project(APP), 'app.yaml')
    const deployed = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(deployed.code, deployed.stderr).toBe(0)
    expect(fake.state.scheduler.groups.get('shipit-report-pr-7')?.Tags).toMatchObject({ 'shipit:expires': '2026-12-06T00:00:00Z', 'shipit:ttl': '12h' })
    expect(fake.state.roles.has('shipit-report-pr-7-scheduler')).toBe(true)

    clock.now = () => new Date(T0 + 13 * 3_600_000)
    const pruned = await runCommand(Prune, ['--yes'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(fake.state.scheduler.schedules.size).toBe(0)
    expect(fake.state.scheduler.groups.size).toBe(0)
    expect(fake.state.roles.has('shipit-report-pr-7-scheduler')).toBe(false)
  })
})
