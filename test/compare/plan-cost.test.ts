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
  it('prices a new Fargate service as deployed: 2 tasks with public IPs, no load balancer', () => {
    // 365 vCPU-h × $0.04048 = $14.78; 730 GB-h × $0.004445 = $3.24; 1,460 IPv4-h × $0.005 = $7.30 → $25.32
    const cost = planCost(fargate, 'us-east-1', { command: 'deploy', steps: [{ action: 'create', resource: { type: 'ecs:service' } }] })
    expect(cost).toMatchObject({ monthly: { value: 25.32, unit: 'USD/month' }, change: { value: 25.32, unit: 'USD/month' }, pricesDate: '2026-12-01' })
    expect(describePlanCost(cost!)).toMatch(
      /^estimated cost: \$25\.32\/month \(\+\$25\.32\/month\) at no traffic \(set expect: in app.yaml\) · prices of 2026-12-01 · excludes data transfer, NAT, storage$/,
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

  it('has nothing to say for a region outside the table or a one-off task', () => {
    expect(estimateMonthlyCost(fargate, 'sa-east-1')).toBeUndefined()
    expect(estimateMonthlyCost({ ...fargate, container: { ...container, mode: 'task' } } as Desired, 'us-east-1')).toBeUndefined()
    expect(planCost(fargate, 'us-east-1', { command: 'rollback', steps: [] })).toBeUndefined()
  })
})
