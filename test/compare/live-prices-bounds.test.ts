import { PricingClient } from '@aws-sdk/client-pricing'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LIVE_BOUNDS } from '../../src/compare/live-bounds.js'
import { livePrices } from '../../src/compare/live-prices.js'
import { implausible } from '../../src/compare/price-checks.js'
import { PRICE_TABLE } from '../../src/compare/prices.js'
import { jsonOk, type LoopbackStub, type StubHandler, type StubRequest, startStub } from '../helpers/loopback.js'

/**
 * The review's hostile Price List endpoints, served over real HTTP to the real SDK client: a reply of
 * 2 GB, a NextToken without end, a reply that trickles a byte at a time, and a negative price. Each
 * read must end, within its bounds, with the table's price for what was cut and a note saying why.
 */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const TABLE = PRICE_TABLE.regions['us-east-1']
let stub: LoopbackStub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

function product(attributes: Record<string, string>, usd: string): string {
  const priceDimensions = { 'SKU.T.0': { beginRange: '0', endRange: 'Inf', unit: 'x', pricePerUnit: { USD: usd } } }
  return JSON.stringify({ product: { attributes }, terms: { OnDemand: { 'SKU.T': { priceDimensions } } } })
}

const serviceOf = (req: StubRequest) => (JSON.parse(req.body) as { ServiceCode: string }).ServiceCode

/** A Price List endpoint that lists nothing, except what `special` answers for a service. */
async function endpoint(special: (req: StubRequest, service: string) => ReturnType<StubHandler> | undefined) {
  stub = await startStub((req) => special(req, serviceOf(req)) ?? jsonOk(req, { PriceList: [], FormatVersion: 'aws_v1' }), { maxRequests: 500 })
  return new PricingClient({
    region: 'us-east-1',
    endpoint: stub.url,
    credentials: { accessKeyId: 'STUB-ACCESS-KEY-ID', secretAccessKey: 'stub-secret' },
  })
}

describe('--live-prices against a hostile endpoint: every read is bounded', () => {
  it('cuts a 2 GB reply at the reply cap while reading, without holding it in memory', async () => {
    const client = await endpoint((_req, service) =>
      service === 'AWSLambda'
        ? { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"PriceList":["'.padEnd(65536, 'x'), repeatBytes: 2 * 1024 ** 3 }
        : undefined,
    )
    const rssBefore = process.memoryUsage().rss
    const started = Date.now()
    const result = await livePrices('us-east-1', { client })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 ** 2)
    expect(result.note).toContain('cut short: AWSLambda: a reply passed 4 MiB and was cut while reading (--prices-max-reply)')
    expect(result.table.regions['us-east-1'].lambda).toEqual(TABLE.lambda)
    // the SDK does not resend a reply cut for its size: one request, not one per attempt
    expect(stub?.requests.filter((r) => serviceOf(r) === 'AWSLambda')).toHaveLength(1)
  })

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const client = await endpoint((req, service) =>
      service === 'AmazonECS' ? jsonOk(req, { PriceList: [product({ usagetype: 'USE1-Fargate-GB-Hours' }, '0.004445'.padEnd(200_000, '0'))] }) : undefined,
    )
    const result = await livePrices('us-east-1', { client, bounds: { maxReplyBytes: 100_000 } })
    expect(result.note).toContain('AmazonECS: a reply passed 97.7 KiB and was cut while reading')
  })

  it('stops an endless NextToken after the page limit and says so', async () => {
    let token = 0
    const client = await endpoint((req, service) =>
      service === 'AmazonECS'
        ? jsonOk(req, { PriceList: [product({ usagetype: 'USE1-Fargate-GB-Hours' }, '0.0045')], NextToken: `token-${++token}` })
        : undefined,
    )
    const result = await livePrices('us-east-1', { client })
    expect(stub?.requests.filter((r) => serviceOf(r) === 'AmazonECS')).toHaveLength(DEFAULT_LIVE_BOUNDS.maxPages)
    expect(result.note).toContain('cut short: AmazonECS: stopped after 20 pages, more were offered (--prices-max-pages)')
    // what the pages read did list is still used
    expect(result.table.regions['us-east-1'].fargate.x86_64.gbHour).toBe(0.0045)
  })

  it('ends a reply that trickles a byte at a time at the total deadline', async () => {
    const client = await endpoint((req, service) =>
      service === 'AmazonVPC'
        ? { ...jsonOk(req, { PriceList: [product({ usagetype: 'USE1-PublicIPv4:InUseAddress' }, '0.005')] }), trickleMs: 100 }
        : undefined,
    )
    const started = Date.now()
    const result = await livePrices('us-east-1', { client, bounds: { deadlineMs: 1000 } })
    expect(Date.now() - started).toBeLessThan(4000)
    expect(result.note).toContain('cut short: AmazonVPC: not read within 1 s (--prices-timeout)')
    expect(result.table.regions['us-east-1'].publicIpv4Hour).toBe(TABLE.publicIpv4Hour)
  })

  it('ends a reply that never comes at the total deadline', async () => {
    const client = await endpoint((_req, service) => (service === 'AWSELB' ? 'hang' : undefined))
    const result = await livePrices('us-east-1', { client, bounds: { deadlineMs: 500 } })
    expect(result.note).toContain('AWSELB: not read within 0.5 s')
    expect(result.table.regions['us-east-1'].alb).toEqual(TABLE.alb)
  })
})

describe('--live-prices checks every price it reads', () => {
  it("refuses a negative price (the review's $-29,999,997.30/month) and uses the table's, naming why", async () => {
    const client = await endpoint((req, service) =>
      service === 'AWSLambda'
        ? jsonOk(req, {
            PriceList: [
              product({ group: 'AWS-Lambda-Requests' }, '-6.0000000000'),
              product({ group: 'AWS-Lambda-Duration' }, 'NaN'),
              product({ group: 'AWS-Lambda-Duration-ARM' }, '0.0013333400'),
            ],
          })
        : undefined,
    )
    const result = await livePrices('us-east-1', { client })
    const lambda = result.table.regions['us-east-1'].lambda
    expect(lambda.perMillionRequests).toBe(TABLE.lambda.perMillionRequests)
    expect(lambda.gbSecond).toEqual(TABLE.lambda.gbSecond)
    expect(result.note).toContain("refused, taken from shipit's table of 2026-12-01 for us-east-1: Lambda duration x86_64: NaN is not a number")
    expect(result.note).toContain("Lambda duration arm64: $0.001333 is 100× the table's $0.00001333, outside 0.2×–5×")
    expect(result.note).toContain('Lambda requests: $-6000000 is not a positive price')
  })

  it('implausible(): finite, positive, within 0.2×–5× of the table, tiers in order', () => {
    const table = [{ upTo: 10, price: 1 }, { price: 0.5 }]
    expect(implausible([{ upTo: 10, price: 1.1 }, { price: 0.45 }], table)).toBeUndefined()
    expect(implausible([{ price: 0 }], table)).toBe('$0 is not a positive price')
    expect(implausible([{ price: Number.POSITIVE_INFINITY }], table)).toBe('Infinity is not a number')
    expect(implausible([{ price: 0.19 }], table)).toMatch(/0\.19× the table's \$1, outside/)
    expect(implausible([{ price: 5.01 }], table)).toMatch(/5\.01×/)
    expect(implausible([{ upTo: 10, price: 1 }, { upTo: 5, price: 0.5 }, { price: 0.5 }], table)).toMatch(/not in ascending order/)
    expect(implausible([], table)).toBe('no price')
  })
})
