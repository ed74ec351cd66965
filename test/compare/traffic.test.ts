import { describe, expect, it } from 'vitest'
import { formatCount, parseDuration, parseRequests, parseSize, resolveTraffic, SECONDS_PER_MONTH } from '../../src/compare/traffic.js'
import { ShipitError } from '../../src/errors.js'

const exit3 = (f: () => unknown, message: RegExp) => {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(ShipitError)
    expect((err as ShipitError).exitCode).toBe(3)
    expect((err as ShipitError).message).toMatch(message)
    return
  }
  throw new Error('expected an invalid-input error')
}

describe('traffic input', () => {
  it('reads request rates per month, day, hour and second', () => {
    expect(parseRequests('5M/month')).toBe(5e6)
    expect(parseRequests('5M')).toBe(5e6)
    expect(parseRequests(2500000)).toBe(2.5e6)
    // a month is 730 h: 100k a day × 730 ÷ 24 days
    expect(parseRequests('100k/day')).toBeCloseTo((100e3 * 730) / 24, 6)
    expect(parseRequests('20/s')).toBe(20 * SECONDS_PER_MONTH)
    expect(parseRequests('1.5B/month')).toBe(1.5e9)
  })

  it('reads durations and sizes', () => {
    expect(parseDuration('120ms')).toBeCloseTo(0.12, 10)
    expect(parseDuration('1.5s')).toBe(1.5)
    expect(parseDuration('2m')).toBe(120)
    expect(parseSize('4KB')).toBe(4096)
    expect(parseSize('1MB')).toBe(1024 * 1024)
    expect(parseSize('700')).toBe(700)
  })

  it('refuses what is not a load, exit 3, with the form to use', () => {
    exit3(() => parseRequests('lots'), /--requests "lots" is not a request rate/)
    exit3(() => parseRequests('5M/fortnight'), /not a request rate/)
    exit3(() => parseDuration('-5ms'), /--duration "-5ms" is not a duration above zero/)
    exit3(() => parseDuration('0ms'), /above zero/)
    exit3(() => parseDuration('120'), /not a duration/)
    exit3(() => parseSize('big'), /--payload "big" is not a size/)
  })

  it('takes flags over expect: in app.yaml, and needs requests and duration from one of them', () => {
    const t = resolveTraffic({ duration: '50ms' }, { requests: '1M/month', duration: '2s', concurrency: 4 }, 'app.yaml')
    expect(t).toEqual({ requestsPerMonth: 1e6, durationSeconds: 0.05, payloadBytes: 4096, concurrency: 4 })
    exit3(() => resolveTraffic({}, undefined, 'app.yaml'), /--requests and --duration not given/)
    exit3(() => resolveTraffic({ requests: '1M' }, { duration: 'soon' }, 'app.yaml'), /expect in app.yaml: "soon"/)
    exit3(() => resolveTraffic({ requests: '1M', duration: '1s', concurrency: 0 }, undefined, 'app.yaml'), /--concurrency 0/)
  })

  it('writes counts short', () => {
    expect(formatCount(5e6)).toBe('5M')
    expect(formatCount(12_600_000)).toBe('12.6M')
    expect(formatCount(1e11)).toBe('100B')
    expect(formatCount(950)).toBe('950')
  })
})
