import { describe, expect, it } from 'vitest'
import { describePlanCost, estimateMonthlyCost, planCost } from '../../src/compare/plan-cost.js'
import type { Desired } from '../../src/manifest/resolve.js'

const container = { image: 'nginx', cpu: 256, memory: 512, mode: 'service' as const, count: 2, architecture: 'x86_64' as const }
const fargate = { target: 'fargate', container } as unknown as Desired
const lambda = {
  target: 'lambda',
  function: { source: './src', sourceDir: '/x', handler: 'index.handler', runtime: 'nodejs22.x', memory: 512, timeout: 10, architecture: 'arm64' },
} as unknown as Desired

describe('the monthly cost in the plan header', () => {
  it('prices a new Fargate service without http: as deployed: 2 tasks with public IPs, no load balancer', () => {
    // 365 vCPU-h × $0.04048 = $14.78; 730 GB-h × $0.004445 = $3.24; 1,460 IPv4-h × $0.005 = $7.30 → $25.32
    const cost = planCost(fargate, 'us-east-1', { command: 'deploy', steps: [{ action: 'create', resource: { type: 'ecs:service' } }] })
    expect(cost).toMatchObject({ monthly: { value: 25.32, unit: 'USD/month' }, change: { value: 25.32, unit: 'USD/month' }, pricesDate: '2026-12-01' })
    expect(describePlanCost(cost!)).toMatch(
      /^estimated cost: \$25\.32\/month \(\+\$25\.32\/month\) at no traffic · \$25\.32\/month at 1M requests\/month of 100 ms \(a reference load: set expect: in app.yaml for yours\) · prices of 2026-12-01 · excludes data transfer, NAT, storage$/,
    )
  })

  it('reads the change from the plan: desiredCount 1 → 2 adds one task, +$12.66', () => {
    // one task: 182.5 × 0.04048 = 7.3876 → $7.39; 365 × 0.004445 = 1.622 → $1.62; 730 × 0.005 = $3.65 → $12.66
    const cost = planCost(fargate, 'us-east-1', {
      command: 'deploy',
      steps: [{ action: 'update', resource: { type: 'ecs:service' }, changes: [{ path: 'desiredCount', before: 1 }] }],
    })
    expect(cost?.change.value).toBe(12.66)
    expect(describePlanCost(cost!)).toContain('(+$12.66/month)')
  })

  it('prices Lambda at the load of expect:, and a destroy as the whole cost going away', () => {
    // 1M requests at 100 ms, 512 MB arm64: $0.67 + $0.20 + $1.00 + $0.14 = $2.01 (see estimate.test.ts)
    const cost = planCost(lambda, 'us-east-1', { command: 'destroy', steps: [] }, { requests: '1M/month', duration: '100ms' })
    expect(cost).toMatchObject({ monthly: { value: 0 }, change: { value: -2.01 } })
    expect(describePlanCost(cost!)).toMatch(/^estimated cost: \$0\.00\/month \(-\$2\.01\/month\) at 1M requests\/month \(expect:\)/)
  })

  it('says what a Lambda costs at no traffic and at the stated reference load when app.yaml has no expect:', () => {
    // no traffic: every line is per request, $0.00; 1M requests of 100 ms: $0.67 + $0.20 + $1.00 + $0.14 = $2.01
    const cost = planCost(lambda, 'us-east-1', { command: 'deploy', steps: [{ action: 'create', resource: { type: 'lambda:function' } }] })
    expect(cost).toMatchObject({ monthly: { value: 0 }, reference: { monthly: { value: 2.01, unit: 'USD/month' }, load: '1M requests/month of 100 ms' } })
    expect(describePlanCost(cost!)).toMatch(
      /^estimated cost: \$0\.00\/month \(±\$0\.00\/month\) at no traffic · \$2\.01\/month at 1M requests\/month of 100 ms \(a reference load: set expect: in app.yaml for yours\) · /,
    )
    // with expect: the figure is at that load, and no reference is added
    expect(planCost(lambda, 'us-east-1', { command: 'deploy', steps: [] }, { requests: '1M/month', duration: '100ms' })?.reference).toBeUndefined()
  })

  it('has nothing to say for a region outside the table or a one-off task', () => {
    expect(estimateMonthlyCost(fargate, 'sa-east-1')).toBeUndefined()
    expect(estimateMonthlyCost({ ...fargate, container: { ...container, mode: 'task' } } as Desired, 'us-east-1')).toBeUndefined()
    expect(planCost(fargate, 'us-east-1', { command: 'rollback', steps: [] })).toBeUndefined()
  })
})

describe('the plan header of an Express app (fargate with http:)', () => {
  // examples/hello-web: 0.25 vCPU / 0.5 GB arm64 in us-west-2, minTasks 1 in dev and 2 in prod
  const web = (minTasks: number) =>
    ({
      target: 'fargate',
      container: { ...container, count: 1, port: 8080, architecture: 'arm64' },
      express: { port: 8080, healthCheckPath: '/health', minTasks, maxTasks: Math.max(3, minTasks), scaling: { metric: 'cpu', target: 60 } },
    }) as unknown as Desired
  const create = { command: 'deploy', steps: [{ action: 'create', resource: { type: 'ecs:express-service' } }] }

  it('counts minTasks and the whole shared load balancer, and says which share it counts', () => {
    // a task: 182.5 vCPU-h × $0.03238 = $5.91; 365 GB-h × $0.00356 = $1.30; its public IPv4 730 h × $0.005 = $3.65 → $10.86
    // the load balancer: 730 h × $0.0225 = $16.43, no LCUs at no traffic, its 2 public IPv4 addresses $7.30 → $23.73
    const dev = planCost(web(1), 'us-west-2', create)
    expect(dev?.monthly.value).toBe(34.59)
    expect(describePlanCost(dev!)).toContain('1 task(s) (minTasks) + the whole Express load balancer (up to 25 services share it; counted in full)')
    // prod: minTasks 2 adds one task, $10.86
    const prod = planCost(web(2), 'us-west-2', create)
    expect(prod?.monthly.value).toBe(45.45)
    expect(describePlanCost(prod!)).toContain('2 task(s) (minTasks)')
  })

  it('reads a minTasks change from the plan: 1 → 2 adds one task', () => {
    const cost = planCost(web(2), 'us-west-2', {
      command: 'deploy',
      steps: [{ action: 'update', resource: { type: 'ecs:express-service' }, changes: [{ path: 'scalingTarget.minTaskCount', before: 1 }] }],
    })
    expect(cost?.change.value).toBe(10.86)
  })
})
