import type { CronExpression, CronField, ScheduleExpression } from '../../manifest/schedule-expression.js'

/**
 * When a schedule fires next, computed from its expression and time zone (Scheduler does not say:
 * GetSchedule has no next-run field). A cron expression is matched in the zone's wall time, day by
 * day; a rate repeats from the schedule's creation (or start date), as Scheduler counts it.
 * A wall time a daylight-saving change skips does not fire; one it repeats fires once, the first time.
 */
export function nextRun(expression: ScheduleExpression, timezone: string, after: Date, since?: Date): Date | undefined {
  if (expression.kind === 'rate') {
    const start = (since ?? after).getTime()
    if (start > after.getTime()) return new Date(start)
    const periods = Math.floor((after.getTime() - start) / expression.ms) + 1
    return new Date(start + periods * expression.ms)
  }
  return nextCron(expression, timezone, after)
}

/** Scheduler's cron years end at 2199; searching further finds nothing. */
const LAST_YEAR = 2199

function nextCron(cron: CronExpression, timezone: string, after: Date): Date | undefined {
  const start = wallTime(after, timezone)
  const hours = listOf(cron.hours, 0, 23)
  const minutes = listOf(cron.minutes, 0, 59)
  // walk the zone's calendar days from today; 8 years covers any leap-day expression
  const day = new Date(Date.UTC(start.year, start.month - 1, start.day))
  const limit = Math.min(LAST_YEAR, start.year + 8)
  while (day.getUTCFullYear() <= limit) {
    const y = day.getUTCFullYear()
    const mo = day.getUTCMonth() + 1
    const d = day.getUTCDate()
    if (matchesDay(cron, y, mo, d, day.getUTCDay() + 1)) {
      for (const h of hours) {
        for (const mi of minutes) {
          const at = fromWallTime({ year: y, month: mo, day: d, hour: h, minute: mi }, timezone)
          if (at && at.getTime() > after.getTime()) return at
        }
      }
    }
    day.setUTCDate(d + 1)
  }
  return undefined
}

function listOf(field: CronField, min: number, max: number): number[] {
  const out: number[] = []
  for (let v = min; v <= max; v++) if (!field.values || field.values.has(v)) out.push(v)
  return out
}

const allows = (field: CronField, v: number) => !field.values || field.values.has(v)

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Day-of-week is 1 (SUN) … 7 (SAT), as Scheduler writes it. */
function matchesDay(cron: CronExpression, year: number, month: number, day: number, weekday: number): boolean {
  if (!allows(cron.years, year) || !allows(cron.months, month)) return false
  const last = daysIn(year, month)
  const dom = cron.dayOfMonth
  const dow = cron.dayOfWeek
  if (!dom.unspecified) {
    if (dom.last) return day === last
    if (dom.nearestWeekday !== undefined) return day === nearestWeekday(year, month, Math.min(dom.nearestWeekday, last))
    return allows(dom, day)
  }
  if (dow.lastOf !== undefined) return weekday === dow.lastOf && day + 7 > last
  if (dow.nth) return weekday === dow.nth.day && Math.ceil(day / 7) === dow.nth.n
  return allows(dow, weekday)
}

/** The weekday nearest `target` within the month (`15W`): Saturday moves to Friday, Sunday to Monday, never across months. */
function nearestWeekday(year: number, month: number, target: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay()
  const last = daysIn(year, month)
  if (weekday === 6) return target === 1 ? 3 : target - 1
  if (weekday === 0) return target === last ? target - 2 : target + 1
  return target
}

interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** The zone's wall time at an instant. */
function wallTime(at: Date, timezone: string): WallTime {
  let f = formatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
    formatters.set(timezone, f)
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]))
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) }
}

/** The instant a wall time of the zone names, or undefined when the zone skips it (a daylight-saving gap). */
function fromWallTime(w: WallTime, timezone: string): Date | undefined {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute)
  // the offset at a guess, then at the corrected guess: two rounds settle every real zone; the earlier of two answers wins
  const candidates = new Set<number>()
  for (const guess of [asUtc - offsetAt(asUtc, timezone), asUtc - offsetAt(asUtc - 86_400_000, timezone), asUtc - offsetAt(asUtc + 86_400_000, timezone)]) {
    const check = wallTime(new Date(guess), timezone)
    if (check.year === w.year && check.month === w.month && check.day === w.day && check.hour === w.hour && check.minute === w.minute) candidates.add(guess)
  }
  if (!candidates.size) return undefined
  return new Date(Math.min(...candidates))
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(utcMs: number, timezone: string): number {
  const w = wallTime(new Date(utcMs), timezone)
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(utcMs / 60_000) * 60_000
}
