import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import { ShipitError } from '../../src/errors.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const app = (release: string) => `
name: shop
region: us-west-2
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
  release: ${release}
http:
  routes: ["$default"]
`
const CANARY = '{ strategy: canary, percent: 10, wait: 5m, alarms: [shop-api-errors] }'
const FN = 'shop-dev'

/** A new version of the code: the next deploy publishes and shifts to it. */
function changeCode(dir: string, n: number): void {
  writeFileSync(join(dir, 'src/index.mjs'), `export const handler = async () => ({ statusCode: 200, body: 'v${n}' })\n`)
}

describe('gradual releases on Lambda, on the in-memory AWS with a fake clock', () => {
  const fake = useFakeAws()
  const real = { ...clock }
  /** what happens at each pause of the watch, at the fake's time after it */
  let onPause: (now: Date) => void = () => {}
  let pauses = 0

  beforeEach(() => {
    fake.reset()
    pauses = 0
    onPause = () => {}
    clock.now = () => fake.now()
    // a pause of the release moves the fake clock instead of waiting: a 5-minute canary takes milliseconds
    clock.sleep = async (ms) => {
      fake.advanceClock(ms)
      pauses++
      onPause(fake.now())
      await new Promise((r) => setImmediate(r))
    }
    fake.cloudwatch.setAlarm('shop-api-errors', 'OK')
  })
  afterEach(() => Object.assign(clock, real))

  const alias = () => fake.state.lambda.functions.get(FN)?.aliases.get('live')
  const aliasUpdates = () => fake.callsOf('lambda:UpdateAlias').map((c) => c.input)

  it('a first deploy goes all at once; a canary then holds 10% for 5 minutes with the alarm OK and ends on the new version, no weights left', async () => {
    const dir = project(app(CANARY))
    const first = await deploy(dir, { target: 'lambda' })
    expect(first.plan.steps.map((s) => s.id)).not.toContain('release 10%')
    expect(alias()?.FunctionVersion).toBe('1')

    changeCode(dir, 2)
    fake.calls.length = 0
    const start = fake.now().getTime()
    const second = await deploy(dir, { target: 'lambda' })

    expect(second.status).toBe('applied')
    expect(aliasUpdates()).toEqual([
      expect.objectContaining({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } }),
      expect.objectContaining({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} }, Description: 'shipit: previous version 1' }),
    ])
    expect(alias()).toMatchObject({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } })
    // the hold lasted the 5 minutes, watched all along
    expect(fake.now().getTime() - start).toBeGreaterThanOrEqual(300_000)
    expect(fake.callsOf('cloudwatch:DescribeAlarms').length).toBeGreaterThan(5)
    expect(fake.callsOf('cloudwatch:GetMetricData')[0].input.MetricDataQueries[0].MetricStat.Metric.Dimensions).toEqual([
      { Name: 'FunctionName', Value: FN },
      { Name: 'Resource', Value: `${FN}:live` },
      { Name: 'ExecutedVersion', Value: '2' },
    ])
  })

  it('an alarm going to ALARM mid-shift puts all traffic back on the old version at once: exit 1 naming the alarm', async () => {
    const dir = project(app(CANARY))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    fake.cloudwatch.setAlarm('shop-api-errors', 'ALARM', { at: new Date(fake.now().getTime() + 120_000), reason: 'Threshold Crossed: 3 datapoints' })
    fake.calls.length = 0

    const failure = await deploy(dir, { target: 'lambda' }).catch((e: unknown) => e)

    expect(failure).toBeInstanceOf(ShipitError)
    expect((failure as ShipitError).exitCode).toBe(1)
    expect((failure as ShipitError).message).toMatch(/alarm shop-api-errors is in ALARM \(Threshold Crossed: 3 datapoints\).*all traffic is back on version 1/)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
    // at once: the restore followed the first check that saw the alarm, long before the 5 minutes
    expect(pauses).toBeLessThan(12)
    expect(aliasUpdates().map((u) => u.FunctionVersion)).toEqual(['1', '1'])
  })

  it("the new version's error rate over the old one's by more than the margin rolls back", async () => {
    const dir = project(app('{ strategy: canary, percent: 10, wait: 5m, errorMargin: 5 }'))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    onPause = (now) => {
      fake.cloudwatch.putLambdaTraffic({ functionName: FN, alias: 'live', version: '1', invocations: 90, errors: 1, at: now })
      fake.cloudwatch.putLambdaTraffic({ functionName: FN, alias: 'live', version: '2', invocations: 10, errors: 3, at: now })
    }

    const failure = await deploy(dir, { target: 'lambda' }).catch((e: unknown) => e)

    expect((failure as ShipitError).exitCode).toBe(1)
    expect((failure as ShipitError).message).toMatch(/error rate 30\.0% \(3\/10\) is over the old one's 1\.1% by more than 5 points/)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('errors within the margin let the release through', async () => {
    const dir = project(app('{ strategy: canary, percent: 10, wait: 2m, errorMargin: 5 }'))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    onPause = (now) => {
      fake.cloudwatch.putLambdaTraffic({ functionName: FN, alias: 'live', version: '1', invocations: 90, errors: 2, at: now })
      fake.cloudwatch.putLambdaTraffic({ functionName: FN, alias: 'live', version: '2', invocations: 100, errors: 5, at: now })
    }
    await deploy(dir, { target: 'lambda' })
    expect(alias()).toMatchObject({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('an interruption mid-shift puts all traffic back on the old version before ending (exit 130)', async () => {
    const dir = project(app(CANARY))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    const controller = new AbortController()
    onPause = () => {
      if (pauses === 3) controller.abort(new Error('received SIGINT'))
    }

    const failure = await deploy(dir, { target: 'lambda', signal: controller.signal }).catch((e: unknown) => e)

    expect((failure as ShipitError).exitCode).toBe(130)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
    expect(aliasUpdates().at(-1)).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('linear passes through each step, each held and watched, then moves all traffic', async () => {
    const dir = project(app('{ strategy: linear, linear: { step: 25, every: 2m }, alarms: [shop-api-errors] }'))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    fake.calls.length = 0
    const start = fake.now().getTime()
    const seen: number[] = []
    onPause = () => {
      const weight = alias()?.RoutingConfig?.AdditionalVersionWeights?.['2']
      if (weight !== undefined && seen.at(-1) !== weight) seen.push(weight)
    }

    await deploy(dir, { target: 'lambda' })

    expect(aliasUpdates().map((u) => u.RoutingConfig)).toEqual([
      { AdditionalVersionWeights: { '2': 0.25 } },
      { AdditionalVersionWeights: { '2': 0.5 } },
      { AdditionalVersionWeights: { '2': 0.75 } },
      { AdditionalVersionWeights: {} },
    ])
    expect(seen).toEqual([0.25, 0.5, 0.75])
    expect(fake.now().getTime() - start).toBeGreaterThanOrEqual(3 * 120_000)
    expect(alias()).toMatchObject({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('someone else moving the alias mid-release stops the release and leaves the alias as they set it', async () => {
    const dir = project(app(CANARY))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    onPause = () => {
      // e.g. a person puts everything back on v1 in the console
      const live = alias()
      if (live && pauses === 2) {
        live.RoutingConfig = { AdditionalVersionWeights: {} }
        live.RevisionId = 'changed-in-the-console'
      }
    }
    const failure = await deploy(dir, { target: 'lambda' }).catch((e: unknown) => e)
    expect((failure as ShipitError).exitCode).toBe(1)
    expect((failure as ShipitError).message).toContain('shop-dev:live was changed by someone else during the release (now on version 1)')
    expect(aliasUpdates()).toHaveLength(1)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RevisionId: 'changed-in-the-console' })
  })

  it('an all-at-once deploy over a release left mid-way clears its weights', async () => {
    const dir = project(app(CANARY))
    await deploy(dir, { target: 'lambda' })
    changeCode(dir, 2)
    // the move to 100% fails: the alias is left with 10% on v2
    fake.failOn('lambda:UpdateAlias', { name: 'ResourceConflictException', message: 'The operation cannot be performed at this time.' }, { nth: 2 })
    await expect(deploy(dir, { target: 'lambda' })).rejects.toThrow(/ResourceConflictException/)
    expect(alias()).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } })

    writeFileSync(join(dir, 'app.yaml'), app('{ strategy: all-at-once }'))
    await deploy(dir, { target: 'lambda' })
    expect(alias()).toMatchObject({ FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } })
  })

  it('a release naming an alarm that does not exist is a plan error naming it, before any change', async () => {
    const dir = project(app('{ strategy: canary, alarms: [shop-api-errors, shop-api-latency] }'))
    const failure = await planFor(dir, { target: 'lambda' }).catch((e: unknown) => e)
    expect((failure as ShipitError).exitCode).toBe(1)
    expect((failure as ShipitError).message).toContain('no CloudWatch alarm shop-api-latency')
    expect(fake.mutatingCalls()).toEqual([])
  })
})
