import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import Rollback from '../../src/commands/rollback.js'
import Status from '../../src/commands/status.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const APP = `
name: shop
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
  release: { strategy: canary, percent: 10, wait: 5m, alarms: [shop-api-errors] }
http:
  routes: ["$default"]
`

describe('gradual releases through the commands (in-process, on the in-memory AWS)', () => {
  const fake = useFakeAws()
  const real = { ...clock }
  let dir: string
  let file: string
  beforeEach(() => {
    fake.reset()
    clock.now = () => fake.now()
    clock.sleep = async (ms) => {
      fake.advanceClock(ms)
      await new Promise((r) => setImmediate(r))
    }
    fake.cloudwatch.setAlarm('shop-api-errors', 'OK')
    dir = project(APP)
    file = join(dir, 'app.yaml')
  })
  afterEach(() => Object.assign(clock, real))

  const deploy = (...more: string[]) => runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes', ...more])
  const changeCode = () => writeFileSync(join(dir, 'src/index.mjs'), `export const handler = async () => ({ statusCode: 200, body: 'v2' })\n`)
  const alias = () => fake.state.lambda.functions.get('shop-dev')?.aliases.get('live')

  /** v1 live, then a canary to v2 that stops at 10% (its final move fails): a release left mid-way. */
  async function stoppedMidShift() {
    expect((await deploy()).code).toBe(0)
    changeCode()
    // the second UpdateAlias of the release (all traffic to v2) fails: the alias keeps 10% on v2
    fake.failOn('lambda:UpdateAlias', { name: 'ServiceException', message: 'Lambda was unable to complete the request', httpStatus: 500 }, { nth: 2 })
    const r = await deploy('--max-attempts', '1')
    expect(r.code).toBe(1)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } })
  }

  it('deploy --no-wait is refused for a canary release: exit 3, what to do, no AWS call', async () => {
    const r = await deploy('--no-wait')
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('--no-wait cannot leave a canary 10% for 5m release unwatched')
    expect(r.stderr).toContain('deploy without --no-wait')
    expect(fake.calls.filter((c) => c.service !== 'sts')).toEqual([])
  })

  it('the plan shows the release field by field; progress shows the share and the time left', async () => {
    expect((await deploy()).code).toBe(0)
    changeCode()
    const plan = await runCommand(Plan, ['--target', 'lambda', '-f', file])
    expect(plan.code).toBe(0)
    expect(plan.stdout).toContain('+ release: "canary 10% for 5m, alarms: shop-api-errors, error margin 5 points"')
    expect(plan.stdout).toContain('~ traffic: "100% → v1" → "10% → the new version, 90% → v1"')
    expect(plan.stdout).toContain('~ traffic: "100% → v1" → "100% → the new version"')
    const r = await deploy()
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/10% → v2, 90% → v1 · 4m \d\ds left/)
  })

  it('status shows a shift in progress; rollback during it puts all traffic on the old version at once', async () => {
    await stoppedMidShift()
    const status = await runCommand(Status, ['--target', 'lambda', '-f', file])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('traffic: 10% → v2, 90% → v1')

    fake.calls.length = 0
    const rollback = await runCommand(Rollback, ['--target', 'lambda', '-f', file, '--yes'])
    expect(rollback.code).toBe(0)
    expect(fake.callsOf('lambda:UpdateAlias').map((c) => c.input)).toEqual([
      { FunctionName: 'shop-dev', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } },
    ])
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
    expect((await runCommand(Status, ['--target', 'lambda', '-f', file])).stdout).not.toContain('traffic:')
  })

  it('SIGINT mid-shift puts all traffic back on the old version, then exits 130', async () => {
    expect((await deploy()).code).toBe(0)
    changeCode()
    let pauses = 0
    clock.sleep = async (ms) => {
      fake.advanceClock(ms)
      // the user presses Ctrl-C two pauses into the 5-minute hold
      if (++pauses === 2) process.emit('SIGINT')
      await new Promise((r) => setImmediate(r))
    }
    const r = await deploy()
    expect(r.code).toBe(130)
    expect(r.stderr).toContain('all traffic is back on version 1')
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('--cli renders the shift as update-alias --routing-config steps with a watched hold', async () => {
    expect((await deploy()).code).toBe(0)
    changeCode()
    const r = await runCommand(Plan, ['--target', 'lambda', '-f', file, '--cli'])
    expect(r.code).toBe(0)
    const script = r.stdout
    expect(script).toMatch(
      /aws lambda update-alias[^\n]*\n(\s+--[^\n]*\n)*\s+--routing-config "\$\(jq -cn --arg VERSION "\$\{VERSION\}" '\{"AdditionalVersionWeights": \{\(\$VERSION\): 0\.1\}\}'\)"/,
    )
    expect(script).toContain('sleep 30')
    expect(script).toContain('aws cloudwatch describe-alarms --alarm-names shop-api-errors --state-value ALARM')
    expect(script).toContain(`--function-version 1 --routing-config '{"AdditionalVersionWeights":{}}'`)
    expect(script).toMatch(/--routing-config '\{"AdditionalVersionWeights":\{\}\}'[^\n]*\n(.*\n)*?.*die "alarm in ALARM/)
    // and it is a script bash reads
    const path = join(dir, 'deploy.sh')
    writeFileSync(path, script)
    expect(spawnSync('bash', ['-n', path], { encoding: 'utf8' }).stderr).toBe('')
  })
})
