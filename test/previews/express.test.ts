import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Prune from '../../src/commands/prune.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'
import { EXPRESS_PREVIEW_APP } from './apps.js'

const T0 = Date.parse('2026-12-05T12:00:00Z')

describe('a preview with a URL on fargate (ECS Express Mode)', () => {
  const fake = useFakeAws()
  beforeEach(() => {
    fake.reset()
    clock.now = () => new Date(T0)
  })
  afterEach(() => {
    clock.now = () => new Date()
  })

  it('deploys pr-7 with the expiry, and prune destroys it from the tags alone once expired', async () => {
    const file = join(project(EXPRESS_PREVIEW_APP), 'app.yaml')
    const r = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/url: https:\/\/site-pr-7-/)
    const service = () => [...fake.state.services.values()].find((s) => s.serviceName === 'site-pr-7' && s.status === 'ACTIVE')
    expect(service()?.tags).toContainEqual({ key: 'shipit:expires', value: '2026-12-06T12:00:00Z' })
    clock.now = () => new Date(T0 + 2 * 86_400_000)
    const pruned = await runCommand(Prune, ['--yes'])
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(pruned.stdout).toMatch(/site\s+pr-7\s+fargate\s+2026-12-06T12:00:00Z/)
    expect(service()).toBeUndefined()
    expect(fake.state.roles.size).toBe(0)
    expect(fake.state.logGroups.has('/shipit/site/pr-7')).toBe(false)
  })
})
