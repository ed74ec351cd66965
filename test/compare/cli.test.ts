import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, ROOT, shipit } from '../helpers/cli.js'
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
    // hello-fargate: 1 task of 0.25 vCPU / 0.5 GB x86_64 with a port and no http:, so no load balancer (as shipit deploys it)
    // 182.5 vCPU-h × $0.04048 = $7.39; 365 GB-h × $0.004445 = $1.62
    expect(fargate.lines[0]).toMatchObject({ item: 'compute', quantity: 182.5, unit: 'vCPU-hours', unitPrice: 0.04048, usd: 7.39 })
    expect(fargate.lines[1]).toMatchObject({ quantity: 365, unit: 'GB-hours', usd: 1.62 })
    expect(fargate.lines.map((l: { item: string }) => l.item)).not.toContain('load-balancer')
    expect(fargate.assumptions).toContain(
      'what shipit deploys without http: on fargate, tasks with public IPs and no load balancer (http: makes an Express service with a URL)',
    )
    expect(c.breakEven.requestsPerMonth).toBeGreaterThan(1e6)
    expect(c.breakEven.statement).toMatch(/^break-even at /)
  })

  it('describes what shipit deploys for an app with http:: an Express service and its shared load balancer', async () => {
    const r = await shipit(['compare', '-f', 'examples/hello-web/app.yaml', '--env', 'prod', '--requests', '1M', '--duration', '100ms', '--json'])
    expect(r.code).toBe(0)
    const c = JSON.parse(r.stdout)
    const fargate = c.targets.find((t: { target: string }) => t.target === 'fargate')
    expect(fargate.sizing).toMatchObject({ tasks: 2 })
    expect(fargate.lines.find((l: { item: string }) => l.item === 'load-balancer').description).toBe(
      "ECS Express's shared Application Load Balancer, hours (counted in full: the first Express service of an account and region pays it; up to 25 share it)",
    )
    expect(fargate.assumptions.join('\n')).not.toMatch(/no load balancer/)
    expect(fargate.assumptions).toContain('tasks scale to the average load: in-flight requests ÷ concurrency, never fewer than minTasks (2)')
    const ecs = c.targets.find((t: { target: string }) => t.target === 'ecs')
    expect(ecs.lines.map((l: { item: string }) => l.item)).not.toContain('load-balancer')
    expect(ecs.assumptions.join('\n')).toMatch(/what shipit deploys on ecs, tasks and no load balancer/)
    expect(c.freeTierNote).toContain('an account created before 2025-07-15')
  })

  it('with no load at all exits 0 and prices the reference loads, with the break-even and the chart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-noload-'))
    const r = await shipit(['compare', '-f', LAMBDA, '--chart', join(dir, 'cost.svg')])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^shipit compare — app hello · env dev · us-west-2 · reference loads, 100 ms each/)
    expect(r.stdout).toContain('no load given (--requests, or expect: in app.yaml): priced at reference loads of 100k, 1M, 10M requests/month')
    // hello-lambda, 256 MB arm64 at 100 ms: $0.0000020 a request → $0.20, $2.01… ; fargate flat
    expect(r.stdout).toMatch(/^ {2}100k +\$0\.\d\d +\$[\d.]+ +\$[\d.]+$/m)
    expect(r.stdout).toMatch(/^ {2}10M +\$\d+\.\d\d +\$[\d.]+ +\$[\d.]+$/m)
    expect(r.stdout).toContain('each target line by line at 1M requests/month:')
    expect(r.stdout).toMatch(/^break-even at [\d.]+M requests\/month/m)
    expect(r.stdout).toMatch(/↑ 100k\s+↑ 1M\s+↑ 10M\s+\(reference loads: no load given\)/)
    expect(readFileSync(join(dir, 'cost.svg'), 'utf8')).toContain('>1M (reference)<')
    const json = await shipit(['compare', '-f', LAMBDA, '--json'])
    expect(json.code).toBe(0)
    const c = JSON.parse(json.stdout)
    expect(c.reference.loads.map((l: { requestsPerMonth: number }) => l.requestsPerMonth)).toEqual([1e5, 1e6, 1e7])
    expect(Object.keys(c.reference.loads[0].totalsUsd)).toEqual(['lambda', 'fargate', 'ecs'])
    expect(c.reference.loads[2].totalsUsd.lambda).toBeGreaterThan(c.reference.loads[0].totalsUsd.lambda * 50)
  })

  it.each([
    ['lambda', 5e6],
    ['fargate', 5e6],
    ['ecs', 1e5],
  ])('shipit init --target %s writes an expect: line to edit, which compare prices', async (target, requests) => {
    const dir = mkdtempSync(join(tmpdir(), `shipit-init-${target}-`))
    expect((await shipit(['init', '--target', target], { cwd: dir })).code).toBe(0)
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toMatch(/^expect: \{ requests: [\d.]+[kM]\/month, duration: \d+m?s \} +# your load, to edit/m)
    const r = await shipit(['compare', '--json'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).inputs.requests.value).toBe(requests)
  })

  it("the README's compare examples are what compare prints (Which target?)", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const examples = [...readme.matchAll(/^`(shipit compare [^`]+)`(?: begins)?:\n\n```\n([\s\S]*?)```/gm)]
    expect(examples.length).toBeGreaterThanOrEqual(2)
    const dir = mkdtempSync(join(tmpdir(), 'shipit-readme-compare-'))
    for (const [, command, shown] of examples) {
      const args = command
        .split(' ')
        .slice(1)
        .map((a) => (a.endsWith('.svg') ? join(dir, 'chart.svg') : a))
      const r = await shipit(args, { cwd: ROOT })
      expect(r.code).toBe(0)
      const trim = (text: string) =>
        text
          .split('\n')
          .map((l) => l.trimEnd())
          .join('\n')
          .trim()
      expect(trim(r.stdout)).toContain(trim(shown))
    }
  })

  it("hello-web's plan header differs between dev and prod (minTasks) and counts the Express load balancer", async () => {
    const header = async (env: string) => {
      const r = await shipit(['plan', '-f', 'examples/hello-web/app.yaml', '--env', env, '--offline'], { env: cleanEnv() })
      return r.stdout.split('\n').find((l) => l.startsWith('estimated cost:')) ?? r.stderr
    }
    const [dev, prod] = await Promise.all([header('dev'), header('prod')])
    expect(dev).toMatch(
      /^estimated cost: \$34\.59\/month .* 1 task\(s\) \(minTasks\) \+ the whole Express load balancer \(up to 25 services share it; counted in full\)/,
    )
    expect(prod).toMatch(/^estimated cost: \$45\.45\/month .* 2 task\(s\) \(minTasks\)/)
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
    [['--requests', '1M'], 'Error: compare needs the expected load: --duration not given'],
    [['--live-prices', '--prices-max-reply', 'lots'], 'Error: --prices-max-reply "lots" is not a size'],
    [['--live-prices', '--prices-max-reply', '100'], 'Error: --prices-max-reply 100 is under 1KB: no Price List reply fits'],
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
