import type { Desired } from '../manifest/resolve.js'
import { EXPRESS_SERVICES_PER_LOAD_BALANCER, estimateEcs, estimateFargate, estimateLambda, type TargetEstimate } from './estimate.js'
import { PRICE_TABLE, type PriceTable } from './prices.js'
import { formatCount, resolveTraffic, type Traffic, type TrafficInput } from './traffic.js'

/** The monthly cost a plan carries in its header, like infracost's diff. */
export interface PlanCost {
  monthly: { value: number; unit: 'USD/month' }
  change: { value: number; unit: 'USD/month' }
  /** what the figure assumes, in one line */
  basis: string
  pricesDate: string
  /** without expect: in app.yaml, `monthly` is at no traffic and this is the cost at REFERENCE_LOAD */
  reference?: { monthly: { value: number; unit: 'USD/month' }; load: string }
}

/** The fields of a plan the cost change is read from (kept structural: the plan types are being refactored). */
interface PlanLike {
  command: string
  steps: { action: string; resource: { type: string }; changes?: { path: string; before?: unknown }[] }[]
}

const NO_TRAFFIC: Traffic = { requestsPerMonth: 0, durationSeconds: 0.1, payloadBytes: 4096, concurrency: 10 }
/** The load a plan header prices when app.yaml has no expect: (a small API: ~0.4 requests a second). */
const REFERENCE_LOAD: Traffic = { requestsPerMonth: 1e6, durationSeconds: 0.1, payloadBytes: 4096, concurrency: 10 }
const REFERENCE_LOAD_TEXT = '1M requests/month of 100 ms'

/**
 * Monthly cost of what `desired` deploys, at the load of `expect:` (or none): Lambda with its HTTP API;
 * Fargate tasks with their public IPs, and with `http:` an Express service at minTasks behind its
 * shared load balancer (the whole of it counted); ECS the instances its tasks need (no load
 * balancer: shipit deploys none). Undefined when the region is not in the table or the app is a one-off task.
 */
export function estimateMonthlyCost(
  desired: Desired,
  region: string,
  traffic: Traffic = NO_TRAFFIC,
  table: PriceTable = PRICE_TABLE,
): TargetEstimate | undefined {
  const prices = table.regions[region]
  if (!prices) return undefined
  if (desired.target === 'lambda') {
    const fn = desired.function
    return estimateLambda({ memory: fn.memory, architecture: fn.architecture, timeout: fn.timeout }, traffic, prices)
  }
  const c = desired.container
  if (c.mode === 'task') return undefined
  const sizing = { cpu: c.cpu, memory: c.memory, count: c.count, architecture: c.architecture, publicIp: c.network?.assignPublicIp ?? !c.network?.subnets }
  // what is deployed is priced as deployed: container.count tasks (an Express service: minTasks), not scaled to the load
  if (desired.target === 'fargate') {
    const express = desired.express
    const deployed = express ? { ...sizing, count: express.minTasks } : sizing
    return estimateFargate(deployed, traffic, prices, { loadBalancer: Boolean(express), express: Boolean(express) }, [], false)
  }
  return estimateEcs({ ...sizing, publicIp: true }, traffic, prices, { loadBalancer: false }, [], false)
}

/** The deployed sizes before this plan, from the `before` of its changes to the function or the service. */
function before(desired: Desired, plan: PlanLike): Desired | undefined {
  const creates = plan.steps.some((s) => s.action === 'create' && ['lambda:function', 'ecs:service', 'ecs:express-service'].includes(s.resource.type))
  if (creates) return undefined
  const was = structuredClone(desired)
  for (const step of plan.steps) {
    for (const c of step.changes ?? []) {
      if (c.before === undefined) continue
      if (was.target === 'lambda') {
        if (c.path === 'MemorySize') was.function.memory = Number(c.before)
        if (c.path === 'Architectures' && Array.isArray(c.before)) was.function.architecture = c.before[0]
        continue
      }
      if (c.path === 'desiredCount') was.container.count = Number(c.before)
      if (c.path === 'scalingTarget.minTaskCount' && was.express && c.before !== undefined) was.express.minTasks = Number(c.before)
      if (c.path === 'cpu') was.container.cpu = Number(c.before)
      if (c.path === 'memory') was.container.memory = Number(c.before)
      if (c.path === 'runtimePlatform.cpuArchitecture') was.container.architecture = c.before === 'ARM64' ? 'arm64' : 'x86_64'
    }
  }
  return was
}

/** The plan header's cost: what is deployed after this plan, a month, and the change from before it. */
export function planCost(desired: Desired, region: string, plan: PlanLike, expect?: TrafficInput, table: PriceTable = PRICE_TABLE): PlanCost | undefined {
  if (plan.command !== 'deploy' && plan.command !== 'destroy') return undefined
  let traffic = NO_TRAFFIC
  if (expect?.requests !== undefined && expect.duration !== undefined) {
    try {
      traffic = resolveTraffic({}, expect, 'app.yaml')
    } catch {
      return undefined
    }
  }
  const monthly = (d: Desired | undefined, t: Traffic) => (d ? (estimateMonthlyCost(d, region, t, table)?.totalUsd ?? 0) : 0)
  const now = estimateMonthlyCost(desired, region, traffic, table)
  if (!now) return undefined
  const old = before(desired, plan)
  const destroy = plan.command === 'destroy'
  const wasUsd = destroy ? now.totalUsd : monthly(old, traffic)
  const isUsd = destroy ? 0 : now.totalUsd
  const noLoad = traffic === NO_TRAFFIC
  const reference = noLoad && !destroy ? monthly(desired, REFERENCE_LOAD) : undefined
  const load = noLoad ? 'at no traffic' : `at ${formatCount(traffic.requestsPerMonth)} requests/month (expect:)`
  const atReference = reference === undefined ? [] : [`${usdMonth(reference)} at ${REFERENCE_LOAD_TEXT} (a reference load: set expect: in app.yaml for yours)`]
  const express =
    desired.target === 'fargate' && desired.express
      ? [
          `${desired.express.minTasks} task(s) (minTasks) + the whole Express load balancer (up to ${EXPRESS_SERVICES_PER_LOAD_BALANCER} services share it; counted in full)`,
        ]
      : []
  return {
    monthly: { value: isUsd, unit: 'USD/month' },
    change: { value: Math.round((isUsd - wasUsd) * 100) / 100, unit: 'USD/month' },
    basis: [load, ...atReference, ...express, `prices of ${table.date}`, 'excludes data transfer, NAT, storage'].join(' · '),
    pricesDate: table.date,
    ...(reference === undefined ? {} : { reference: { monthly: { value: reference, unit: 'USD/month' as const }, load: REFERENCE_LOAD_TEXT } }),
  }
}

function usdMonth(n: number): string {
  return `$${n.toFixed(2)}/month`
}

/** `$36.83/month (+$3.20/month) at …` */
export function describePlanCost(cost: PlanCost): string {
  const sign = cost.change.value > 0 ? '+' : cost.change.value < 0 ? '-' : '±'
  return `estimated cost: ${usdMonth(cost.monthly.value)} (${sign}$${Math.abs(cost.change.value).toFixed(2)}/month) ${cost.basis}`
}
