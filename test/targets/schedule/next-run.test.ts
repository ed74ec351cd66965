import { describe, expect, it } from 'vitest'
import { isProblem, parseScheduleExpression, type ScheduleExpression } from '../../../src/manifest/schedule-expression.js'
import { nextRun } from '../../../src/targets/schedule/next-run.js'
import type { ObservedSchedule } from '../../../src/targets/schedule/observe.js'
import { scheduleOutputs } from '../../../src/targets/schedule/outputs.js'

const parse = (text: string): ScheduleExpression => {
  const parsed = parseScheduleExpression(text)
  if (isProblem(parsed)) throw new Error(parsed.message)
  return parsed
}
const next = (text: string, timezone: string, after: string, since?: string) =>
  nextRun(parse(text), timezone, new Date(after), since ? new Date(since) : undefined)?.toISOString()

describe('the next run of a schedule', () => {
  it('cron with day-of-week ?: every day at 03:00 UTC', () => {
    expect(next('cron(0 3 * * ? *)', 'UTC', '2026-12-05T21:10:00Z')).toBe('2026-12-06T03:00:00.000Z')
    // exactly at a fire time: the next one, not this one
    expect(next('cron(0 3 * * ? *)', 'UTC', '2026-12-06T03:00:00Z')).toBe('2026-12-07T03:00:00.000Z')
  })

  it('cron with day-of-month ?: weekdays, in steps, by name', () => {
    // Saturday 2026-12-05: the next weekday is Monday the 7th
    expect(next('cron(0/15 8-17 ? * MON-FRI *)', 'UTC', '2026-12-05T12:00:00Z')).toBe('2026-12-07T08:00:00.000Z')
    expect(next('cron(0/15 8-17 ? * MON-FRI *)', 'UTC', '2026-12-07T08:01:00Z')).toBe('2026-12-07T08:15:00.000Z')
    // 1 = SUN … 7 = SAT, as Scheduler counts
    expect(next('cron(0 10 ? * 1 *)', 'UTC', '2026-12-05T12:00:00Z')).toBe('2026-12-06T10:00:00.000Z')
  })

  it('cron in a time zone: 03:00 in Paris is 02:00 UTC in winter and 01:00 UTC in summer', () => {
    expect(next('cron(0 3 * * ? *)', 'Europe/Paris', '2026-12-05T21:10:00Z')).toBe('2026-12-06T02:00:00.000Z')
    expect(next('cron(0 3 * * ? *)', 'Europe/Paris', '2026-07-01T00:00:00Z')).toBe('2026-07-01T01:00:00.000Z')
    // the day is the zone's: at 23:30 UTC on the 5th it is already the 6th in Tokyo, whose 08:00 has passed
    expect(next('cron(0 8 * * ? *)', 'Asia/Tokyo', '2026-12-05T23:30:00Z')).toBe('2026-12-06T23:00:00.000Z')
  })

  it("a wall time daylight saving skips does not fire that day (New York's 02:30 on 2027-03-14)", () => {
    expect(next('cron(30 2 * * ? *)', 'America/New_York', '2027-03-13T08:00:00Z')).toBe('2027-03-15T06:30:00.000Z')
  })

  it('the last day of the month, the nth weekday, the last weekday, years', () => {
    expect(next('cron(0 12 L * ? *)', 'UTC', '2027-02-01T00:00:00Z')).toBe('2027-02-28T12:00:00.000Z')
    expect(next('cron(0 12 L * ? *)', 'UTC', '2028-02-01T00:00:00Z')).toBe('2028-02-29T12:00:00.000Z')
    // the second Tuesday of January 2027 is the 12th
    expect(next('cron(0 9 ? JAN 3#2 *)', 'UTC', '2027-01-01T00:00:00Z')).toBe('2027-01-12T09:00:00.000Z')
    // the last Friday of December 2026 is the 25th
    expect(next('cron(0 9 ? DEC 6L *)', 'UTC', '2026-12-01T00:00:00Z')).toBe('2026-12-25T09:00:00.000Z')
    // the weekday nearest the 6th of December 2026 (a Sunday) is Monday the 7th
    expect(next('cron(0 9 6W * ? *)', 'UTC', '2026-12-01T00:00:00Z')).toBe('2026-12-07T09:00:00.000Z')
    expect(next('cron(0 0 1 1 ? 2020)', 'UTC', '2026-12-01T00:00:00Z')).toBeUndefined()
  })

  it('rate: counted from the schedule’s creation, not from now', () => {
    expect(next('rate(6 hours)', 'UTC', '2026-12-05T21:10:00Z', '2026-12-05T10:00:00Z')).toBe('2026-12-05T22:00:00.000Z')
    expect(next('rate(1 minute)', 'UTC', '2026-12-05T21:10:30Z', '2026-12-05T21:00:00Z')).toBe('2026-12-05T21:11:00.000Z')
    expect(next('rate(2 days)', 'UTC', '2026-12-05T00:00:00Z', '2026-12-04T12:00:00Z')).toBe('2026-12-06T12:00:00.000Z')
    // the time zone does not move a rate
    expect(next('rate(1 hour)', 'Asia/Tokyo', '2026-12-05T21:10:00Z', '2026-12-05T21:00:00Z')).toBe('2026-12-05T22:00:00.000Z')
  })
})

describe('the schedule outputs of status', () => {
  const desired = { expression: 'rate(1 hour)', timezone: 'UTC', enabled: true }
  const live = (State: 'ENABLED' | 'DISABLED' = 'ENABLED'): ObservedSchedule => ({
    group: null,
    role: null,
    schedule: { ScheduleExpression: 'rate(1 hour)', ScheduleExpressionTimezone: 'UTC', State, CreationDate: new Date('2026-12-05T20:30:00Z') },
  })
  const now = new Date('2026-12-05T21:10:00Z')

  it('shows the live schedule and its next run, counted from its creation', () => {
    expect(scheduleOutputs(desired, live(), {}, now)).toEqual({ schedule: 'rate(1 hour) UTC', nextRun: '2026-12-05T21:30:00.000Z' })
  })
  it('a disabled schedule has no next run', () => {
    expect(scheduleOutputs(desired, live('DISABLED'), {}, now)).toEqual({
      schedule: 'rate(1 hour) UTC (disabled)',
      nextRun: 'none: the schedule is disabled',
    })
  })
  it('nothing once a destroy removed it, nor when there is none', () => {
    expect(scheduleOutputs(desired, live(), { schedule: {} }, now)).toEqual({})
    expect(scheduleOutputs(desired, undefined, {}, now)).toEqual({})
  })
})
