import { describe, expect, it } from 'vitest'
import { type AppShape, breakEven, compareTargets, estimators } from '../../src/compare/compare.js'
import { cents, estimateEcs, estimateFargate, estimateLambda, tieredCost } from '../../src/compare/estimate.js'
import { PRICE_TABLE } from '../../src/compare/prices.js'
import type { Traffic } from '../../src/compare/traffic.js'

/**
 * Reference scenarios, computed by hand from AWS's published us-east-1 prices (PRICE_TABLE, 2026-12-01):
 * Lambda arm64 $0.0000133334/GB-s, $0.20 per 1M requests; HTTP API $1.00 per 1M; CloudWatch Logs
 * ingestion $0.50/GB; Fargate x86_64 $0.04048/vCPU-h and $0.004445/GB-h; public IPv4 $0.005/h;
 * a month is 730 h. Each line is rounded to the cent, the total is the sum of the rounded lines.
 */
const US_EAST_1 = PRICE_TABLE.regions['us-east-1']
const at = (requestsPerMonth: number): Traffic => ({ requestsPerMonth, durationSeconds: 0.1, payloadBytes: 4096, concurrency: 10 })
const usdOf = (lines: { item: string; usd: number }[], item: string) => lines.filter((l) => l.item === item).reduce((s, l) => s + l.usd, 0)

describe('Lambda, 512 MB arm64, 100 ms a request, us-east-1', () => {
  const sizing = { memory: 512, architecture: 'arm64' as const }

  it('1M requests a month costs $2.01', () => {
    const e = estimateLambda(sizing, at(1e6), US_EAST_1)
    // compute: 1,000,000 × 0.1 s × 0.5 GB = 50,000 GB-s × $0.0000133334 = $0.66667 → $0.67
    expect(e.lines.find((l) => l.item === 'compute')).toMatchObject({ quantity: 50_000, unit: 'GB-s', usd: 0.67 })
    // requests: 1 × $0.20 = $0.20
    expect(usdOf(e.lines, 'requests')).toBe(0.2)
    // HTTP API: a 4 KB request is one 512 KB meter: 1 × $1.00 = $1.00
    expect(usdOf(e.lines, 'http-api')).toBe(1)
    // logs: 1,000,000 × 300 B = 300,000,000 B ÷ 2^30 = 0.2794 GB × $0.50 = $0.1397 → $0.14
    expect(usdOf(e.lines, 'logs')).toBe(0.14)
    // total: 0.67 + 0.20 + 1.00 + 0.14 = $2.01
    expect(e.totalUsd).toBe(2.01)
    expect(e.ruledOut).toEqual([])
  })

  it('100M requests a month costs $200.64', () => {
    const e = estimateLambda(sizing, at(100e6), US_EAST_1)
    // compute: 100,000,000 × 0.1 × 0.5 = 5,000,000 GB-s × $0.0000133334 = $66.667 → $66.67
    expect(usdOf(e.lines, 'compute')).toBe(66.67)
    // requests: 100 × $0.20 = $20.00
    expect(usdOf(e.lines, 'requests')).toBe(20)
    // HTTP API: 100 × $1.00 = $100.00 (under the 300M tier)
    expect(usdOf(e.lines, 'http-api')).toBe(100)
    // logs: 3e10 B ÷ 2^30 = 27.9397 GB × $0.50 = $13.9698 → $13.97
    expect(usdOf(e.lines, 'logs')).toBe(13.97)
    // total: 66.67 + 20 + 100 + 13.97 = $200.64
    expect(e.totalUsd).toBe(200.64)
  })

  it('bills duration rounded up to the millisecond and payloads in 512 KB meters', () => {
    // 100.4 ms bills as 101 ms: 1,000,000 × 0.101 × 0.5 = 50,500 GB-s
    const e = estimateLambda(sizing, { ...at(1e6), durationSeconds: 0.1004, payloadBytes: 600 * 1024 }, US_EAST_1)
    expect(e.lines.find((l) => l.item === 'compute')?.quantity).toBe(50_500)
    // 600 KB is two 512 KB meters: 2M metered requests × $1.00
    expect(usdOf(e.lines, 'http-api')).toBe(2)
  })

  it('rules Lambda out past its limits and says why', () => {
    expect(estimateLambda(sizing, { ...at(1e6), durationSeconds: 1200 }, US_EAST_1).ruledOut.join()).toMatch(/20 min, longer than Lambda's 15-minute limit/)
    expect(estimateLambda(sizing, { ...at(1e6), durationSeconds: 45 }, US_EAST_1).ruledOut.join()).toMatch(/HTTP API waits at most 30 s/)
    expect(estimateLambda({ ...sizing, timeout: 3 }, { ...at(1e6), durationSeconds: 5 }, US_EAST_1).ruledOut.join()).toMatch(/function.timeout 3 s is shorter/)
    expect(estimateLambda({ ...sizing, memory: 16384 }, at(1e6), US_EAST_1).ruledOut.join()).toMatch(/10240 MB/)
  })
})

describe('a Fargate service of 2 tasks, 0.25 vCPU / 0.5 GB x86_64, us-east-1', () => {
  const sizing = { cpu: 256, memory: 512, count: 2, architecture: 'x86_64' as const, publicIp: true }

  it('costs $25.32 a month with a public IP per task and no load balancer', () => {
    const e = estimateFargate(sizing, at(1e6), US_EAST_1, { loadBalancer: false })
    // vCPU: 2 × 0.25 × 730 h = 365 vCPU-h × $0.04048 = $14.7752 → $14.78
    expect(e.lines[0]).toMatchObject({ quantity: 365, unit: 'vCPU-hours', usd: 14.78 })
    // memory: 2 × 0.5 GB × 730 h = 730 GB-h × $0.004445 = $3.24485 → $3.24
    expect(e.lines[1]).toMatchObject({ quantity: 730, unit: 'GB-hours', usd: 3.24 })
    // public IPv4: 2 × 730 h = 1,460 h × $0.005 = $7.30
    expect(usdOf(e.lines, 'public-ipv4')).toBe(7.3)
    // total: 14.78 + 3.24 + 7.30 = $25.32
    expect(e.totalUsd).toBe(25.32)
  })

  it('adds an ALB when asked: $16.43 of hours, its LCUs and its two addresses', () => {
    const e = estimateFargate(sizing, at(1e6), US_EAST_1, { loadBalancer: true })
    // 730 h × $0.0225 = $16.425 → $16.43 (round half up)
    expect(e.lines.find((l) => l.unit === 'hours' && l.item === 'load-balancer')?.usd).toBe(16.43)
    // LCUs: 1,000,000 ÷ 2,628,000 s = 0.3805 new connections/s ÷ 25 = 0.01522 LCU × 730 h = 11.11 LCU-h × $0.008 = $0.09
    expect(e.lines.find((l) => l.unit === 'LCU-hours')?.usd).toBe(0.09)
    // 2 + 2 public IPv4 addresses: 2,920 h × $0.005 = $14.60
    expect(usdOf(e.lines, 'public-ipv4')).toBe(14.6)
  })

  it('adds tasks when the load needs them', () => {
    // 1B requests ÷ 2,628,000 s = 380.5 requests/s × 0.1 s = 38.05 in flight ÷ 10 a task = 4 tasks
    const e = estimateFargate(sizing, at(1e9), US_EAST_1, { loadBalancer: false })
    expect(e.sizing).toMatchObject({ tasks: 4 })
  })

  it('on ECS takes the cheapest instances that fit both tasks: two t3.micro', () => {
    // t3.micro: 2048 cpu units, 1024 MiB × 0.9 = 921 MiB usable: one 512 MiB task each → 2 × $0.0104 = $0.0208/h
    // t3.small: 2048 MiB × 0.9 = 1,843 MiB: three tasks → 1 × $0.0208/h; a tie, and the first found is kept
    const e = estimateEcs(sizing, at(1e6), US_EAST_1, { loadBalancer: false })
    expect(e.sizing).toMatchObject({ tasks: 2, instances: { type: 't3.micro', count: 2 } })
    // 1,460 instance-hours × $0.0104 = $15.184 → $15.18; their 2 public IPv4: 1,460 h × $0.005 = $7.30
    expect(usdOf(e.lines, 'compute')).toBe(15.18)
    expect(usdOf(e.lines, 'public-ipv4')).toBe(7.3)
  })
})

describe('ECS on EC2 with awsvpc tasks: one network interface per task', () => {
  const sizing = { cpu: 256, memory: 512, count: 6, architecture: 'x86_64' as const, publicIp: true }

  it('does not put 6 tasks on 2 × t3.small, which hold 4 (3 ENIs each, the primary one for the instance)', () => {
    // by cpu and memory a t3.small holds 3 tasks (1,843 MiB ÷ 512); by ENIs 2. t3.micro: 1 by memory and by ENIs.
    // 6 × t3.micro = 3 × t3.small = $0.0624/h (a tie, the first found is kept): 4,380 instance-hours × $0.0104 = $45.55
    const e = estimateEcs(sizing, at(1e6), US_EAST_1, { loadBalancer: false })
    expect(e.sizing).toMatchObject({ tasks: 6, instances: { type: 't3.micro', count: 6 } })
    expect(usdOf(e.lines, 'compute')).toBe(45.55)
  })

  it('says when the network interfaces, not cpu or memory, bound an instance', () => {
    // 0.25 vCPU / 0.25 GB: a t3.micro holds 3 by memory (921 MiB ÷ 256), 1 by ENIs; 4 tasks → 4 × t3.micro ($0.0416/h,
    // tied with 2 × t3.small, the first found is kept)
    const e = estimateEcs({ ...sizing, memory: 256, count: 4 }, at(1e6), US_EAST_1, { loadBalancer: false })
    const compute = e.lines.find((l) => l.item === 'compute')
    expect(compute?.description).toBe(
      '4 × t3.micro on-demand × 730 h (cheapest that fits 4 task(s); 1 a t3.micro: one network interface each (awsvpc, no trunking))',
    )
  })
})

describe('the break-even between Lambda and Fargate', () => {
  const shape: AppShape = {
    app: 'ref',
    env: 'dev',
    function: { memory: 512, timeout: 10, architecture: 'arm64', runtime: 'nodejs22.x' },
    container: { cpu: 256, memory: 512, count: 2, architecture: 'x86_64' },
  }

  it('is at 12.6M requests a month for the two reference scenarios', () => {
    // Lambda per request: 0.05 GB-s × $0.0000133334 + $0.0000002 + $0.000001 + 300 B ÷ 2^30 × $0.50
    //   = $0.00000066667 + $0.0000002 + $0.000001 + $0.00000013970 = $0.0000020064
    // Fargate: $14.7752 + $3.24485 + $7.30 = $25.32005 a month, flat until 2 tasks are not enough (525.6M requests)
    // break-even: 25.32005 ÷ 0.0000020064 = 12.62M requests a month
    const result = breakEven(estimators(shape, US_EAST_1), at(1e6))
    expect(result.requestsPerMonth).toBe(12_600_000)
    expect(result.statement).toBe('break-even at 12.6M requests/month: below it lambda costs less, above it fargate')
  })

  it('says so when one target is cheaper at every load', () => {
    // a 10 GB function for 10 s a request costs more than one small task at any load from 10k up
    const heavy: AppShape = { ...shape, function: { ...shape.function!, memory: 10240 }, container: { ...shape.container!, count: 1 } }
    const result = breakEven(estimators(heavy, US_EAST_1), { ...at(1e6), durationSeconds: 10 })
    expect(result.requestsPerMonth).toBeNull()
    expect(result.statement).toMatch(/^no break-even between 10k and 100B requests\/month: fargate costs less/)
  })

  it('compareTargets lists every target with its units, the prices with their date, and free tiers apart', () => {
    const c = compareTargets(shape, at(1e6), PRICE_TABLE, 'us-east-1')
    expect(c.targets.map((t) => t.target)).toEqual(['lambda', 'fargate', 'ecs'])
    expect(c.targets[0].totalUsd).toBe(2.01)
    expect(c.targets[1].totalUsd).toBe(25.32)
    expect(c.prices).toMatchObject({ origin: 'table', date: '2026-12-01', currency: 'USD' })
    expect(c.freeTier.find((f) => f.item === 'lambdaRequests')).toMatchObject({ quantity: 1e6, unit: 'requests', always: true })
    expect(c.leftOut.join(' ')).toMatch(/data transfer.*NAT.*storage/)
  })
})

describe('money arithmetic', () => {
  it('applies each tier to the part of the quantity inside it', () => {
    // 7e9 GB-s x86: 6e9 × 0.0000166667 + 1e9 × 0.000015 = 100,000.2 + 15,000 = 115,000.2
    expect(cents(tieredCost(7e9, US_EAST_1.lambda.gbSecond.x86_64))).toBe(115_000.2)
    // 400M HTTP API requests: 300 × $1.00 + 100 × $0.90 = $390
    expect(cents(tieredCost(400e6, US_EAST_1.httpApiPerMillion, 1e6))).toBe(390)
  })
})
