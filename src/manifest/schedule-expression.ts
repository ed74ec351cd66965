/**
 * EventBridge Scheduler's recurring expressions, as its user guide defines them ("Schedule types on
 * EventBridge Scheduler"): `cron(minutes hours day-of-month month day-of-week year)` and
 * `rate(value unit)`. Parsed once, here: the manifest rules report what is wrong with line:col, and
 * `status` computes the next run from the same parse (src/targets/schedule/next-run.ts).
 */

/** A cron field as the set of values it allows, plus the special forms of the two day fields. */
export interface CronField {
  /** the values allowed; undefined: any (`*` or `?`) */
  values?: Set<number>
}

interface DayOfMonthField extends CronField {
  /** `L`: the last day of the month */
  last?: boolean
  /** `15W`: the weekday nearest the 15th, within the month */
  nearestWeekday?: number
  /** `?`: the day-of-week field decides */
  unspecified?: boolean
}

interface DayOfWeekField extends CronField {
  /** `5L`: the last Thursday of the month (1 = SUN … 7 = SAT) */
  lastOf?: number
  /** `3#2`: the second Tuesday */
  nth?: { day: number; n: number }
  unspecified?: boolean
}

export interface CronExpression {
  kind: 'cron'
  minutes: CronField
  hours: CronField
  dayOfMonth: DayOfMonthField
  months: CronField
  dayOfWeek: DayOfWeekField
  years: CronField
}

interface RateExpression {
  kind: 'rate'
  value: number
  unit: 'minute' | 'hour' | 'day'
  /** the interval in milliseconds */
  ms: number
}

export type ScheduleExpression = CronExpression | RateExpression

/** A problem with an expression: what is wrong and how to write it. */
interface ExpressionProblem {
  message: string
  hint: string
}

const CRON_HINT =
  'write cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *) for 03:00 every day; one of the two day fields must be ?'
const RATE_HINT = 'write rate(1 hour), rate(5 minutes) or rate(2 days): a whole number, then minute(s), hour(s) or day(s), singular for 1'

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

interface Bounds {
  name: string
  min: number
  max: number
  names?: string[]
}
const MINUTES: Bounds = { name: 'minutes', min: 0, max: 59 }
const HOURS: Bounds = { name: 'hours', min: 0, max: 23 }
const DAY_OF_MONTH: Bounds = { name: 'day-of-month', min: 1, max: 31 }
const MONTH: Bounds = { name: 'month', min: 1, max: 12, names: MONTHS }
const DAY_OF_WEEK: Bounds = { name: 'day-of-week', min: 1, max: 7, names: DAYS }
const YEAR: Bounds = { name: 'year', min: 1970, max: 2199 }

class BadField extends Error {}

/** Parses an expression; a string describes what is wrong with it. */
export function parseScheduleExpression(text: string): ScheduleExpression | ExpressionProblem {
  const trimmed = text.trim()
  if (/^rate\(/i.test(trimmed)) return parseRate(trimmed)
  if (/^cron\(/i.test(trimmed)) return parseCron(trimmed)
  if (/^at\(/i.test(trimmed)) {
    return { message: `schedule ${JSON.stringify(text)} is a one-time at(…) schedule; shipit runs recurring jobs`, hint: `${CRON_HINT}, or ${RATE_HINT}` }
  }
  return { message: `schedule ${JSON.stringify(text)} is neither cron(…) nor rate(…)`, hint: `${CRON_HINT}; or ${RATE_HINT}` }
}

export function isProblem(parsed: ScheduleExpression | ExpressionProblem): parsed is ExpressionProblem {
  return 'message' in parsed
}

function parseRate(text: string): RateExpression | ExpressionProblem {
  const m = /^rate\((\d+) ([a-z]+)\)$/.exec(text)
  if (!m) return { message: `${JSON.stringify(text)} is not a rate expression`, hint: RATE_HINT }
  const value = Number(m[1])
  const word = m[2]
  const unit = word.replace(/s$/, '')
  if (unit !== 'minute' && unit !== 'hour' && unit !== 'day') {
    return { message: `${JSON.stringify(text)}: the unit ${word} is not minute(s), hour(s) or day(s)`, hint: RATE_HINT }
  }
  if (value < 1) return { message: `${JSON.stringify(text)}: the value must be a positive whole number`, hint: RATE_HINT }
  // Scheduler's rule: `1 hour`, `2 hours` — the singular for 1 only, the plural otherwise
  const want = value === 1 ? unit : `${unit}s`
  if (word !== want)
    return { message: `${JSON.stringify(text)}: write rate(${value} ${want}) (${value === 1 ? 'singular for 1' : 'plural above 1'})`, hint: RATE_HINT }
  const ms = value * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit]
  return { kind: 'rate', value, unit, ms }
}

function parseCron(text: string): CronExpression | ExpressionProblem {
  const m = /^cron\((.*)\)$/.exec(text)
  const fields = m ? m[1].trim().split(/\s+/) : []
  if (!m || fields.length !== 6) {
    return { message: `${JSON.stringify(text)} has ${fields.length} fields; a cron expression has 6`, hint: CRON_HINT }
  }
  const [mi, h, dom, mo, dow, y] = fields
  try {
    const dayOfMonth = parseDayOfMonth(dom)
    const dayOfWeek = parseDayOfWeek(dow)
    // AWS: a value or * in one day field needs ? in the other
    if (dayOfMonth.unspecified === dayOfWeek.unspecified) {
      return {
        message: `${JSON.stringify(text)}: ${dayOfMonth.unspecified ? 'both day fields are ?' : 'day-of-month and day-of-week are both given'}; exactly one of them must be ?`,
        hint: CRON_HINT,
      }
    }
    return {
      kind: 'cron',
      minutes: parseField(mi, MINUTES),
      hours: parseField(h, HOURS),
      dayOfMonth,
      months: parseField(mo, MONTH),
      dayOfWeek,
      years: parseField(y, YEAR),
    }
  } catch (e) {
    if (e instanceof BadField) return { message: `${JSON.stringify(text)}: ${e.message}`, hint: CRON_HINT }
    throw e
  }
}

function parseDayOfMonth(text: string): DayOfMonthField {
  if (text === '?') return { unspecified: true }
  if (text === 'L') return { last: true }
  const w = /^(\d+)W$/.exec(text)
  if (w) return { nearestWeekday: fieldValue(w[1], DAY_OF_MONTH) }
  return parseField(text, DAY_OF_MONTH)
}

function parseDayOfWeek(text: string): DayOfWeekField {
  if (text === '?') return { unspecified: true }
  const last = /^([A-Za-z]{3}|\d)L$/.exec(text)
  if (last) return { lastOf: fieldValue(last[1], DAY_OF_WEEK) }
  const nth = /^([A-Za-z]{3}|\d)#(\d)$/.exec(text)
  if (nth) {
    const n = Number(nth[2])
    if (n < 1 || n > 5) throw new BadField(`day-of-week ${text}: the week number after # is 1 to 5`)
    return { nth: { day: fieldValue(nth[1], DAY_OF_WEEK), n } }
  }
  return parseField(text, DAY_OF_WEEK)
}

/** `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n`, lists of those. */
function parseField(text: string, bounds: Bounds): CronField {
  if (text === '*') return {}
  if (text === '?') throw new BadField(`${bounds.name} cannot be ?; only day-of-month and day-of-week can`)
  const values = new Set<number>()
  for (const part of text.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part)
    if (!m) throw new BadField(`${bounds.name} ${JSON.stringify(part)} is not a value, a range a-b, a list or a step /n`)
    const step = m[2] === undefined ? 1 : Number(m[2])
    if (step < 1) throw new BadField(`${bounds.name} ${part}: the step must be at least 1`)
    let from = bounds.min
    let to = bounds.max
    if (m[1] !== '*') {
      const [a, b] = m[1].split('-')
      from = fieldValue(a, bounds)
      to = b === undefined ? (m[2] === undefined ? from : bounds.max) : fieldValue(b, bounds)
      if (to < from) throw new BadField(`${bounds.name} ${part}: the range runs backwards`)
    }
    for (let v = from; v <= to; v += step) values.add(v)
  }
  return { values }
}

function fieldValue(text: string, bounds: Bounds): number {
  const named = bounds.names?.indexOf(text.toUpperCase()) ?? -1
  const value = named >= 0 ? named + bounds.min : /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    const names = bounds.names ? ` or ${bounds.names[0]}-${bounds.names[bounds.names.length - 1]}` : ''
    throw new BadField(`${bounds.name} ${JSON.stringify(text)} is outside ${bounds.min}-${bounds.max}${names}`)
  }
  return value
}

/** Whether Scheduler knows the time zone: an IANA name (the runtime's tz database decides). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return name.length > 0 && name.length <= 50
  } catch {
    return false
  }
}
