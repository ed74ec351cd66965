import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { findTiers, livePrices } from '../../src/compare/live-prices.js'
import { PRICE_TABLE } from '../../src/compare/prices.js'

/** One Price List entry as GetProducts returns it: a JSON string per product. */
function product(attributes: Record<string, string>, dimensions: { begin?: string; end?: string; usd: string }[]): string {
  const priceDimensions = Object.fromEntries(
    dimensions.map((d, i) => [`SKU.JRTCKXETXF.${i}`, { beginRange: d.begin ?? '0', endRange: d.end ?? 'Inf', unit: 'x', pricePerUnit: { USD: d.usd } }]),
  )
  return JSON.stringify({ product: { attributes }, terms: { OnDemand: { 'SKU.JRTCKXETXF': { priceDimensions } } } })
}

// as shipit's client factory does: the SDK's Node 20 notice is not for CLI users
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const pricing = mockClient(PricingClient)
afterAll(() => pricing.restore())

describe('--live-prices against a mocked Price List API', () => {
  beforeEach(() => {
    pricing.reset()
    pricing.on(GetProductsCommand).resolves({ PriceList: [] })
    pricing.on(GetProductsCommand, { ServiceCode: 'AWSLambda' }).resolves({
      PriceList: [
        product({ group: 'AWS-Lambda-Duration', regionCode: 'sa-east-1' }, [
          { end: '6000000000', usd: '0.0000166667000' },
          { begin: '6000000000', end: '15000000000', usd: '0.0000150000000' },
          { begin: '15000000000', usd: '0.0000133334000' },
        ]),
        product({ group: 'AWS-Lambda-Duration-ARM', regionCode: 'sa-east-1' }, [{ usd: '0.0000133334000' }]),
        product({ group: 'AWS-Lambda-Requests', regionCode: 'sa-east-1' }, [{ usd: '0.0000002000' }]),
      ],
    })
    // the second page of ECS products carries the memory price: pages are followed
    pricing.on(GetProductsCommand, { ServiceCode: 'AmazonECS' }).resolves({
      PriceList: [product({ usagetype: 'SAE1-Fargate-vCPU-Hours:perCPU' }, [{ usd: '0.0696000000' }])],
      NextToken: 'page-2',
    })
    pricing.on(GetProductsCommand, { ServiceCode: 'AmazonECS', NextToken: 'page-2' }).resolves({
      PriceList: [product({ usagetype: 'SAE1-Fargate-GB-Hours' }, [{ usd: '0.0076400000' }])],
    })
  })

  it('reads GetProducts in us-east-1 filtered by the region, follows pages, and says it used the API', async () => {
    const result = await livePrices('sa-east-1', { client: new PricingClient({ region: 'us-east-1' }), now: new Date('2026-12-01T00:00:00Z') })
    const p = result.table.regions['sa-east-1']
    expect(result.table.origin).toBe('price-list-api')
    expect(result.table.date).toBe('2026-12-01')
    expect(p.lambda.gbSecond.x86_64).toEqual([{ upTo: 6e9, price: 0.0000166667 }, { upTo: 15e9, price: 0.000015 }, { price: 0.0000133334 }])
    expect(p.lambda.perMillionRequests).toBeCloseTo(0.2, 10)
    expect(p.fargate.x86_64).toEqual({ vcpuHour: 0.0696, gbHour: 0.00764 })
    const lambdaCalls = pricing.commandCalls(GetProductsCommand, { ServiceCode: 'AWSLambda' })
    expect(lambdaCalls.map((c) => c.args[0].input.Filters)).toEqual([[{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'sa-east-1' }]])
    expect(pricing.commandCalls(GetProductsCommand, { ServiceCode: 'AmazonECS' })).toHaveLength(2)
    expect(result.note).toMatch(/^prices: read from the AWS Price List API on 2026-12-01/)
    // what the mocked API does not list is taken from the table, and named
    expect(result.note).toContain("not listed there, taken from shipit's table of 2026-12-01 for us-east-1: Fargate vCPU arm64")
    expect(p.fargate.arm64).toEqual(PRICE_TABLE.regions['us-east-1'].fargate.arm64)
  })

  it('uses the table and says so when there are no credentials, without calling AWS', async () => {
    const saved = { ...process.env }
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k]
    process.env.HOME = '/nonexistent-shipit-home'
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
    try {
      const result = await livePrices('us-east-1')
      expect(result.table).toBe(PRICE_TABLE)
      expect(result.note).toBe("no AWS credentials found: used shipit's price table of 2026-12-01 instead of the Price List API")
      expect(pricing.calls()).toHaveLength(0)
    } finally {
      process.env = saved
    }
  })

  it('turns an AWS refusal into an AWS error, not a crash', async () => {
    pricing
      .on(GetProductsCommand, { ServiceCode: 'AWSLambda' })
      .rejects(Object.assign(new Error('User is not authorized to perform: pricing:GetProducts'), { name: 'AccessDeniedException' }))
    await expect(livePrices('us-east-1', { client: new PricingClient({ region: 'us-east-1' }) })).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/reading prices from the AWS Price List API/),
    })
  })
})

describe('findTiers', () => {
  it('returns undefined when no product matches', () => {
    expect(findTiers([], () => true)).toBeUndefined()
  })
})
