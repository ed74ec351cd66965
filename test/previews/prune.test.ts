import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Prune from '../../src/commands/prune.js'
import { takeLock } from '../../src/lock/lease.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'
import { PREVIEW_APP } from './apps.js'

const T0 = Date.parse('2026-12-05T12:00:00Z')
const DAY = 86_400_000
const at = (ms: number) => () => new Date(ms)

describe('shipit prune on the in-memory AWS', () => {
  const fake = useFakeAws()
  let dir: string
  beforeEach(async () => {
    fake.reset()
    clock.now = at(T0)
    dir = project(PREVIEW_APP)
    const file = join(dir, 'app.yaml')
    for (const env of ['dev', 'prod', 'pr-7']) {
      const r = await runCommand(Deploy, ['-f', file, '--env', env, '--yes'])
      expect(r.code, r.stderr).toBe(0)
    }
    // something of someone else's, with a name like shipit's but without its tags
    await new CloudWatchLogsClient({ region: 'us-west-2' }).send(new CreateLogGroupCommand({ logGroupName: '/shipit/web/pr-8', tags: { team: 'x' } }))
    // a closed PR: its branch and its app.yaml are gone
    rmSync(dir, { recursive: true, force: true })
    fake.calls.length = 0
  })
  afterEach(() => {
    clock.now = () => new Date()
  })

  const live = () => ({
    services: [...fake.state.services.values()]
      .filter((s) => s.status === 'ACTIVE')
      .map((s) => s.serviceName)
      .sort(),
    logGroups: [...fake.state.logGroups.keys()].sort(),
    roles: [...fake.state.roles.values()].map((r) => r.role.RoleName).sort(),
  })

  it('before the expiry nothing is due: exit 0, nothing written, every env listed', async () => {
    clock.now = at(T0 + 2 * DAY)
    const r = await runCommand(Prune, ['--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/web\s+pr-7\s+fargate\s+2026-12-08T12:00:00Z\s+\$\d+\.\d\d\s+keep: expires/)
    expect(r.stdout).toMatch(/web\s+prod\s+fargate\s+no ttl/)
    expect(r.stderr).toContain('nothing is due')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('--dry-run after the expiry shows the destroy plan of pr-7 and changes nothing', async () => {
    clock.now = at(T0 + 4 * DAY)
    const before = live()
    const r = await runCommand(Prune, ['--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/web\s+pr-7\s+fargate\s+2026-12-08T12:00:00Z\s+\$\d+\.\d\d\s+destroy: expired/)
    expect(r.stdout).toContain('web-pr-7')
    expect(fake.mutatingCalls()).toEqual([])
    expect(live()).toEqual(before)
  })

  it('prune --yes after the expiry destroys pr-7 alone: dev, prod and what has no shipit tags stay', async () => {
    clock.now = at(T0 + 4 * DAY)
    const r = await runCommand(Prune, ['--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.environments.map((e: { env: string; status: string }) => `${e.env}:${e.status}`)).toEqual(['dev:kept', 'pr-7:destroyed', 'prod:kept'])
    const after = live()
    expect(after.services).toEqual(['web-dev', 'web-prod'])
    expect(after.logGroups).toEqual(['/shipit/web/dev', '/shipit/web/pr-8', '/shipit/web/prod'])
    expect(after.roles).toEqual(['shipit-web-dev-task-exec', 'shipit-web-prod-task-exec'])
    expect(
      [...fake.state.clusters.values()]
        .filter((c) => c.status === 'ACTIVE')
        .map((c) => c.clusterName)
        .sort(),
    ).toEqual(['web-dev', 'web-prod'])
    // every write was about pr-7
    for (const call of fake.mutatingCalls()) expect(JSON.stringify(call.input)).toMatch(/pr-7|sg-|task-definition/)
    // and a second prune finds nothing due
    fake.calls.length = 0
    const again = await runCommand(Prune, ['--yes'])
    expect(again.code).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('an expired env whose deploy lock is held (a push to the PR is deploying it) is left as it is, in-use, and the rest is still pruned', async () => {
    clock.now = at(T0 + 4 * DAY)
    const lock = await takeLock(new AwsClients({ region: 'us-west-2' }), {
      scope: { app: 'web', env: 'pr-7' },
      command: 'deploy',
      timeoutSeconds: 0,
      holder: 'ci run 9',
    })
    try {
      const r = await runCommand(Prune, ['--yes', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const result = JSON.parse(r.stdout)
      expect(result.environments.map((e: { env: string; status: string }) => `${e.env}:${e.status}`)).toEqual(['dev:kept', 'pr-7:in-use', 'prod:kept'])
      expect(result.environments.find((e: { env: string }) => e.env === 'pr-7').error).toMatch(/a deploy holds its lock.*ci run 9/)
      expect(live().services).toEqual(['web-dev', 'web-pr-7', 'web-prod'])
      expect(fake.mutatingCalls()).toEqual([])
    } finally {
      await lock.release()
    }
  })

  it('an env without a ttl is never pruned by age; named with --app and --env it is', async () => {
    clock.now = at(T0 + 400 * DAY)
    const byAge = await runCommand(Prune, ['--yes', '--older-than', '1d', '--json'])
    expect(byAge.code, byAge.stderr).toBe(0)
    expect(live().services).toEqual(['web-dev', 'web-prod'])
    const named = await runCommand(Prune, ['--yes', '--app', 'web', '--env', 'dev'])
    expect(named.code, named.stderr).toBe(0)
    expect(live().services).toEqual(['web-prod'])
  })

  it('--older-than prunes a ttl env not renewed for that long, before its expiry', async () => {
    clock.now = at(T0 + 2 * DAY)
    const r = await runCommand(Prune, ['--yes', '--older-than', '1d'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/destroy: not renewed since 2026-12-05T12:00:00Z/)
    expect(live().services).toEqual(['web-dev', 'web-prod'])
  })

  it('bad flags are exit 3 before any AWS call', async () => {
    for (const argv of [
      ['--env', 'dev', '--yes'],
      ['--older-than', '3 days', '--yes'],
      ['--app', 'Bad_Name', '--yes'],
    ]) {
      const r = await runCommand(Prune, argv)
      expect(r.code, argv.join(' ')).toBe(3)
    }
    expect(fake.calls).toEqual([])
  })
})
