import { lambdaSizingOfContainer } from '../manifest/image-function.js'
import type { ContainerSpec, FunctionSpec, TargetName } from '../manifest/schema.js'
import {
  type ContainerSizing,
  EXPRESS_SHARE,
  estimateEcs,
  estimateFargate,
  estimateLambda,
  type LambdaSizing,
  smallestFargateSize,
  type TargetEstimate,
} from './estimate.js'
import { FREE_TIER, FREE_TIER_NOTE, type PriceTable, type RegionPrices } from './prices.js'
import { formatCount, type Traffic } from './traffic.js'

/** The parts of a resolved app.yaml that decide its cost. */
export interface AppShape {
  app: string
  env: string
  function?: Pick<FunctionSpec, 'memory' | 'timeout' | 'architecture' | 'runtime'>
  container?: Pick<ContainerSpec, 'cpu' | 'memory' | 'count' | 'architecture' | 'port' | 'network' | 'minTasks' | 'maxTasks'>
  /** app.yaml has `http:`: an HTTP API on lambda, an ECS Express service (with its load balancer) on fargate */
  http?: boolean
}

export interface TargetComparison extends Omit<TargetEstimate, 'exactUsd'> {
  /** start-up, scaling and limits worth knowing before choosing */
  facts: string[]
}

interface BreakEven {
  /** requests a month where Lambda and Fargate cost the same; null when one is cheaper at every load searched */
  requestsPerMonth: number | null
  statement: string
}

export interface Comparison {
  app: string
  env: string
  region: string
  inputs: Record<'requests' | 'duration' | 'payload' | 'concurrency', { value: number; unit: string }>
  prices: { origin: PriceTable['origin']; date: string; currency: 'USD'; sources: string[]; hoursPerMonth: number }
  targets: TargetComparison[]
  breakEven: BreakEven
  freeTier: { item: string; label: string; quantity: number; unit: string; always: boolean }[]
  freeTierNote: string
  leftOut: string[]
  /** no load was given: each target's total at REFERENCE_LOADS (the lines above are at `inputs.requests`) */
  reference?: ReferenceLoads
  /** an app with components: each one compared as an app of its own, and the app's total on the targets the components name */
  components?: ComponentComparison[]
  total?: { monthlyUsd: number; statement: string }
}

/** One component of an app, compared on every target as a single app is; `target` is the one app.yaml gives it. */
interface ComponentComparison {
  name: string
  target: TargetName
  comparison: Comparison
  /** a one-off or scheduled task (mode: task): priced as if it served all month, so left out of the total */
  task?: boolean
}

/** The app's comparison from its components': their sum on the targets they deploy to. */
export function joinComponents(app: string, parts: ComponentComparison[]): Comparison {
  const first = parts[0].comparison
  const serving = parts.filter((p) => !p.task)
  const own = serving.flatMap((p) =>
    p.comparison.targets.filter((t) => t.target === p.target).map((t) => ({ name: p.name, target: p.target, usd: t.totalUsd })),
  )
  const monthlyUsd = Math.round(own.reduce((sum, t) => sum + t.usd, 0) * 100) / 100
  const tasks = parts.filter((p) => p.task).map((p) => p.name)
  const unsized = serving.filter((p) => !own.some((o) => o.name === p.name)).map((p) => p.name)
  const statement = [
    `total of ${own.length} components, each on its own target (${own.map((o) => `${o.name} on ${o.target}`).join(', ')})`,
    ...(tasks.length ? [`tasks left out (${tasks.join(', ')}): priced above as if they ran all month, they cost only their runs`] : []),
    ...(unsized.length ? [`not sized for their target: ${unsized.join(', ')}`] : []),
  ].join('; ')
  return {
    ...first,
    app,
    targets: [],
    breakEven: { requestsPerMonth: null, statement: 'per component, below' },
    components: parts,
    total: { monthlyUsd, statement },
  }
}

/** Loads `shipit compare` prices when neither the flags nor expect: give one. */
export const REFERENCE_LOADS = [1e5, 1e6, 1e7]

export interface ReferenceLoads {
  statement: string
  loads: { requestsPerMonth: number; totalsUsd: Record<string, number> }[]
}

const LEFT_OUT = [
  'data transfer out to the internet and between Availability Zones',
  'NAT gateways (tasks in private subnets need one, or VPC endpoints)',
  'storage: ECR images, EBS volumes of ECS instances, CloudWatch Logs storage after ingestion',
  'your own log lines, CloudWatch metrics and alarms, Savings Plans and Spot discounts, taxes',
]

/** Search range of the break-even and of the chart, in requests a month. */
const LOAD_RANGE = { from: 1e4, to: 1e11 }

interface Estimators {
  lambda?: (traffic: Traffic) => TargetEstimate
  fargate?: (traffic: Traffic) => TargetEstimate
  ecs?: (traffic: Traffic) => TargetEstimate
}

/**
 * Every target sized for this app: a target without its own section in app.yaml borrows the sizes of
 * the other (a function's memory becomes the smallest Fargate size that holds it, a container's
 * memory the function's), and says so in its assumptions.
 */
export function estimators(shape: AppShape, prices: RegionPrices): Estimators {
  const fn = shape.function
  const c = shape.container
  const lambdaSizing: LambdaSizing | undefined = fn
    ? { memory: fn.memory, architecture: fn.architecture, timeout: fn.timeout }
    : // the size a container app gets on lambda (an image function): the one rule, shared with the deploy
      c && lambdaSizingOfContainer(c)
  const lambdaAssumed = fn ? [] : [`sized from container: ${lambdaSizing?.memory} MB, ${lambdaSizing?.architecture}`]
  let containerSizing: ContainerSizing
  const containerAssumed: string[] = []
  // on fargate, http: is an ECS Express service; a function's app has an HTTP API, so on fargate it would be one too
  const express = Boolean(shape.http) || !c
  const minTasks = c?.minTasks ?? Math.max(1, c?.count ?? 1)
  if (c) {
    containerSizing = {
      cpu: c.cpu,
      memory: c.memory,
      count: express ? minTasks : c.count,
      architecture: c.architecture,
      publicIp: c.network?.assignPublicIp ?? !c.network?.subnets,
    }
  } else if (fn) {
    const size = smallestFargateSize(fn.memory, fn.architecture, prices)
    containerSizing = { ...size, count: 1, architecture: fn.architecture, publicIp: true }
    containerAssumed.push(`sized from function: cpu ${size.cpu} / memory ${size.memory}, the smallest Fargate size with ${fn.memory} MB`)
  } else return {}
  const scaling = express
    ? `tasks scale to the average load: in-flight requests ÷ concurrency, never fewer than minTasks (${minTasks})`
    : 'tasks scale to the average load: in-flight requests ÷ concurrency, never fewer than container.count'
  const fargateDeploys = express
    ? `what shipit deploys for http: on fargate, an ECS Express service behind ECS's shared load balancer (${EXPRESS_SHARE})`
    : 'what shipit deploys without http: on fargate, tasks with public IPs and no load balancer (http: makes an Express service with a URL)'
  const ecsDeploys = 'what shipit deploys on ecs, tasks and no load balancer (awsvpc tasks on EC2 get no public IP: a load balancer of your own is not counted)'
  const ecsSizing = 'instances: the cheapest on-demand type in the list that fits, one network interface per task (awsvpc; ENI trunking not assumed)'
  return {
    ...(lambdaSizing ? { lambda: (t: Traffic) => estimateLambda(lambdaSizing, t, prices, lambdaAssumed) } : {}),
    fargate: (t) => estimateFargate(containerSizing, t, prices, { loadBalancer: express, express }, [...containerAssumed, fargateDeploys, scaling]),
    ecs: (t) =>
      estimateEcs({ ...containerSizing, count: c?.count ?? 1 }, t, prices, { loadBalancer: false }, [
        ...containerAssumed,
        ecsDeploys,
        'tasks scale to the average load: in-flight requests ÷ concurrency, never fewer than container.count',
        ecsSizing,
      ]),
  }
}

const FACTS: Record<TargetName, (shape: AppShape) => string[]> = {
  lambda: (shape) => [
    `cold start: ~100 ms–1 s for the first request on a new instance${shape.function?.runtime?.startsWith('java') ? ' (seconds for java without SnapStart)' : ''}; scales per request, to zero when idle`,
    `limits: 15 min a request${shape.function ? ` (function.timeout ${shape.function.timeout} s)` : ''}, 10,240 MB memory, 6 MB payload, HTTP API waits 30 s`,
  ],
  fargate: () => [
    'task start-up: ~30–60 s (image pull, network interface): scale ahead of load',
    'bills per second while a task runs (1-minute minimum), whether or not requests come; no servers to patch',
  ],
  ecs: () => [
    'task start-up: seconds when an instance has room; minutes when an instance must be added first',
    'the EC2 instances are yours to run, patch and scale (shipit does not create them)',
  ],
}

/** Cost of every target at this load, the break-even between Lambda and Fargate, and what is left out. */
export function compareTargets(shape: AppShape, traffic: Traffic, table: PriceTable, region: string): Comparison {
  const prices = table.regions[region]
  const est = estimators(shape, prices)
  const targets: TargetComparison[] = []
  for (const name of ['lambda', 'fargate', 'ecs'] as const) {
    const estimate = est[name]?.(traffic)
    if (!estimate) continue
    const { exactUsd: _, ...rest } = estimate
    targets.push({ ...rest, facts: FACTS[name](shape) })
  }
  return {
    app: shape.app,
    env: shape.env,
    region,
    inputs: {
      requests: { value: traffic.requestsPerMonth, unit: 'requests/month' },
      duration: { value: traffic.durationSeconds, unit: 's' },
      payload: { value: traffic.payloadBytes, unit: 'bytes' },
      concurrency: { value: traffic.concurrency, unit: 'requests in flight per task' },
    },
    prices: { origin: table.origin, date: table.date, currency: table.currency, sources: table.sources, hoursPerMonth: table.hoursPerMonth },
    targets,
    breakEven: breakEven(est, traffic),
    freeTier: Object.entries(FREE_TIER).map(([item, f]) => ({ item, ...f })),
    freeTierNote: FREE_TIER_NOTE,
    leftOut: LEFT_OUT,
  }
}

/** Each target's monthly total at each of `loads` (the other inputs of `traffic` kept). */
export function atReferenceLoads(shape: AppShape, traffic: Traffic, prices: RegionPrices, loads: number[] = REFERENCE_LOADS): ReferenceLoads {
  const est = estimators(shape, prices)
  return {
    statement: `no load given (--requests, or expect: in app.yaml): priced at reference loads of ${loads.map(formatCount).join(', ')} requests/month`,
    loads: loads.map((requestsPerMonth) => ({
      requestsPerMonth,
      totalsUsd: Object.fromEntries(
        (['lambda', 'fargate', 'ecs'] as const).flatMap((name) => {
          const e = est[name]?.({ ...traffic, requestsPerMonth })
          return e ? [[name, e.totalUsd]] : []
        }),
      ),
    })),
  }
}

/** Cost of each target at `points` loads spread evenly on a log scale: the chart's data. */
export function costCurves(shape: AppShape, traffic: Traffic, prices: RegionPrices, points = 57): { requests: number[]; series: Record<string, number[]> } {
  const est = estimators(shape, prices)
  const ratio = LOAD_RANGE.to / LOAD_RANGE.from
  const requests = Array.from({ length: points }, (_, i) => LOAD_RANGE.from * ratio ** (i / (points - 1)))
  const series: Record<string, number[]> = {}
  for (const name of ['lambda', 'fargate', 'ecs'] as const) {
    const f = est[name]
    if (f) series[name] = requests.map((r) => f({ ...traffic, requestsPerMonth: r }).exactUsd)
  }
  return { requests, series }
}

/**
 * The load where Lambda's cost meets Fargate's: scanned on a log grid, then bisected. Lambda grows
 * with every request; Fargate is flat until the load needs more tasks.
 */
export function breakEven(est: Estimators, traffic: Traffic): BreakEven {
  const { lambda, fargate } = est
  if (!lambda || !fargate) return { requestsPerMonth: null, statement: 'no break-even: the app can be sized for only one of lambda and fargate' }
  const diff = (r: number) => lambda({ ...traffic, requestsPerMonth: r }).exactUsd - fargate({ ...traffic, requestsPerMonth: r }).exactUsd
  const steps = 88
  const ratio = LOAD_RANGE.to / LOAD_RANGE.from
  let lo = LOAD_RANGE.from
  const first = diff(lo)
  for (let i = 1; i <= steps; i++) {
    let hi = LOAD_RANGE.from * ratio ** (i / steps)
    if (Math.sign(diff(hi)) !== Math.sign(first)) {
      for (let k = 0; k < 60; k++) {
        const mid = Math.sqrt(lo * hi)
        if (Math.sign(diff(mid)) === Math.sign(first)) lo = mid
        else hi = mid
      }
      const at = Number(hi.toPrecision(3))
      const cheaperBelow = first < 0 ? 'lambda' : 'fargate'
      const other = cheaperBelow === 'lambda' ? 'fargate' : 'lambda'
      return {
        requestsPerMonth: at,
        statement: `break-even at ${formatCount(at)} requests/month: below it ${cheaperBelow} costs less, above it ${other}`,
      }
    }
    lo = hi
  }
  const cheaper = first < 0 ? 'lambda' : 'fargate'
  return {
    requestsPerMonth: null,
    statement: `no break-even between ${formatCount(LOAD_RANGE.from)} and ${formatCount(LOAD_RANGE.to)} requests/month: ${cheaper} costs less at every load in between`,
  }
}
