import type { Filter, GetProductsCommandOutput, PricingClient } from '@aws-sdk/client-pricing'
import { AwsClients } from '../aws/clients.js'
import { configuredCredentialSource } from '../aws/credentials.js'
import { translateAwsError } from '../aws/errors.js'
import { boundReply, type Cut, DEFAULT_LIVE_BOUNDS, describeCut, type LiveBounds } from './live-bounds.js'
import { implausible } from './price-checks.js'
import { INSTANCE_TYPES, PRICE_TABLE, type PriceTable, type RegionPrices, type Tier } from './prices.js'

/**
 * `--live-prices`: the same prices read from the AWS Price List API (GetProducts; its endpoint is in
 * us-east-1 whatever the app's region). Only this module loads @aws-sdk/client-pricing, and only when
 * asked, so a plain `compare` stays offline and fast.
 */

const PRICING_REGION = 'us-east-1'

interface LivePricesResult {
  table: PriceTable
  /** what was used and why, for a note on stderr */
  note: string
}

/** One price list entry: the attributes of a product and its on-demand price dimensions. */
interface Product {
  product: { productFamily?: string; attributes: Record<string, string> }
  terms: {
    OnDemand?: Record<string, { priceDimensions: Record<string, { beginRange?: string; endRange?: string; unit?: string; pricePerUnit: { USD?: string } }> }>
  }
}

/** Tiers of the first product whose attributes satisfy `match`, or undefined when the API lists none. */
export function findTiers(products: Product[], match: (attributes: Record<string, string>) => boolean, scale = 1): Tier[] | undefined {
  const product = products.find((p) => match(p.product.attributes))
  if (!product?.terms?.OnDemand) return undefined
  const dimensions = Object.values(product.terms.OnDemand).flatMap((term) => Object.values(term?.priceDimensions ?? {}))
  // a dimension without a price stays NaN: the price check names it, rather than a tier silently gone
  const tiers = dimensions
    .map((d) => ({ begin: Number(d?.beginRange ?? 0), end: d?.endRange, price: Number(d?.pricePerUnit?.USD ?? Number.NaN) * scale }))
    .sort((a, b) => a.begin - b.begin)
  if (!tiers.length) return undefined
  return tiers.map((t) => (t.end === undefined || t.end === 'Inf' ? { price: t.price } : { upTo: Number(t.end), price: t.price }))
}

/** One entry of PriceList, or undefined when it is not a product (the API's reply is not trusted). */
function parseProduct(entry: unknown): Product | undefined {
  try {
    const parsed = JSON.parse(String(entry)) as Partial<Product> | null
    const attributes = parsed?.product?.attributes
    return typeof attributes === 'object' && attributes !== null && typeof parsed?.terms === 'object' ? (parsed as Product) : undefined
  } catch {
    return undefined
  }
}

/** One read of the Price List API: its client, the bounds it keeps, and what they cut. */
interface PriceListRead {
  client: PricingClient
  module: typeof import('@aws-sdk/client-pricing')
  bounds: LiveBounds
  /** aborts when bounds.deadlineMs has passed since the read began */
  deadline: AbortSignal
  cuts: string[]
}

/** Every page of one GetProducts query, until the last page or a bound (named in `read.cuts`). */
async function products(read: PriceListRead, serviceCode: string, filters: Record<string, string>, label = serviceCode): Promise<Product[]> {
  const { client, module, bounds, deadline } = read
  const Filters: Filter[] = Object.entries(filters).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }))
  const out: Product[] = []
  let NextToken: string | undefined
  let pages = 0
  do {
    let cut: Cut | undefined = deadline.aborted ? { kind: 'deadline' } : pages >= bounds.maxPages ? { kind: 'pages', pages } : undefined
    let page: GetProductsCommandOutput | undefined
    if (!cut) {
      const command = new module.GetProductsCommand({ ServiceCode: serviceCode, Filters, NextToken, MaxResults: 100 })
      // a signal of its own per call: the SDK's listeners do not pile up on the shared deadline
      const signal = AbortSignal.any([deadline])
      boundReply(command.middlewareStack, bounds.maxReplyBytes, signal, (c) => {
        cut ??= c
      })
      try {
        page = await client.send(command, { abortSignal: signal })
      } catch (err) {
        if (deadline.aborted) cut ??= { kind: 'deadline' }
        if (!cut) throw err
      }
    }
    if (cut || !page) {
      read.cuts.push(describeCut(label, cut ?? { kind: 'deadline' }, bounds))
      break
    }
    pages++
    for (const entry of page.PriceList ?? []) {
      const product = parseProduct(entry)
      if (product) out.push(product)
    }
    NextToken = page.NextToken
  } while (NextToken)
  return out
}

const usage = (suffix: string) => (a: Record<string, string>) => (a.usagetype ?? '').endsWith(suffix)

interface RegionPricesRead {
  prices: RegionPrices
  /** items the API did not list: the table's price */
  missing: string[]
  /** items whose listed price failed the check, with why: the table's price */
  rejected: string[]
  /** queries a bound stopped, with which bound */
  cuts: string[]
}

/** Read one region's prices; anything the API does not list, or lists implausibly, keeps the table's value (and is named). */
async function readRegionPrices(
  client: PricingClient,
  region: string,
  fallback: RegionPrices,
  bounds: LiveBounds = DEFAULT_LIVE_BOUNDS,
  deadline: AbortSignal = AbortSignal.timeout(bounds.deadlineMs),
): Promise<RegionPricesRead> {
  const module = await import('@aws-sdk/client-pricing')
  const read: PriceListRead = { client, module, bounds, deadline, cuts: [] }
  const where = { regionCode: region }
  const [lambda, ecs, apigw, elb, vpc, logs, ...ec2] = await Promise.all([
    products(read, 'AWSLambda', where),
    products(read, 'AmazonECS', where),
    products(read, 'AmazonApiGateway', where),
    products(read, 'AWSELB', where),
    products(read, 'AmazonVPC', where),
    products(read, 'AmazonCloudWatch', where),
    ...INSTANCE_TYPES.map((it) =>
      products(
        read,
        'AmazonEC2',
        { ...where, instanceType: it.name, operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used' },
        `AmazonEC2 ${it.name}`,
      ),
    ),
  ])
  const missing: string[] = []
  const rejected: string[] = []
  const pick = (name: string, tiers: Tier[] | undefined, table: Tier[]): Tier[] => {
    if (!tiers) {
      missing.push(name)
      return table
    }
    const why = implausible(tiers, table)
    if (!why) return tiers
    rejected.push(`${name}: ${why}`)
    return table
  }
  // a flat price is the first tier's
  const one = (name: string, tiers: Tier[] | undefined, table: number) => pick(name, tiers && [{ price: tiers[0].price }], [{ price: table }])[0].price
  const group = (g: string) => (a: Record<string, string>) => a.group === g
  const prices: RegionPrices = {
    lambda: {
      gbSecond: {
        x86_64: pick('Lambda duration x86_64', findTiers(lambda, group('AWS-Lambda-Duration')), fallback.lambda.gbSecond.x86_64),
        arm64: pick('Lambda duration arm64', findTiers(lambda, group('AWS-Lambda-Duration-ARM')), fallback.lambda.gbSecond.arm64),
      },
      perMillionRequests: one('Lambda requests', findTiers(lambda, group('AWS-Lambda-Requests'), 1e6), fallback.lambda.perMillionRequests),
    },
    fargate: {
      x86_64: {
        vcpuHour: one('Fargate vCPU x86_64', findTiers(ecs, usage('-Fargate-vCPU-Hours:perCPU')), fallback.fargate.x86_64.vcpuHour),
        gbHour: one('Fargate memory x86_64', findTiers(ecs, usage('-Fargate-GB-Hours')), fallback.fargate.x86_64.gbHour),
      },
      arm64: {
        vcpuHour: one('Fargate vCPU arm64', findTiers(ecs, usage('-Fargate-ARM-vCPU-Hours:perCPU')), fallback.fargate.arm64.vcpuHour),
        gbHour: one('Fargate memory arm64', findTiers(ecs, usage('-Fargate-ARM-GB-Hours')), fallback.fargate.arm64.gbHour),
      },
    },
    httpApiPerMillion: pick('HTTP API requests', findTiers(apigw, usage('-ApiGatewayHttpRequest'), 1e6), fallback.httpApiPerMillion),
    alb: {
      hour: one('ALB hours', findTiers(elb, usage('-LoadBalancerUsage')), fallback.alb.hour),
      lcuHour: one('ALB LCU-hours', findTiers(elb, usage('-LCUUsage')), fallback.alb.lcuHour),
    },
    publicIpv4Hour: one('public IPv4', findTiers(vpc, usage('PublicIPv4:InUseAddress')), fallback.publicIpv4Hour),
    logsIngestionGb: one('CloudWatch Logs ingestion', findTiers(logs, usage('-DataProcessing-Bytes')), fallback.logsIngestionGb),
    ec2Hour: Object.fromEntries(
      INSTANCE_TYPES.map((it, i) => [
        it.name,
        one(
          `EC2 ${it.name}`,
          findTiers(ec2[i], (a) => a.instanceType === it.name),
          fallback.ec2Hour[it.name],
        ),
      ]),
    ),
  }
  return { prices, missing, rejected, cuts: read.cuts }
}

interface LivePricesOptions {
  profile?: string
  /** for tests: a mocked PricingClient, or one pointed at a loopback stub */
  client?: PricingClient
  now?: Date
  /** each left out takes its default (DEFAULT_LIVE_BOUNDS) */
  bounds?: Partial<LiveBounds>
}

/**
 * The Price List API's prices for `region` when credentials exist; otherwise the shipped table, saying so.
 * The read is bounded (time, bytes per reply, pages) and every price is checked; whatever a bound cut
 * or the check refused is priced from the table, and the note names it and why.
 */
export async function livePrices(region: string, options: LivePricesOptions = {}): Promise<LivePricesResult> {
  const shared = new AwsClients({ region: PRICING_REGION, profile: options.profile })
  // a region the table lacks falls back, item by item, to us-east-1's prices (and says so)
  const fallbackRegion = PRICE_TABLE.regions[region] ? region : 'us-east-1'
  const fallback = PRICE_TABLE.regions[fallbackRegion]
  const tableNote = `no AWS credentials found: used shipit's price table of ${PRICE_TABLE.date} instead of the Price List API`
  if (!options.client && !(await configuredCredentialSource(options.profile))) return { table: PRICE_TABLE, note: tableNote }
  const { PricingClient } = await import('@aws-sdk/client-pricing')
  const client = options.client ?? new PricingClient(shared.clientConfig())
  const bounds = { ...DEFAULT_LIVE_BOUNDS, ...options.bounds }
  // one deadline for all of it, the credentials' own look-ups (SSO, web identity) included
  const deadline = AbortSignal.timeout(bounds.deadlineMs)
  try {
    if (!options.client) {
      const expired = new Promise<undefined>((resolve) => deadline.addEventListener('abort', () => resolve(undefined), { once: true }))
      const creds = await Promise.race([client.config.credentials().catch(() => undefined), expired])
      if (!creds?.accessKeyId) return { table: PRICE_TABLE, note: deadline.aborted ? `${tableNote} within ${bounds.deadlineMs / 1000} s` : tableNote }
    }
    const { prices, missing, rejected, cuts } = await readRegionPrices(client, region, fallback, bounds, deadline)
    const date = (options.now ?? new Date()).toISOString().slice(0, 10)
    const fromTable = missing.length + rejected.length > 0
    const table: PriceTable = {
      ...PRICE_TABLE,
      origin: 'price-list-api',
      date,
      sources: ['AWS Price List API (pricing.GetProducts, us-east-1 endpoint)', ...(fromTable ? PRICE_TABLE.sources : [])],
      regions: { [region]: prices },
    }
    const tableOf = `shipit's table of ${PRICE_TABLE.date} for ${fallbackRegion}`
    const parts = [
      `prices: read from the AWS Price List API on ${date}`,
      ...(cuts.length ? [`cut short: ${cuts.join('; ')}`] : []),
      ...(rejected.length ? [`refused, taken from ${tableOf}: ${rejected.join('; ')}`] : []),
      ...(missing.length ? [`not listed there, taken from ${tableOf}: ${missing.join(', ')}`] : []),
    ]
    return { table, note: parts.join('; ') }
  } catch (err) {
    throw translateAwsError(err, 'reading prices from the AWS Price List API')
  } finally {
    if (!options.client) client.destroy()
  }
}
