/**
 * The price table shipit ships: AWS's published on-demand prices (USD, Linux) for the regions most
 * apps run in, copied by hand from the public price pages listed in `sources` on `date`. Prices
 * change: a test fails once this table is a year old, and `--live-prices` reads the Price List API
 * instead. Free tiers are listed apart and are never subtracted from an estimate.
 */

export const ARCHITECTURES = ['x86_64', 'arm64'] as const
export type Architecture = (typeof ARCHITECTURES)[number]

/** A tiered price: `upTo` is the cumulative monthly quantity where the tier ends; the last tier has none. */
export interface Tier {
  upTo?: number
  price: number
}

/** An EC2 instance type an ECS cluster could run on. */
export interface InstanceType {
  name: string
  architecture: Architecture
  vcpu: number
  /** MiB */
  memory: number
  /** network interfaces the type can attach, the primary one included (EC2's table per instance type) */
  maxEnis: number
}

export interface RegionPrices {
  lambda: {
    /** per GB-second of duration, tiers in GB-seconds per month */
    gbSecond: Record<Architecture, Tier[]>
    /** per 1 million requests */
    perMillionRequests: number
  }
  /** per vCPU-hour and GB-hour of a running task (Linux) */
  fargate: Record<Architecture, { vcpuHour: number; gbHour: number }>
  /** API Gateway HTTP API, per 1 million requests, tiers in requests per month */
  httpApiPerMillion: Tier[]
  /** Application Load Balancer: per hour, and per LCU-hour */
  alb: { hour: number; lcuHour: number }
  /** per in-use public IPv4 address per hour */
  publicIpv4Hour: number
  /** CloudWatch Logs ingestion, per GB (2^30 bytes) */
  logsIngestionGb: number
  /** EC2 on-demand Linux, per instance-hour */
  ec2Hour: Record<string, number>
}

export interface PriceTable {
  /** the day the prices were read off the pages in `sources` (YYYY-MM-DD) */
  date: string
  currency: 'USD'
  /** what "origin" says in output: the table shipped with shipit, or the Price List API */
  origin: 'table' | 'price-list-api'
  /** AWS bills a month as 730 hours */
  hoursPerMonth: number
  sources: string[]
  regions: Record<string, RegionPrices>
}

/** The instance types ECS-on-EC2 estimates choose from (the cheapest that fits is taken). */
export const INSTANCE_TYPES: InstanceType[] = [
  { name: 't3.micro', architecture: 'x86_64', vcpu: 2, memory: 1024, maxEnis: 2 },
  { name: 't3.small', architecture: 'x86_64', vcpu: 2, memory: 2048, maxEnis: 3 },
  { name: 't3.medium', architecture: 'x86_64', vcpu: 2, memory: 4096, maxEnis: 3 },
  { name: 't3.large', architecture: 'x86_64', vcpu: 2, memory: 8192, maxEnis: 3 },
  { name: 'm5.xlarge', architecture: 'x86_64', vcpu: 4, memory: 16384, maxEnis: 4 },
  { name: 'm5.2xlarge', architecture: 'x86_64', vcpu: 8, memory: 32768, maxEnis: 4 },
  { name: 't4g.micro', architecture: 'arm64', vcpu: 2, memory: 1024, maxEnis: 2 },
  { name: 't4g.small', architecture: 'arm64', vcpu: 2, memory: 2048, maxEnis: 3 },
  { name: 't4g.medium', architecture: 'arm64', vcpu: 2, memory: 4096, maxEnis: 3 },
  { name: 't4g.large', architecture: 'arm64', vcpu: 2, memory: 8192, maxEnis: 3 },
  { name: 'm6g.xlarge', architecture: 'arm64', vcpu: 4, memory: 16384, maxEnis: 4 },
  { name: 'm6g.2xlarge', architecture: 'arm64', vcpu: 8, memory: 32768, maxEnis: 4 },
]

/** Free tiers, per month; shown beside an estimate, never subtracted from it. */
export const FREE_TIER = {
  lambdaRequests: { label: 'Lambda', quantity: 1_000_000, unit: 'requests', always: true },
  lambdaGbSeconds: { label: 'Lambda', quantity: 400_000, unit: 'GB-s', always: true },
  httpApiRequests: { label: 'HTTP API', quantity: 1_000_000, unit: 'requests', always: false },
  logsIngestionGb: { label: 'CloudWatch Logs', quantity: 5, unit: 'GB', always: true },
  albHours: { label: 'ALB', quantity: 750, unit: 'hours', always: false },
  publicIpv4Hours: { label: 'public IPv4', quantity: 750, unit: 'hours', always: false },
} as const
/**
 * Accounts created on or after 2025-07-15 get AWS's credit-based Free Tier (signup credits, a Free or a
 * Paid plan) instead of the 12-month allowances; the always-free allowances hold for every account.
 */
export const FREE_TIER_STARRED = 'only in the first 12 months of an account created before 2025-07-15; accounts created since get credits instead'
export const FREE_TIER_NOTE = `always: every month, every account; *: ${FREE_TIER_STARRED}`

// Lambda's duration price is the same in every region of this table; only its tiers change with volume.
const LAMBDA: RegionPrices['lambda'] = {
  gbSecond: {
    x86_64: [{ upTo: 6e9, price: 0.0000166667 }, { upTo: 15e9, price: 0.000015 }, { price: 0.0000133334 }],
    arm64: [{ upTo: 7.5e9, price: 0.0000133334 }, { upTo: 18.75e9, price: 0.0000120001 }, { price: 0.0000106667 }],
  },
  perMillionRequests: 0.2,
}

function region(
  fargate: [number, number, number, number],
  httpApi: [number, number],
  alb: [number, number],
  logsIngestionGb: number,
  ec2: { t3micro: number; m5large: number; t4gmicro: number; m6glarge: number },
): RegionPrices {
  // burstable and general-purpose sizes double their price with each size step
  const t3 = ['t3.micro', 't3.small', 't3.medium', 't3.large'].map((name, i) => [name, round6(ec2.t3micro * 2 ** i)])
  const t4g = ['t4g.micro', 't4g.small', 't4g.medium', 't4g.large'].map((name, i) => [name, round6(ec2.t4gmicro * 2 ** i)])
  return {
    lambda: LAMBDA,
    fargate: { x86_64: { vcpuHour: fargate[0], gbHour: fargate[1] }, arm64: { vcpuHour: fargate[2], gbHour: fargate[3] } },
    httpApiPerMillion: [{ upTo: 300e6, price: httpApi[0] }, { price: httpApi[1] }],
    alb: { hour: alb[0], lcuHour: alb[1] },
    publicIpv4Hour: 0.005,
    logsIngestionGb,
    ec2Hour: Object.fromEntries([
      ...t3,
      ...t4g,
      ['m5.xlarge', round6(ec2.m5large * 2)],
      ['m5.2xlarge', round6(ec2.m5large * 4)],
      ['m6g.xlarge', round6(ec2.m6glarge * 2)],
      ['m6g.2xlarge', round6(ec2.m6glarge * 4)],
    ]),
  }
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6
}

const US = region([0.04048, 0.004445, 0.03238, 0.00356], [1.0, 0.9], [0.0225, 0.008], 0.5, {
  t3micro: 0.0104,
  m5large: 0.096,
  t4gmicro: 0.0084,
  m6glarge: 0.077,
})

export const PRICE_TABLE: PriceTable = {
  date: '2026-12-01',
  currency: 'USD',
  origin: 'table',
  hoursPerMonth: 730,
  sources: [
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/fargate/pricing/',
    'https://aws.amazon.com/api-gateway/pricing/',
    'https://aws.amazon.com/elasticloadbalancing/pricing/',
    'https://aws.amazon.com/vpc/pricing/',
    'https://aws.amazon.com/cloudwatch/pricing/',
    'https://aws.amazon.com/ec2/pricing/on-demand/',
  ],
  regions: {
    'us-east-1': US,
    'us-east-2': US,
    'us-west-2': US,
    'eu-west-1': region([0.04048, 0.004445, 0.03238, 0.00356], [1.11, 1.0], [0.0252, 0.008], 0.57, {
      t3micro: 0.0114,
      m5large: 0.107,
      t4gmicro: 0.0092,
      m6glarge: 0.086,
    }),
    'eu-central-1': region([0.04656, 0.00511, 0.03725, 0.00409], [1.2, 1.09], [0.027, 0.0096], 0.63, {
      t3micro: 0.012,
      m5large: 0.115,
      t4gmicro: 0.0096,
      m6glarge: 0.092,
    }),
    'ap-northeast-1': region([0.05056, 0.00553, 0.04045, 0.00442], [1.29, 1.18], [0.0243, 0.008], 0.76, {
      t3micro: 0.0136,
      m5large: 0.124,
      t4gmicro: 0.0108,
      m6glarge: 0.099,
    }),
    'ap-southeast-2': region([0.04856, 0.00532, 0.03885, 0.00426], [1.29, 1.18], [0.0252, 0.008], 0.75, {
      t3micro: 0.0132,
      m5large: 0.12,
      t4gmicro: 0.0106,
      m6glarge: 0.096,
    }),
  },
}

/** Age of a price table in days, at `now`. */
export function tableAgeDays(table: Pick<PriceTable, 'date'>, now: Date = new Date()): number {
  return Math.floor((now.getTime() - Date.parse(`${table.date}T00:00:00Z`)) / 86_400_000)
}
