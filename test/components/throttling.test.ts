import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IN_FLIGHT_PER_SERVICE, throttleBackoff } from '../../src/aws/in-flight.js'
import type { ServiceName } from '../../src/aws/services.js'
import Deploy from '../../src/commands/deploy.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'

/** An app of 20 components: 10 functions behind HTTP APIs, 6 services (2 of them workers), 4 tasks (2 scheduled, 2 gates). */
function bigApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-big-'))
  cpSync(join(import.meta.dirname, '../../examples/shop/api'), join(dir, 'api'), { recursive: true })
  const lines = ['name: big', 'region: us-east-1', 'env: { LOG_LEVEL: info }', 'components:']
  for (let i = 0; i < 10; i++) {
    lines.push(
      `  fn${i}:`,
      '    target: lambda',
      '    function: { source: ./api, handler: index.handler, runtime: nodejs22.x }',
      '    http: { routes: ["ANY /{proxy+}"] }',
    )
  }
  for (let i = 0; i < 6; i++) {
    const port = i < 4 ? ', port: 80' : ''
    lines.push(`  svc${i}:`, '    target: fargate', `    container: { image: public.ecr.aws/nginx/nginx:1.27${port} }`)
    if (i === 0) lines.push('    env: { API_URL: "${component:fn0.url}" }')
  }
  for (let i = 0; i < 4; i++) {
    lines.push(`  job${i}:`, '    target: fargate', '    container: { image: public.ecr.aws/docker/library/busybox:1.36, command: ["true"], mode: task }')
    if (i < 2) lines.push('    schedule: "rate(1 day)"')
    if (i === 2) lines.push('    before: [svc0, svc1]')
    if (i === 3) lines.push('    before: [svc2]')
  }
  writeFileSync(join(dir, 'app.yaml'), `${lines.join('\n')}\n`)
  return join(dir, 'app.yaml')
}

describe('an app of 20 components while AWS throttles one call in ten (issue 22, must-be-true 3)', () => {
  const fake = useFakeAws({ region: 'us-east-1' })
  const base = throttleBackoff.baseMs
  beforeEach(() => {
    fake.reset()
    fake.latencyMs = 10
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['done'] }
    // the back-off's shape is tested in test/aws/in-flight.test.ts; a short base keeps this test quick
    throttleBackoff.baseMs = 20
  })
  afterEach(() => {
    throttleBackoff.baseMs = base
  })

  it('deploys every component, and no service ever has more calls in flight than its bound', async () => {
    const file = bigApp()
    const throttling = fake.throttleRandomly(0.1, { seed: 20 })
    const r = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect([...fake.state.lambda.functions.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `big-fn${i}-dev`).sort())
    expect([...fake.state.ecs.services.values()].map((s) => s.serviceName).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `big-svc${i}-dev`))
    // only the gate runs at deploy (a throttled RunTask is sent again with its client token: one task)
    // only the gates run at deploy (a throttled RunTask is sent again with its client token: one task each)
    expect(new Set(fake.callsOf('RunTask').map((c) => c.input.taskDefinition.split('/').pop()))).toEqual(new Set(['big-job2-dev:1', 'big-job3-dev:1']))
    expect([...fake.state.ecs.tasks.values()].filter((t) => t.taskDefinitionArn.includes('big-job2-dev'))).toHaveLength(1)
    expect(fake.state.scheduler.schedules.size).toBe(2)
    const peak = fake.inFlight.peak
    for (const [service, n] of Object.entries(peak) as [ServiceName, number][]) expect(n, service).toBeLessThanOrEqual(IN_FLIGHT_PER_SERVICE[service])
    // the bounds are what held the calls: the busiest services reached theirs
    expect(peak.iam).toBe(IN_FLIGHT_PER_SERVICE.iam)
    expect(peak.logs).toBe(IN_FLIGHT_PER_SERVICE.logs)
    // and AWS did throttle, about one call in ten
    expect(throttling.throttled).toBeGreaterThan(fake.calls.length * 0.05)
    expect(throttling.throttled).toBeLessThan(fake.calls.length * 0.15)
    // a redeploy (throttling stopped) finds everything in place: nothing was made twice or left half-made
    fake.throttleRandomly(0)
    fake.calls.length = 0
    const again = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
  }, 120_000)
})
