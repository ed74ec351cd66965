import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { shipit } from '../helpers/cli.js'
import { checkWellFormed } from '../helpers/xml.js'

const LAMBDA = 'examples/hello-lambda/app.yaml'
const FARGATE = 'examples/hello-fargate/app.yaml'
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/)

describe('shipit compare, offline and without credentials', () => {
  it('prints each target line by line, the break-even and the chart', async () => {
    const r = await shipit(['compare', '-f', LAMBDA, '--requests', '1M/month', '--duration', '100ms'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^shipit compare — app hello · env dev · us-west-2 · 1M requests\/month, 100 ms each/)
    expect(r.stdout).toContain("prices: shipit's table of 2026-12-01")
    for (const t of ['lambda', 'fargate', 'ecs']) expect(r.stdout).toMatch(new RegExp(`^  ${t} +\\$[\\d,.]+/month`, 'm'))
    expect(r.stdout).toMatch(/^break-even at [\d.]+M requests\/month: below it lambda costs less, above it fargate$/m)
    expect(r.stdout).toContain('free tiers (not subtracted)')
    expect(r.stdout).toMatch(/left out: data transfer.*NAT gateways.*storage/)
    expect(r.stdout).toContain('● lambda   ▲ fargate   ■ ecs')
  })

  it('--json gives inputs, dated prices, each line with its unit, and the break-even', async () => {
    const r = await shipit(['compare', '-f', FARGATE, '--requests', '5M/month', '--duration', '120ms', '--region', 'us-east-1', '--json'])
    expect(r.code).toBe(0)
    const c = JSON.parse(r.stdout)
    expect(c.inputs).toEqual({
      requests: { value: 5e6, unit: 'requests/month' },
      duration: { value: 0.12, unit: 's' },
      payload: { value: 4096, unit: 'bytes' },
      concurrency: { value: 10, unit: 'requests in flight per task' },
    })
    expect(c.prices).toMatchObject({ origin: 'table', date: '2026-12-01', currency: 'USD', hoursPerMonth: 730 })
    const fargate = c.targets.find((t: { target: string }) => t.target === 'fargate')
    // hello-fargate: 1 task of 0.25 vCPU / 0.5 GB x86_64 with a port, so behind an ALB
    // 182.5 vCPU-h × $0.04048 = $7.39; 365 GB-h × $0.004445 = $1.62
    expect(fargate.lines[0]).toMatchObject({ item: 'compute', quantity: 182.5, unit: 'vCPU-hours', unitPrice: 0.04048, usd: 7.39 })
    expect(fargate.lines[1]).toMatchObject({ quantity: 365, unit: 'GB-hours', usd: 1.62 })
    expect(fargate.lines.map((l: { item: string }) => l.item)).toContain('load-balancer')
    expect(c.breakEven.requestsPerMonth).toBeGreaterThan(1e6)
    expect(c.breakEven.statement).toMatch(/^break-even at /)
  })

  it('--chart writes an SVG that is well-formed XML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-chart-'))
    const file = join(dir, 'cost.svg')
    const r = await shipit(['compare', '-f', LAMBDA, '--requests', '1M', '--duration', '100ms', '--chart', file])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`chart written to ${file}`)
    expect(checkWellFormed(readFileSync(file, 'utf8'))[0]).toBe('svg')
  })

  it('takes the load from expect: in app.yaml, so a plain `shipit compare` works in CI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-expect-'))
    writeFileSync(
      join(dir, 'app.yaml'),
      [
        'name: shop',
        'region: eu-west-1',
        'function: { handler: index.handler, runtime: nodejs22.x, memory: 512, architecture: arm64 }',
        'expect: { requests: 2M/month, duration: 80ms }',
        'environments:',
        '  prod: { expect: { requests: 50M/month } }',
      ].join('\n'),
    )
    const dev = await shipit(['compare', '--json'], { cwd: dir })
    expect(dev.code).toBe(0)
    expect(JSON.parse(dev.stdout)).toMatchObject({ region: 'eu-west-1', inputs: { requests: { value: 2e6 }, duration: { value: 0.08 } } })
    const prod = await shipit(['compare', '--env', 'prod', '--json'], { cwd: dir })
    expect(JSON.parse(prod.stdout).inputs.requests.value).toBe(50e6)
  })

  it.each([
    [['--requests', 'lots', '--duration', '100ms'], 'Error: --requests "lots" is not a request rate'],
    [['--requests', '1M', '--duration', '-5ms'], 'Error: --duration "-5ms" is not a duration above zero'],
    [['--requests', '1M', '--duration', '100ms', '--region', 'moon-base'], 'Error: unknown region "moon-base"'],
    [['--duration', '100ms'], 'Error: compare needs the expected load: --requests not given'],
  ])('refuses %j with exit 3 and one clear line', async (args, line) => {
    const r = await shipit(['compare', '-f', LAMBDA, ...args])
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')[0]).toBe(line)
    noStack(r.stderr)
  })

  it('says when the table has no prices for a region and suggests --live-prices', async () => {
    const r = await shipit(['compare', '-f', LAMBDA, '--requests', '1M', '--duration', '100ms', '--region', 'sa-east-1'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("Error: shipit's price table (2026-12-01) has no prices for sa-east-1")
    expect(r.stderr).toContain('--live-prices')
  })

  it('--live-prices without credentials says it used the table', async () => {
    const r = await shipit(['compare', '-f', LAMBDA, '--requests', '1M', '--duration', '100ms', '--live-prices'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("no AWS credentials found: used shipit's price table of 2026-12-01 instead of the Price List API")
  })
})
