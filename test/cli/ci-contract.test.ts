import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Logs from '../../src/commands/logs.js'
import Plan from '../../src/commands/plan.js'
import Rollback from '../../src/commands/rollback.js'
import Run from '../../src/commands/run.js'
import Status from '../../src/commands/status.js'
import Validate from '../../src/commands/validate.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const APP = `
name: ci
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
`

describe('the CI contract (commands in-process against the in-memory AWS)', () => {
  const fake = useFakeAws()
  let dir: string
  let file: string
  beforeEach(() => {
    fake.reset()
    dir = project(APP)
    file = join(dir, 'app.yaml')
  })
  const deployYes = () => runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes'])

  it('plan --detailed-exitcode: 2 with changes, 0 without, 1 on an AWS error', async () => {
    expect((await runCommand(Plan, ['--target', 'lambda', '-f', file, '--detailed-exitcode'])).code).toBe(2)
    expect((await deployYes()).code).toBe(0)
    expect((await runCommand(Plan, ['--target', 'lambda', '-f', file, '--detailed-exitcode'])).code).toBe(0)
    fake.failOn(
      'GetFunction',
      { name: 'AccessDeniedException', message: 'User is not authorized to perform: lambda:GetFunction', httpStatus: 403 },
      { times: 10 },
    )
    const denied = await runCommand(Plan, ['--target', 'lambda', '-f', file, '--detailed-exitcode'])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('AccessDeniedException')
    expect(denied.stderr).toContain('not authorized to perform: lambda:GetFunction')
  })

  it('deploy without --yes when stdin is not a terminal exits 3 and changes nothing', async () => {
    const r = await runCommand(Deploy, ['--target', 'lambda', '-f', file])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('add --yes')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('deploy --json: one JSON document on stdout with status, outputs and steps', async () => {
    const r = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes', '--json'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ app: 'ci', env: 'dev', target: 'lambda', region: 'us-west-2', command: 'deploy', status: 'applied' })
    expect(doc.outputs.url).toMatch(/^https:\/\/[a-z0-9]+\.execute-api\.us-west-2\.amazonaws\.com\/$/)
    expect(doc.steps.every((s: { status: string }) => s.status === 'done')).toBe(true)
    expect(doc.summary.create).toBe(11)
    expect(r.stderr).toBe('')
    const again = JSON.parse((await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes', '--json'])).stdout)
    expect(again.status).toBe('no-changes')
  })

  it('a saved plan applies when nothing changed, and is refused with exit 4 when live state moved', async () => {
    const out = join(dir, 'plan.json')
    expect((await runCommand(Plan, ['--target', 'lambda', '-f', file, '--out', out])).code).toBe(0)
    const saved = JSON.parse(readFileSync(out, 'utf8'))
    expect(saved.formatVersion).toBe(3)
    // someone else deploys in between
    expect((await deployYes()).code).toBe(0)
    const stale = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'])
    expect(stale.code).toBe(4)
    expect(stale.stderr).toContain('stale')
    expect(stale.stderr).toMatch(/no longer needed: create lambda:function ci-dev/)

    // a fresh saved plan applies exactly
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 204 })\n')
    await runCommand(Plan, ['--target', 'lambda', '-f', file, '--out', out])
    fake.calls.length = 0
    const ok = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'])
    expect(ok.code).toBe(0)
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias'])
  })

  it('a saved plan for another env, an unknown formatVersion, or changed files is refused', async () => {
    const out = join(dir, 'plan.json')
    await deployYes()
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 205 })\n')
    await runCommand(Plan, ['--target', 'lambda', '-f', file, '--out', out])
    const plan = JSON.parse(readFileSync(out, 'utf8'))

    writeFileSync(out, JSON.stringify({ ...plan, env: 'prod' }))
    const other = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'])
    expect(other.code).toBe(3)
    expect(other.stderr).toContain('the saved plan is for env "prod", not "dev"')

    writeFileSync(out, JSON.stringify({ ...plan, formatVersion: 99 }))
    const future = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'])
    expect(future.code).toBe(3)
    expect(future.stderr).toContain('formatVersion 99')

    writeFileSync(out, JSON.stringify(plan))
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 206 })\n')
    const changed = await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--plan', out, '--yes'])
    expect(changed.code).toBe(4)
  })

  it('in GitHub Actions, validation errors become annotations and the plan goes to the step summary', async () => {
    const bad = project('name: ci\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n  memory: 1\n')
    const invalid = await runCommand(Validate, ['-f', join(bad, 'app.yaml')], { GITHUB_ACTIONS: 'true' })
    expect(invalid.code).toBe(3)
    expect(invalid.stdout).toMatch(/^::error file=.*app\.yaml,line=5,col=11::function\.memory must be at least 128/m)

    const summary = join(mkdtempSync(join(tmpdir(), 'gh-')), 'summary.md')
    writeFileSync(summary, '')
    const r = await runCommand(Plan, ['--target', 'lambda', '-f', file], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary })
    expect(r.code).toBe(0)
    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('### shipit deploy plan: ci (dev) on lambda')
    expect(md).toContain('Plan: 11 to create')
    expect(md).toContain('| create | `lambda:function` | `ci-dev` |')
  })

  it('status: not deployed (exit 1), then deployed with version and URL; --json gives the same as data', async () => {
    const notDeployed = await runCommand(Status, ['--target', 'lambda', '-f', file, '--json'])
    expect(notDeployed.code).toBe(1)
    const before = JSON.parse(notDeployed.stdout).error
    expect(before).toMatchObject({ code: 'NotDeployed', message: 'ci (dev) is not deployed on lambda in us-west-2', exitCode: 1 })
    expect(before.details).toMatchObject({ app: 'ci', env: 'dev', target: 'lambda', deployed: false })
    await deployYes()
    const after = await runCommand(Status, ['--target', 'lambda', '-f', file, '--json'])
    const doc = JSON.parse(after.stdout)
    expect(doc.deployed).toBe(true)
    expect(doc.outputs).toMatchObject({ version: '1', functionName: 'ci-dev', alias: 'live' })
    expect(doc.outputs.url).toMatch(/^https:\/\//)
    const text = await runCommand(Status, ['--target', 'lambda', '-f', file])
    expect(text.stdout).toContain('ci (dev) on lambda in us-west-2: deployed')
  })

  it('run --target lambda prints the response; a function error exits 1 with its message', async () => {
    await deployYes()
    fake.setLambdaHandler('ci-dev', (event: any) => ({ result: { statusCode: 200, body: `hi ${event.name}` } }))
    const ok = await runCommand(Run, ['--target', 'lambda', '-f', file, '--payload', '{"name":"ada"}'])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ statusCode: 200, body: 'hi ada' })
    fake.setLambdaHandler('ci-dev', () => ({ error: { errorType: 'TypeError', errorMessage: 'boom' } }))
    const bad = await runCommand(Run, ['--target', 'lambda', '-f', file])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('TypeError: boom')
  })

  it('rollback: refused with nothing to go back to; after two deploys, goes back and --json reports it', async () => {
    await deployYes()
    const none = await runCommand(Rollback, ['--target', 'lambda', '-f', file, '--yes'])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('no earlier version')
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 207 })\n')
    await deployYes()
    const back = JSON.parse((await runCommand(Rollback, ['--target', 'lambda', '-f', file, '--yes', '--json'])).stdout)
    expect(back).toMatchObject({ command: 'rollback', status: 'applied' })
    expect(back.outputs.version).toBe('1')
  })

  it('logs: pages through every event in time order; --json gives them as data', async () => {
    await deployYes()
    const now = Date.now()
    fake.putLogEvents(
      '/shipit/ci/dev',
      'stream-b',
      Array.from({ length: 120 }, (_, i) => ({ timestamp: now - 60_000 + i * 2 + 1, message: `b${i}` })),
    )
    fake.putLogEvents(
      '/shipit/ci/dev',
      'stream-a',
      Array.from({ length: 120 }, (_, i) => ({ timestamp: now - 60_000 + i * 2, message: `a${i}` })),
    )
    const r = await runCommand(Logs, ['--target', 'lambda', '-f', file, '--since', '5m', '--json'])
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.events).toHaveLength(240)
    const times = doc.events.map((e: { timestamp: number }) => e.timestamp)
    expect(times).toEqual([...times].sort((x: number, y: number) => x - y))
    expect(doc.events.slice(0, 2).map((e: { message: string }) => e.message)).toEqual(['a0', 'b0'])
    const filtered = JSON.parse((await runCommand(Logs, ['--target', 'lambda', '-f', file, '--filter', 'a11', '--json'])).stdout)
    expect(filtered.events.map((e: { message: string }) => e.message).sort()).toEqual([
      'a11',
      'a110',
      'a111',
      'a112',
      'a113',
      'a114',
      'a115',
      'a116',
      'a117',
      'a118',
      'a119',
    ])
  })
})
