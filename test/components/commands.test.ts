import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Logs from '../../src/commands/logs.js'
import Rollback from '../../src/commands/rollback.js'
import Run from '../../src/commands/run.js'
import Status from '../../src/commands/status.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'

function shop(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-shop-'))
  cpSync(join(import.meta.dirname, '../../examples/shop'), dir, { recursive: true })
  return join(dir, 'app.yaml')
}

describe('status, logs, run and rollback of an app with components', () => {
  const fake = useFakeAws({ region: 'us-east-1' })
  const file = shop()
  beforeAll(async () => {
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
    const r = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)
  })

  it('status shows every component by default, or the ones named', async () => {
    const all = await runCommand(Status, ['-f', file])
    expect(all.code, all.stderr).toBe(0)
    for (const c of ['api', 'web', 'worker', 'migrate', 'nightly']) expect(all.stdout).toContain(`${c} · shop (dev)`)
    expect(all.stdout).toMatch(/api · shop \(dev\) on lambda in us-east-1: deployed\n {2}url: https:/)
    const web = await runCommand(Status, ['-f', file, 'web', '--json'])
    expect(web.code, web.stderr).toBe(0)
    expect(JSON.parse(web.stdout).components.map((c: { component: string }) => c.component)).toEqual(['web'])
  })

  it('logs interleaves the components by time, each line prefixed by its component', async () => {
    const now = Date.now()
    fake.putLogEvents('/shipit/shop/web/dev', 'web/app/1', [{ timestamp: now - 3000, message: 'GET / 200' }])
    fake.putLogEvents('/shipit/shop/api/dev', '2026/12/05/[live]abc', [{ timestamp: now - 2000, message: 'listing items' }])
    fake.putLogEvents('/shipit/shop/web/dev', 'web/app/1', [{ timestamp: now - 1000, message: 'GET /cart 200' }])
    const r = await runCommand(Logs, ['-f', file, 'web', 'api'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines.map((l) => l.slice(0, 6))).toEqual(['[web] ', '[api] ', '[web] '])
    expect(lines[1]).toContain('listing items')
  })

  it('run needs exactly one component, and runs the one named', async () => {
    const none = await runCommand(Run, ['-f', file])
    expect(none.code).toBe(3)
    expect(none.stderr).toContain('run acts on exactly one component; this app has 5: api, web, worker, migrate, nightly')
    const before = fake.callsOf('RunTask').length
    const ran = await runCommand(Run, ['-f', file, 'migrate', '--', 'sh', '-c', 'echo again'])
    expect(ran.code, ran.stderr).toBe(0)
    const call = fake.callsOf('RunTask')[before]
    expect(call.input.taskDefinition).toContain('shop-migrate-dev')
    expect(call.input.overrides.containerOverrides[0].command).toEqual(['sh', '-c', 'echo again'])
  })

  it('rollback needs exactly one component', async () => {
    const r = await runCommand(Rollback, ['-f', file, '--yes'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('rollback acts on exactly one component')
  })
})
