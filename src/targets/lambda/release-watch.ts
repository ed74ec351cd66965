import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch'
import type { AwsClients } from '../../aws/clients.js'
import type { WaitContext } from '../../aws/waiters.js'
import { clock } from '../../clock.js'
import { ExitCode, ShipitError } from '../../errors.js'
import type { WaitRendering } from '../../plan/catalogue.js'
import { BEFORE_2020 } from '../cli-versions.js'

/**
 * The wait of a gradual release's stage: while the new version holds its share of the alias's traffic,
 * the named CloudWatch alarms are read and the new version's Errors/Invocations are compared with the
 * old one's. An alarm in ALARM, an error rate over the old one's by more than the margin, or an
 * interruption (Ctrl-C, CI's cancel) puts all traffic back on the old version before the wait ends.
 * The restore runs even on an aborted apply: it is the one call that must not be left out.
 */

export const RELEASE_WATCH = 'ReleaseWatch'

/** The wait's input, as the plan writes it (NewVersion is the PublishVersion step's output). */
export interface ReleaseWatchInput {
  FunctionName: string
  Alias: string
  OldVersion: string
  NewVersion: string
  /** percent of traffic on the new version during this stage */
  Share: number
  Seconds: number
  Alarms: string[]
  /** percentage points */
  ErrorMargin: number
}

/** How often alarms and metrics are read: CloudWatch evaluates alarms at most every 10 s, its Lambda metrics each minute. */
const WATCH_INTERVAL_MS = 15_000
/** The longest the restore call may take once the release has to be undone. */
const RESTORE_MS = 20_000

export async function watchRelease(clients: AwsClients, raw: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const input = watchInput(raw)
  const start = clock.now().getTime()
  const end = start + input.Seconds * 1000
  for (;;) {
    if (wait.signal?.aborted) {
      await restore(clients, input, 'interrupted')
      throw new ShipitError('Interrupted', `interrupted during the release: all traffic is back on version ${input.OldVersion}`, {
        exitCode: ExitCode.Interrupted,
      })
    }
    await checkAliasUnchanged(clients, input)
    const problem = await healthProblem(clients, input, start)
    if (problem) {
      await restore(clients, input, problem)
      throw new ShipitError(
        'ReleaseRolledBack',
        `release of version ${input.NewVersion} rolled back: ${problem}; all traffic is back on version ${input.OldVersion}`,
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
          suggestions: [`look at the new version's logs (shipit logs), fix, and deploy again`],
        },
      )
    }
    const left = end - clock.now().getTime()
    if (left <= 0) return
    wait.progress?.(`${input.Share}% → v${input.NewVersion}, ${100 - input.Share}% → v${input.OldVersion} · ${timeLeft(left)} left`)
    await clock.sleep(Math.min(WATCH_INTERVAL_MS, left), wait.signal)
  }
}

/** The wait's input as resolved at apply (a saved plan is JSON: every member is read as what it must be). */
function watchInput(raw: Record<string, unknown>): ReleaseWatchInput {
  return {
    FunctionName: String(raw.FunctionName),
    Alias: String(raw.Alias),
    OldVersion: String(raw.OldVersion),
    NewVersion: String(raw.NewVersion),
    Share: Number(raw.Share),
    Seconds: Number(raw.Seconds),
    Alarms: Array.isArray(raw.Alarms) ? raw.Alarms.map(String) : [],
    ErrorMargin: Number(raw.ErrorMargin),
  }
}

function timeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000)
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

/**
 * Someone else moved the alias mid-release (`shipit rollback` after a stopped deploy, the console):
 * the release stops and leaves the alias as they set it, rather than shifting over their decision.
 */
async function checkAliasUnchanged(clients: AwsClients, input: ReleaseWatchInput): Promise<void> {
  const alias = await clients.send('lambda', 'GetAlias', { FunctionName: input.FunctionName, Name: input.Alias })
  const weight = alias.RoutingConfig?.AdditionalVersionWeights?.[input.NewVersion]
  if (alias.FunctionVersion === input.OldVersion && weight === input.Share / 100) return
  const now = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).map(([v, w]) => `${Math.round(w * 100)}% → v${v}`)
  throw new ShipitError(
    'ReleaseOverridden',
    `${input.FunctionName}:${input.Alias} was changed by someone else during the release (now on version ${alias.FunctionVersion}${now.length ? `, ${now.join(', ')}` : ''}): the release stops and leaves it so`,
    { exitCode: ExitCode.Failure, source: 'aws', suggestions: ['deploy again to release the new version once whoever changed it is done'] },
  )
}

/** Why the release must be undone, or undefined while it looks healthy. */
async function healthProblem(clients: AwsClients, input: ReleaseWatchInput, since: number): Promise<string | undefined> {
  if (input.Alarms.length) {
    const answer = await clients.send('cloudwatch', 'DescribeAlarms', { AlarmNames: input.Alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
    const alarms = [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])]
    const firing = alarms.find((a) => a.StateValue === 'ALARM')
    if (firing) return `alarm ${firing.AlarmName} is in ALARM${firing.StateReason ? ` (${firing.StateReason})` : ''}`
  }
  const rates = await errorRates(clients, input, since)
  if (!rates.new.invocations) return undefined
  const newRate = (100 * rates.new.errors) / rates.new.invocations
  const oldRate = rates.old.invocations ? (100 * rates.old.errors) / rates.old.invocations : 0
  if (newRate - oldRate > input.ErrorMargin) {
    return `the new version's error rate ${newRate.toFixed(1)}% (${rates.new.errors}/${rates.new.invocations}) is over the old one's ${oldRate.toFixed(1)}% by more than ${input.ErrorMargin} points`
  }
  return undefined
}

/**
 * Errors and Invocations of each version behind the alias since `since`. With weighted routing Lambda
 * publishes them by FunctionName, Resource (`function:alias`) and ExecutedVersion.
 */
async function errorRates(clients: AwsClients, input: ReleaseWatchInput, since: number) {
  const query = (id: string, metric: 'Errors' | 'Invocations', version: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [
          { Name: 'FunctionName', Value: input.FunctionName },
          { Name: 'Resource', Value: `${input.FunctionName}:${input.Alias}` },
          { Name: 'ExecutedVersion', Value: version },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: true,
  })
  // whole minutes around the stage: the datapoints Lambda publishes each minute
  const startTime = new Date(Math.floor(since / 60_000) * 60_000)
  const endTime = new Date(Math.max(Math.ceil(clock.now().getTime() / 60_000) * 60_000, startTime.getTime() + 60_000))
  const answer = await clients.send('cloudwatch', 'GetMetricData', {
    MetricDataQueries: [
      query('newErrors', 'Errors', input.NewVersion),
      query('newInvocations', 'Invocations', input.NewVersion),
      query('oldErrors', 'Errors', input.OldVersion),
      query('oldInvocations', 'Invocations', input.OldVersion),
    ],
    StartTime: startTime,
    EndTime: endTime,
  })
  const sum = (id: string) => (answer.MetricDataResults ?? []).find((r) => r.Id === id)?.Values?.reduce((a, b) => a + b, 0) ?? 0
  return {
    new: { errors: sum('newErrors'), invocations: sum('newInvocations') },
    old: { errors: sum('oldErrors'), invocations: sum('oldInvocations') },
  }
}

/** All traffic back on the old version, no weights left; bounded, so a hung call cannot hold the exit. */
async function restore(clients: AwsClients, input: ReleaseWatchInput, why: string): Promise<void> {
  try {
    await clients.send(
      'lambda',
      'UpdateAlias',
      { FunctionName: input.FunctionName, Name: input.Alias, FunctionVersion: input.OldVersion, RoutingConfig: { AdditionalVersionWeights: {} } },
      AbortSignal.timeout(RESTORE_MS),
    )
  } catch (err) {
    throw new ShipitError(
      'RestoreFailed',
      `${why}, and putting ${input.FunctionName}:${input.Alias} back on version ${input.OldVersion} failed: ${(err as Error).message}`,
      { exitCode: ExitCode.Failure, source: 'aws', suggestions: ['run shipit rollback --target lambda to put all traffic back on the old version'] },
    )
  }
}

/** Seconds between two alarm checks of the runbook's hold. */
const RUNBOOK_CHECK_SECONDS = 30

/**
 * The hold as the runbook does it: sleeps, and with alarms a `describe-alarms` check between them that
 * puts all traffic back on the old version when one is in ALARM. The script compares no error rates.
 */
export function releaseWatchRunbook(input: Record<string, unknown>): WaitRendering {
  const watch = watchInput(input)
  return {
    input,
    command: 'cloudwatch describe-alarms',
    versions: BEFORE_2020,
    note: `hold ${watch.Share}% on the new version for ${watch.Seconds} s${watch.Alarms.length ? ', checking the alarms' : ''}; the script does not compare error rates as shipit does`,
    script: (text) => {
      if (!watch.Alarms.length) return [`sleep ${watch.Seconds}`]
      const checks = Math.max(1, Math.ceil(watch.Seconds / RUNBOOK_CHECK_SECONDS))
      const pause = Math.ceil(watch.Seconds / checks)
      const back = `aws lambda update-alias --function-name ${text(watch.FunctionName)} --name ${text(watch.Alias)} --function-version ${text(watch.OldVersion)} --routing-config '{"AdditionalVersionWeights":{}}' --region "$REGION" >/dev/null`
      return [
        `for _ in $(seq ${checks}); do`,
        `  sleep ${pause}`,
        `  FIRING=$(aws cloudwatch describe-alarms --alarm-names ${watch.Alarms.map((a) => text(a)).join(' ')} --state-value ALARM --query 'MetricAlarms[].AlarmName' --output text --region "$REGION")`,
        '  if [ -n "$FIRING" ]; then',
        `    ${back}`,
        `    die "alarm in ALARM: $FIRING; all traffic is back on version ${watch.OldVersion}"`,
        '  fi',
        'done',
      ]
    },
  }
}
