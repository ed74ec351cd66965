import type { Filter, GetProductsCommandOutput, PricingClient } from '@aws-sdk/client-pricing'
import { AwsClients } from '../aws/clients.js'
import { configuredCredentialSource } from '../aws/credentials.js'
import { translateAwsError } from '../aws/errors.js'
import { INSTANCE_TYPES, PRICE_TABLE, type PriceTable, type RegionPrices, type Tier } from './prices.js'

/**
 * `--live-prices`: the same prices read from the AWS Price List API (GetProducts; its endpoint is in
 * us-east-1 whatever the app's region). Only this module loads @aws-sdk/client-pricing, and only when
 * asked, so a plain `compare` stays offline and fast.
 */

export const PRICING_REGION = 'us-east-1'

export interface LivePricesResult {
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
  if (!product?.terms.OnDemand) return undefined
  const dimensions = Object.values(product.terms.OnDemand).flatMap((term) => Object.values(term.priceDimensions))
  const tiers = dimensions
    .map((d) => ({ begin: Number(d.beginRange ?? 0), end: d.endRange, price: Number(d.pricePerUnit.USD ?? Number.NaN) * scale }))
    .filter((d) => Number.isFinite(d.price))
    .sort((a, b) => a.begin - b.begin)
  if (!tiers.length) return undefined
  return tiers.map((t) => (t.end === undefined || t.end === 'Inf' ? { price: t.price } : { upTo: Number(t.end), price: t.price }))
}

async function products(
  client: PricingClient,
  module: typeof import('@aws-sdk/client-pricing'),
  serviceCode: string,
  filters: Record<string, string>,
): Promise<Product[]> {
  const Filters: Filter[] = Object.entries(filters).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }))
  const out: Product[] = []
  let NextToken: string | undefined
  do {
    const page: GetProductsCommandOutput = await client.send(new module.GetProductsCommand({ ServiceCode: serviceCode, Filters, NextToken, MaxResults: 100 }))
    for (const entry of page.PriceList ?? []) out.push(JSON.parse(String(entry)) as Product)
    NextToken = page.NextToken
  } while (NextToken)
  return out
}

const usage = (suffix: string) => (a: Record<string, string>) => (a.usagetype ?? '').endsWith(suffix)

/** Read one region's prices; anything the API does not list keeps the table's value (named in `missing`). */
export async function readRegionPrices(client: PricingClient, region: string, fallback: RegionPrices): Promise<{ prices: RegionPrices; missing: string[] }> {
  const module = await import('@aws-sdk/client-pricing')
  const where = { regionCode: region }
  const [lambda, ecs, apigw, elb, vpc, logs, ...ec2] = await Promise.all([
    products(client, module, 'AWSLambda', where),
    products(client, module, 'AmazonECS', where),
    products(client, module, 'AmazonApiGateway', where),
    products(client, module, 'AWSELB', where),
    products(client, module, 'AmazonVPC', where),
    products(client, module, 'AmazonCloudWatch', where),
    ...INSTANCE_TYPES.map((it) =>
      products(client, module, 'AmazonEC2', {
        ...where,
        instanceType: it.name,
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
      }),
    ),
  ])
  const missing: string[] = []
  const pick = (name: string, tiers: Tier[] | undefined, table: Tier[]): Tier[] => {
    if (tiers) return tiers
    missing.push(name)
    return table
  }
  const one = (name: string, tiers: Tier[] | undefined, table: number) => pick(name, tiers, [{ price: table }])[0].price
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
  return { prices, missing }
}

/**
 * The Price List API's prices for `region` when credentials exist; otherwise the shipped table, saying so.
 * `client` is for tests (a mocked PricingClient); by default one is built from shipit's shared settings.
 */
export async function livePrices(region: string, options: { profile?: string; client?: PricingClient; now?: Date } = {}): Promise<LivePricesResult> {
  const shared = new AwsClients({ region: PRICING_REGION, profile: options.profile })
  // a region the table lacks falls back, item by item, to us-east-1's prices (and says so)
  const fallbackRegion = PRICE_TABLE.regions[region] ? region : 'us-east-1'
  const fallback = PRICE_TABLE.regions[fallbackRegion]
  const tableNote = `no AWS credentials found: used shipit's price table of ${PRICE_TABLE.date} instead of the Price List API`
  if (!options.client && !(await configuredCredentialSource(options.profile))) return { table: PRICE_TABLE, note: tableNote }
  const { PricingClient } = await import('@aws-sdk/client-pricing')
  const client = options.client ?? new PricingClient(shared.clientConfig())
  try {
    if (!options.client) {
      const creds = await client.config.credentials().catch(() => undefined)
      if (!creds?.accessKeyId) return { table: PRICE_TABLE, note: tableNote }
    }
    const { prices, missing } = await readRegionPrices(client, region, fallback)
    const date = (options.now ?? new Date()).toISOString().slice(0, 10)
    const table: PriceTable = {
      ...PRICE_TABLE,
      origin: 'price-list-api',
      date,
      sources: ['AWS Price List API (pricing.GetProducts, us-east-1 endpoint)', ...(missing.length ? PRICE_TABLE.sources : [])],
      regions: { [region]: prices },
    }
    const gaps = missing.length ? `; not listed there, taken from shipit's table of ${PRICE_TABLE.date} for ${fallbackRegion}: ${missing.join(', ')}` : ''
    return { table, note: `prices: read from the AWS Price List API on ${date}${gaps}` }
  } catch (err) {
    throw translateAwsError(err, 'reading prices from the AWS Price List API')
  } finally {
    if (!options.client) client.destroy()
  }
}
