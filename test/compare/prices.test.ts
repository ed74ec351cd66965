import { describe, expect, it } from 'vitest'
import { ARCHITECTURES, INSTANCE_TYPES, PRICE_TABLE, tableAgeDays } from '../../src/compare/prices.js'

describe('the shipped price table', () => {
  it('is less than a year old: refresh the prices from the pages in `sources` and its date when this fails', () => {
    expect(tableAgeDays(PRICE_TABLE)).toBeGreaterThanOrEqual(0)
    expect(tableAgeDays(PRICE_TABLE)).toBeLessThan(365)
  })

  it('counts its age in days from its date', () => {
    expect(tableAgeDays({ date: '2026-12-01' }, new Date('2027-12-01T12:00:00Z'))).toBe(365)
  })

  it('names its sources and covers the common regions for both architectures', () => {
    expect(PRICE_TABLE.sources.length).toBeGreaterThan(0)
    for (const s of PRICE_TABLE.sources) expect(s).toMatch(/^https:\/\/aws\.amazon\.com\//)
    for (const region of ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-southeast-2']) {
      const p = PRICE_TABLE.regions[region]
      expect(p, region).toBeDefined()
      for (const arch of ARCHITECTURES) {
        expect(p.lambda.gbSecond[arch][0].price).toBeGreaterThan(0)
        expect(p.fargate[arch].vcpuHour).toBeGreaterThan(0)
        expect(p.fargate[arch].gbHour).toBeGreaterThan(0)
      }
      for (const it of INSTANCE_TYPES) expect(p.ec2Hour[it.name], `${region} ${it.name}`).toBeGreaterThan(0)
    }
  })

  it('holds the us-east-1 prices of AWS pages', () => {
    const p = PRICE_TABLE.regions['us-east-1']
    expect(p.lambda.gbSecond.x86_64[0].price).toBe(0.0000166667)
    expect(p.lambda.gbSecond.arm64[0].price).toBe(0.0000133334)
    expect(p.lambda.perMillionRequests).toBe(0.2)
    expect(p.fargate.x86_64).toEqual({ vcpuHour: 0.04048, gbHour: 0.004445 })
    expect(p.fargate.arm64).toEqual({ vcpuHour: 0.03238, gbHour: 0.00356 })
    expect(p.httpApiPerMillion[0]).toEqual({ upTo: 300e6, price: 1 })
    expect(p.alb).toEqual({ hour: 0.0225, lcuHour: 0.008 })
    expect(p.publicIpv4Hour).toBe(0.005)
    expect(p.logsIngestionGb).toBe(0.5)
    expect(p.ec2Hour['t3.micro']).toBe(0.0104)
  })
})
