import type { DesiredSchedule } from '../../manifest/resolve.js'
import { isProblem, parseScheduleExpression } from '../../manifest/schedule-expression.js'
import type { Outputs } from '../target.js'
import { nextRun } from './next-run.js'
import type { ObservedSchedule } from './observe.js'

/**
 * `schedule` and `nextRun` for status and the deploy's result: the schedule as it is live (or as
 * this deploy just set it), and when it fires next, counted from `now`.
 */
export function scheduleOutputs(
  wanted: DesiredSchedule | undefined,
  observed: ObservedSchedule | undefined,
  applied: Record<string, Record<string, unknown>>,
  now: Date,
): Outputs {
  const live = observed?.schedule
  // a step on the schedule without its ARN in the answer deleted it
  if (applied.schedule && applied.schedule.ScheduleArn === undefined) return {}
  const set = applied.schedule?.ScheduleArn !== undefined && wanted
  const shown = set
    ? { expression: wanted?.expression, timezone: wanted?.timezone, enabled: wanted?.enabled, since: now }
    : live && {
        expression: live.ScheduleExpression,
        timezone: live.ScheduleExpressionTimezone ?? 'UTC',
        enabled: live.State !== 'DISABLED',
        since: live.StartDate ?? live.CreationDate,
      }
  if (!shown?.expression) return {}
  const parsed = parseScheduleExpression(shown.expression)
  const next = !shown.enabled || isProblem(parsed) ? undefined : nextRun(parsed, shown.timezone ?? 'UTC', now, shown.since)
  return {
    schedule: `${shown.expression} ${shown.timezone}${shown.enabled ? '' : ' (disabled)'}`,
    nextRun: shown.enabled ? next?.toISOString() : 'none: the schedule is disabled',
  }
}
