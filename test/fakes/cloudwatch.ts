// CloudWatch alarms and metrics, as a gradual release watches them (issue 24). Time is the fake's
// clock (ctx.now()): tests schedule an alarm's state changes and metric datapoints at instants and
// move the clock, so a five-minute canary runs in milliseconds.
import type { Dimension, MetricDataQuery } from '@aws-sdk/client-cloudwatch'
import type { FakeContext } from './context.js'
import { awsError, type Handlers } from './core.js'

type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'

/** An alarm's states over time: the one in force is the last whose `at` is not after now. */
interface AlarmRecord {
  name: string
  kind: 'MetricAlarm' | 'CompositeAlarm'
  history: { at: number; state: AlarmState; reason: string }[]
}

/** One datapoint of a metric: a sum over its minute (Lambda publishes Errors and Invocations per minute). */
interface Datapoint {
  namespace: string
  metricName: string
  dimensions: Record<string, string>
  at: number
  value: number
}

export interface CloudWatchState {
  alarms: Map<string, AlarmRecord>
  datapoints: Datapoint[]
}

export function createCloudWatchState(): CloudWatchState {
  return { alarms: new Map(), datapoints: [] }
}

const err = (name: string, message: string) => awsError('cloudwatch', name, message)
const MAX_ALARM_NAMES = 100
const MAX_QUERIES = 500

/** An alarm (created OK unless told), or a new state of it from `at` on (default: now). */
export function setAlarm(ctx: FakeContext, name: string, state: AlarmState, options: { at?: Date; reason?: string; kind?: AlarmRecord['kind'] } = {}): void {
  const alarm = ctx.state.cloudwatch.alarms.get(name) ?? { name, kind: options.kind ?? 'MetricAlarm', history: [] }
  const at = (options.at ?? ctx.now()).getTime()
  alarm.history.push({ at, state, reason: options.reason ?? `Threshold Crossed: set to ${state} by the test` })
  alarm.history.sort((a, b) => a.at - b.at)
  ctx.state.cloudwatch.alarms.set(name, alarm)
}

/**
 * Lambda's Errors and Invocations of one version behind a weighted alias at `at` (default now): what
 * Lambda publishes under FunctionName, Resource (`function:alias`) and ExecutedVersion.
 */
export function putLambdaTraffic(
  ctx: FakeContext,
  traffic: { functionName: string; alias: string; version: string; invocations: number; errors: number; at?: Date },
): void {
  const at = (traffic.at ?? ctx.now()).getTime()
  const dimensions = { FunctionName: traffic.functionName, Resource: `${traffic.functionName}:${traffic.alias}`, ExecutedVersion: traffic.version }
  for (const [metricName, value] of [
    ['Invocations', traffic.invocations],
    ['Errors', traffic.errors],
  ] as const) {
    ctx.state.cloudwatch.datapoints.push({ namespace: 'AWS/Lambda', metricName, dimensions, at, value })
  }
}

/** What tests do to CloudWatch, bound to the fake. */
export interface CloudWatchControls {
  setAlarm(name: string, state: AlarmState, options?: Parameters<typeof setAlarm>[3]): void
  putLambdaTraffic(traffic: Parameters<typeof putLambdaTraffic>[1]): void
}

export function cloudwatchControls(ctx: FakeContext): CloudWatchControls {
  return { setAlarm: (...args) => setAlarm(ctx, ...args), putLambdaTraffic: (traffic) => putLambdaTraffic(ctx, traffic) }
}

function stateAt(alarm: AlarmRecord, now: number) {
  return [...alarm.history].reverse().find((h) => h.at <= now) ?? { at: now, state: 'INSUFFICIENT_DATA' as const, reason: 'Unchecked: Initial alarm creation' }
}

/** Same dimensions, in any order: CloudWatch matches a metric on all of them, no more and no fewer. */
function sameDimensions(want: Dimension[] | undefined, have: Record<string, string>): boolean {
  const list = want ?? []
  return list.length === Object.keys(have).length && list.every((d) => d.Name !== undefined && have[d.Name] === d.Value)
}

export function cloudwatchHandlers(ctx: FakeContext): Handlers {
  const state = () => ctx.state.cloudwatch
  const alarmArn = (name: string) => `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${name}`

  function describe(alarm: AlarmRecord) {
    const now = ctx.now().getTime()
    const current = stateAt(alarm, now)
    return {
      AlarmName: alarm.name,
      AlarmArn: alarmArn(alarm.name),
      StateValue: current.state,
      StateReason: current.reason,
      StateUpdatedTimestamp: new Date(current.at),
      ActionsEnabled: true,
    }
  }

  function results(query: MetricDataQuery, start: number, end: number) {
    const stat = query.MetricStat
    if (!stat?.Metric) return { Id: query.Id, Label: query.Label ?? query.Id, Timestamps: [], Values: [], StatusCode: 'Complete' }
    const period = (stat.Period ?? 60) * 1000
    const sums = new Map<number, number>()
    for (const p of state().datapoints) {
      if (p.namespace !== stat.Metric.Namespace || p.metricName !== stat.Metric.MetricName || !sameDimensions(stat.Metric.Dimensions, p.dimensions)) continue
      if (p.at < start || p.at >= end) continue
      const bucket = start + Math.floor((p.at - start) / period) * period
      sums.set(bucket, (sums.get(bucket) ?? 0) + p.value)
    }
    // newest first, CloudWatch's default ScanBy (TimestampDescending)
    const buckets = [...sums.keys()].sort((a, b) => b - a)
    return {
      Id: query.Id,
      Label: query.Label ?? stat.Metric.MetricName,
      Timestamps: buckets.map((t) => new Date(t)),
      Values: buckets.map((t) => sums.get(t) ?? 0),
      StatusCode: 'Complete',
    }
  }

  return {
    DescribeAlarms: (input) => {
      const names: string[] | undefined = input.AlarmNames
      if (names && names.length > MAX_ALARM_NAMES) {
        throw err(
          'ValidationError',
          `1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ALARM_NAMES}`,
        )
      }
      // without AlarmTypes, only metric alarms are returned
      const types: string[] = input.AlarmTypes ?? ['MetricAlarm']
      const picked = [...state().alarms.values()].filter(
        (a) => (!names || names.includes(a.name)) && (!input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix)) && types.includes(a.kind),
      )
      const shown = picked.map(describe).filter((a) => !input.StateValue || a.StateValue === input.StateValue)
      const kindOf = (name: string) => state().alarms.get(name)?.kind
      return {
        MetricAlarms: shown.filter((a) => kindOf(a.AlarmName) === 'MetricAlarm'),
        CompositeAlarms: shown.filter((a) => kindOf(a.AlarmName) === 'CompositeAlarm'),
      }
    },

    GetMetricData: (input) => {
      const queries: MetricDataQuery[] = input.MetricDataQueries ?? []
      if (queries.length === 0 || queries.length > MAX_QUERIES) {
        throw err(
          'ValidationError',
          `1 validation error detected: Value at 'metricDataQueries' failed to satisfy constraint: Member must have length between 1 and ${MAX_QUERIES}`,
        )
      }
      const start = new Date(input.StartTime).getTime()
      const end = new Date(input.EndTime).getTime()
      if (!(start < end)) throw err('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.')
      const ids = new Set<string>()
      for (const q of queries) {
        if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) {
          throw err(
            'InvalidParameterValue',
            `The value ${q.Id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and hold only letters, numbers and underscores.`,
          )
        }
        if (ids.has(q.Id)) throw err('InvalidParameterValue', `The value ${q.Id} for parameter MetricDataQueries.member.Id is used more than once.`)
        ids.add(q.Id)
      }
      // whole minutes: CloudWatch rounds a recent StartTime down to the minute
      const from = Math.floor(start / 60_000) * 60_000
      return { MetricDataResults: queries.filter((q) => q.ReturnData !== false).map((q) => results(q, from, end)), Messages: [] }
    },
  }
}
