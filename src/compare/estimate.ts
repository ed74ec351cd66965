import { FARGATE_CPU_MEMORY } from '../manifest/rules.js'
import type { TargetName } from '../manifest/schema.js'
import { type Architecture, INSTANCE_TYPES, type InstanceType, type RegionPrices, type Tier } from './prices.js'
import { SECONDS_PER_MONTH, type Traffic } from './traffic.js'

/**
 * Monthly cost of one app on one target, line by line, from a region's prices and a load. Pure:
 * every number comes from the arguments, so the reference scenarios of the tests are hand-checkable.
 * Each line is rounded to the cent as on an AWS bill, and the total is the sum of the rounded lines.
 */

/** Bytes Lambda itself logs per invocation (START, END and REPORT lines); your own log lines are not counted. */
const LAMBDA_PLATFORM_LOG_BYTES = 300
/** HTTP API meters requests in 512 KB increments of payload. */
const HTTP_API_METER_BYTES = 512 * 1024
/** Lambda's limits that rule it out. */
const LAMBDA_MAX_SECONDS = 900
const LAMBDA_MAX_MEMORY = 10240
const LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
const HTTP_API_MAX_SECONDS = 30
/** Share of an instance's memory ECS can place tasks in (the OS and the agent keep the rest). */
const ECS_USABLE_MEMORY = 0.9
/** An internet-facing ALB spans two Availability Zones: two public IPv4 addresses. */
const ALB_PUBLIC_IPS = 2
const GIB = 1024 ** 3

export interface CostLine {
  /** compute, requests, http-api, load-balancer, public-ipv4, logs */
  item: string
  description: string
  quantity: number
  unit: string
  /** the first tier's price when the price is tiered */
  unitPrice: number
  usd: number
}

export interface LambdaSizing {
  memory: number
  architecture: Architecture
  /** function.timeout in seconds, when app.yaml has a function */
  timeout?: number
}

export interface ContainerSizing {
  /** CPU units (1024 = 1 vCPU) */
  cpu: number
  /** MiB */
  memory: number
  count: number
  architecture: Architecture
  /** the tasks get public IPv4 addresses (Fargate in the default VPC) */
  publicIp: boolean
}

export interface TargetEstimate {
  target: TargetName
  /** sizes used, and where they came from when app.yaml has no section for this target */
  sizing: LambdaSizing | (ContainerSizing & { tasks: number; instances?: { type: string; count: number } })
  assumptions: string[]
  lines: CostLine[]
  totalUsd: number
  /** why this target cannot serve this app at this load (empty: it can) */
  ruledOut: string[]
  /** unrounded total, for finding the break-even */
  exactUsd: number
}

interface FrontDoor {
  /** containers: an Application Load Balancer in front of the tasks */
  loadBalancer: boolean
  /** the load balancer is the one ECS Express Mode shares among up to 25 services (the whole of it is counted) */
  express?: boolean
}

/** Services of an account and region that share one Express Mode load balancer. */
export const EXPRESS_SERVICES_PER_LOAD_BALANCER = 25
export const EXPRESS_SHARE = `counted in full: the first Express service of an account and region pays it; up to ${EXPRESS_SERVICES_PER_LOAD_BALANCER} share it`

export function cents(usd: number): number {
  return Math.round((usd + Number.EPSILON) * 100) / 100
}

/** Cost of `quantity` under tiered prices (each tier's price applies to the part of the quantity inside it). */
export function tieredCost(quantity: number, tiers: Tier[], scale = 1): number {
  let cost = 0
  let from = 0
  for (const tier of tiers) {
    const to = tier.upTo ?? Number.POSITIVE_INFINITY
    if (quantity > from) cost += ((Math.min(quantity, to) - from) / scale) * tier.price
    from = to
  }
  return cost
}

function line(
  item: string,
  description: string,
  quantity: number,
  unit: string,
  unitPrice: number,
  exact = quantity * unitPrice,
): CostLine & { exact: number } {
  return { item, description, quantity: round(quantity), unit, unitPrice, usd: cents(exact), exact }
}

function round(n: number): number {
  return Number(n.toPrecision(10))
}

function finish(
  target: TargetName,
  sizing: TargetEstimate['sizing'],
  lines: (CostLine & { exact: number })[],
  assumptions: string[],
  ruledOut: string[],
): TargetEstimate {
  return {
    target,
    sizing,
    assumptions,
    lines: lines.map(({ exact: _, ...l }) => l),
    totalUsd: cents(lines.reduce((sum, l) => sum + l.usd, 0)),
    ruledOut,
    exactUsd: lines.reduce((sum, l) => sum + l.exact, 0),
  }
}

/** Lambda behind an HTTP API: duration (GB-s), requests, HTTP API requests, Lambda's own log lines. */
export function estimateLambda(sizing: LambdaSizing, traffic: Traffic, prices: RegionPrices, assumptions: string[] = []): TargetEstimate {
  const { requestsPerMonth: r, durationSeconds: d, payloadBytes } = traffic
  // Lambda bills duration rounded up to the millisecond
  const billedSeconds = Math.ceil(Math.round(d * 1e6) / 1e3) / 1e3
  const gbSeconds = r * billedSeconds * (sizing.memory / 1024)
  const gbTiers = prices.lambda.gbSecond[sizing.architecture]
  const metered = r * Math.ceil(Math.max(payloadBytes, 1) / HTTP_API_METER_BYTES)
  const logGb = (r * LAMBDA_PLATFORM_LOG_BYTES) / GIB
  const lines = [
    line(
      'compute',
      `${sizing.memory} MB ${sizing.architecture} × ${billedSeconds * 1000} ms × requests`,
      gbSeconds,
      'GB-s',
      gbTiers[0].price,
      tieredCost(gbSeconds, gbTiers),
    ),
    line('requests', 'Lambda invocations', r / 1e6, '1M requests', prices.lambda.perMillionRequests),
    line(
      'http-api',
      'API Gateway HTTP API (512 KB metering)',
      metered / 1e6,
      '1M requests',
      prices.httpApiPerMillion[0].price,
      tieredCost(metered, prices.httpApiPerMillion, 1e6),
    ),
    line(
      'logs',
      `CloudWatch Logs ingestion of Lambda's START/END/REPORT lines (${LAMBDA_PLATFORM_LOG_BYTES} B a request)`,
      logGb,
      'GB',
      prices.logsIngestionGb,
    ),
  ]
  const ruledOut: string[] = []
  if (d > LAMBDA_MAX_SECONDS) ruledOut.push(`a request takes ${seconds(d)}, longer than Lambda's 15-minute limit`)
  else if (d > HTTP_API_MAX_SECONDS) ruledOut.push(`a request takes ${seconds(d)}; an HTTP API waits at most 30 s for the function`)
  if (sizing.timeout !== undefined && sizing.timeout < d && d <= LAMBDA_MAX_SECONDS)
    ruledOut.push(`function.timeout ${sizing.timeout} s is shorter than a ${seconds(d)} request: raise it in app.yaml`)
  if (sizing.memory > LAMBDA_MAX_MEMORY) ruledOut.push(`needs ${sizing.memory} MB; Lambda's limit is ${LAMBDA_MAX_MEMORY} MB`)
  if (payloadBytes > LAMBDA_MAX_PAYLOAD_BYTES) ruledOut.push(`a ${Math.round(payloadBytes / 1024)} KB payload is over Lambda's 6 MB request/response limit`)
  return finish('lambda', sizing, lines, assumptions, ruledOut)
}

function seconds(s: number): string {
  return s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${Number(s.toPrecision(3))} s` : `${Number((s / 60).toPrecision(3))} min`
}

/** Tasks needed to serve the average load, never fewer than app.yaml's count (nor than one). */
function tasksFor(sizing: ContainerSizing, traffic: Traffic, scaleToLoad = true): number {
  if (!scaleToLoad) return sizing.count
  const inFlight = (traffic.requestsPerMonth / SECONDS_PER_MONTH) * traffic.durationSeconds
  return Math.max(sizing.count, 1, Math.ceil(inFlight / traffic.concurrency - 1e-9))
}

/** ALB hours and LCUs, and its two public IPv4 addresses; one new connection per request is assumed. */
function loadBalancerLines(traffic: Traffic, prices: RegionPrices, hours: number, express = false): (CostLine & { exact: number })[] {
  const perSecond = traffic.requestsPerMonth / SECONDS_PER_MONTH
  const bytesPerHour = perSecond * 3600 * traffic.payloadBytes
  // LCUs are the largest of the dimensions: 25 new connections/s, 1 GB processed an hour
  const lcus = Math.max(perSecond / 25, bytesPerHour / GIB)
  return [
    line(
      'load-balancer',
      express ? `ECS Express's shared Application Load Balancer, hours (${EXPRESS_SHARE})` : 'Application Load Balancer hours',
      hours,
      'hours',
      prices.alb.hour,
    ),
    line('load-balancer', 'ALB capacity units (one new connection a request)', lcus * hours, 'LCU-hours', prices.alb.lcuHour),
    line('public-ipv4', `the ALB's ${ALB_PUBLIC_IPS} public IPv4 addresses`, ALB_PUBLIC_IPS * hours, 'hours', prices.publicIpv4Hour),
  ]
}

const HOURS = 730

/** Fargate: vCPU-hours and GB-hours of the tasks, their public IPs, and a load balancer when asked. */
export function estimateFargate(
  sizing: ContainerSizing,
  traffic: Traffic,
  prices: RegionPrices,
  front: FrontDoor,
  assumptions: string[] = [],
  scaleToLoad = true,
): TargetEstimate {
  const tasks = tasksFor(sizing, traffic, scaleToLoad)
  const rate = prices.fargate[sizing.architecture]
  const vcpu = sizing.cpu / 1024
  const gb = sizing.memory / 1024
  const lines = [
    line('compute', `${tasks} task(s) × ${vcpu} vCPU ${sizing.architecture} × ${HOURS} h`, tasks * vcpu * HOURS, 'vCPU-hours', rate.vcpuHour),
    line('compute', `${tasks} task(s) × ${gb} GB × ${HOURS} h`, tasks * gb * HOURS, 'GB-hours', rate.gbHour),
    ...(sizing.publicIp ? [line('public-ipv4', `one public IPv4 address per task`, tasks * HOURS, 'hours', prices.publicIpv4Hour)] : []),
    ...(front.loadBalancer ? loadBalancerLines(traffic, prices, HOURS, front.express) : []),
    line('logs', 'CloudWatch Logs ingestion: Fargate adds no lines of its own', 0, 'GB', prices.logsIngestionGb),
  ]
  const ruledOut: string[] = []
  if (!FARGATE_CPU_MEMORY[sizing.cpu]?.includes(sizing.memory)) ruledOut.push(`cpu ${sizing.cpu} / memory ${sizing.memory} is not a Fargate size`)
  return finish('fargate', { ...sizing, tasks }, lines, assumptions, ruledOut)
}

/** The cheapest instances of the app's architecture that hold `tasks` tasks, or undefined when none can. */
function cheapestInstances(
  sizing: ContainerSizing,
  tasks: number,
  prices: RegionPrices,
): { type: string; count: number; hourly: number; perInstance: number; enisBound: boolean } | undefined {
  let best: { type: string; count: number; hourly: number; perInstance: number; enisBound: boolean } | undefined
  for (const it of INSTANCE_TYPES) {
    const hourly = prices.ec2Hour[it.name]
    if (it.architecture !== sizing.architecture || hourly === undefined) continue
    const bySize = Math.min(Math.floor((it.vcpu * 1024) / sizing.cpu), Math.floor((it.memory * ECS_USABLE_MEMORY) / sizing.memory))
    // shipit's ECS tasks use awsvpc: each takes a network interface of its own, and the primary one is the instance's
    const byEnis = awsvpcTasksPerInstance(it)
    const perInstance = Math.min(bySize, byEnis)
    if (perInstance < 1) continue
    const count = Math.ceil(tasks / perInstance)
    if (!best || count * hourly < best.count * best.hourly) best = { type: it.name, count, hourly, perInstance, enisBound: byEnis < bySize }
  }
  return best
}

/** awsvpc tasks one instance holds without ENI trunking (not assumed: it is an account setting, and t3/t4g do not support it). */
function awsvpcTasksPerInstance(it: InstanceType): number {
  return it.maxEnis - 1
}

/** ECS on EC2: the cheapest on-demand instances that fit the tasks, their public IPs, and a load balancer when asked. */
export function estimateEcs(
  sizing: ContainerSizing,
  traffic: Traffic,
  prices: RegionPrices,
  front: FrontDoor,
  assumptions: string[] = [],
  scaleToLoad = true,
): TargetEstimate {
  const tasks = tasksFor(sizing, traffic, scaleToLoad)
  const fit = tasks > 0 ? cheapestInstances(sizing, tasks, prices) : undefined
  const lines = [
    ...(fit
      ? [
          line(
            'compute',
            `${fit.count} × ${fit.type} on-demand × ${HOURS} h (cheapest that fits ${tasks} task(s); ${fit.perInstance} a ${fit.type}${fit.enisBound ? ': one network interface each (awsvpc, no trunking)' : ''})`,
            fit.count * HOURS,
            'instance-hours',
            fit.hourly,
          ),
          line('public-ipv4', 'one public IPv4 address per instance', fit.count * HOURS, 'hours', prices.publicIpv4Hour),
        ]
      : []),
    ...(front.loadBalancer ? loadBalancerLines(traffic, prices, HOURS) : []),
    line('logs', 'CloudWatch Logs ingestion: ECS adds no lines of its own', 0, 'GB', prices.logsIngestionGb),
  ]
  const ruledOut =
    tasks > 0 && !fit ? [`no ${sizing.architecture} instance type in shipit's list holds a task of cpu ${sizing.cpu} / memory ${sizing.memory}`] : []
  return finish('ecs', { ...sizing, tasks, ...(fit ? { instances: { type: fit.type, count: fit.count } } : {}) }, lines, assumptions, ruledOut)
}

/** The cheapest Fargate size with at least `memory` MiB: what a function of that memory would need as a task. */
export function smallestFargateSize(memory: number, architecture: Architecture, prices: RegionPrices): { cpu: number; memory: number } {
  const rate = prices.fargate[architecture]
  let best = { cpu: 16384, memory: 122880 }
  let bestCost = Number.POSITIVE_INFINITY
  for (const [cpu, memories] of Object.entries(FARGATE_CPU_MEMORY)) {
    for (const m of memories) {
      const cost = (Number(cpu) / 1024) * rate.vcpuHour + (m / 1024) * rate.gbHour
      if (m >= memory && cost < bestCost) {
        best = { cpu: Number(cpu), memory: m }
        bestCost = cost
      }
    }
  }
  return best
}
