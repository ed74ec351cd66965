import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { type LogEvent, parseSince, readLogs } from '../../src/engine/logs.js'
import { useFakeAws } from '../helpers/fake.js'

describe('readLogs', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('follows new events until aborted, each event once, then stops', async () => {
    const clients = new AwsClients({ region: 'us-west-2' })
    await clients.send('logs', 'CreateLogGroup', { logGroupName: '/shipit/f/dev' })
    const t = Date.now()
    fake.putLogEvents('/shipit/f/dev', 's1', [{ timestamp: t, message: 'first' }])
    const controller = new AbortController()
    const seen: LogEvent[] = []
    let polls = 0
    const reading = (async () => {
      for await (const e of readLogs(clients, { logGroup: '/shipit/f/dev', startTime: t - 1000, follow: true, signal: controller.signal, pollMs: 5 })) {
        seen.push(e)
        if (e.message === 'first') fake.putLogEvents('/shipit/f/dev', 's2', [{ timestamp: t + 5, message: 'second' }])
        if (e.message === 'second') controller.abort()
      }
    })()
    const stopped = await Promise.race([reading.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 3000))])
    polls = fake.callsOf('FilterLogEvents').length
    expect(stopped).toBe('stopped')
    expect(seen.map((e) => e.message)).toEqual(['first', 'second'])
    expect(polls).toBeGreaterThanOrEqual(2)
  })

  it('a log group that does not exist yet yields nothing instead of failing', async () => {
    const clients = new AwsClients({ region: 'us-west-2' })
    const events: LogEvent[] = []
    for await (const e of readLogs(clients, { logGroup: '/shipit/none/dev', startTime: 0 })) events.push(e)
    expect(events).toEqual([])
  })

  it('parses --since durations and dates, and rejects nonsense with exit 3', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    expect(parseSince('10m', now)).toBe(now - 600_000)
    expect(parseSince('2h', now)).toBe(now - 7_200_000)
    expect(parseSince('2026-01-01T00:00:00Z', now)).toBe(Date.parse('2026-01-01T00:00:00Z'))
    expect(() => parseSince('yesterday-ish', now)).toThrow(expect.objectContaining({ exitCode: 3 }))
  })
})
