/**
 * Lambda's managed runtimes and their deprecation dates (UTC), from AWS's runtime deprecation table:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html ("Supported runtimes" and
 * "Deprecated runtimes"), read on 2026-12-05 through stored copies of that page and of pages quoting
 * it (the stored page showed its opening only; rows marked below name the copy that gave the dates).
 * AWS moves these dates: check the table when this file is more than a few months old.
 *
 * A runtime whose create block has passed is refused (CreateFunction would fail halfway through a
 * deploy); one deprecated, or blocked within WARN_DAYS, is a warning. The successor is shipit's advice:
 * the newest runtime of the same language.
 */
interface RuntimeDates {
  /** Lambda stops patching it; the console no longer offers it */
  deprecated?: string
  /** CreateFunction refuses it from this day */
  createBlocked?: string
  /** UpdateFunctionConfiguration / UpdateFunctionCode refuse it from this day */
  updateBlocked?: string
  /** what to use instead */
  successor?: string
}

/** When the table was read; the README and `shipit schema` say so. */
export const RUNTIME_TABLE_DATE = '2026-12-05'

/** A block within this many days is warned about, so there is time to move. */
const WARN_DAYS = 90

export const LAMBDA_RUNTIME_TABLE: Record<string, RuntimeDates> = {
  // supported (endoflife.date/aws-lambda mirrors the table's deprecation and update-block dates)
  'nodejs24.x': { deprecated: '2028-04-30', updateBlocked: '2028-07-01' },
  'nodejs22.x': { deprecated: '2027-04-30', updateBlocked: '2027-07-01', successor: 'nodejs24.x' },
  'python3.14': { deprecated: '2029-06-30', updateBlocked: '2029-08-31' },
  'python3.13': { deprecated: '2029-06-30', updateBlocked: '2029-08-31', successor: 'python3.14' },
  'python3.12': { successor: 'python3.14' },
  'python3.11': { successor: 'python3.14' },
  'python3.10': { successor: 'python3.14' },
  java25: { deprecated: '2029-06-30', updateBlocked: '2029-08-31' },
  java21: { successor: 'java25' },
  java17: { successor: 'java25' },
  java11: { successor: 'java25' },
  'java8.al2': { successor: 'java25' },
  dotnet10: { deprecated: '2028-11-14', updateBlocked: '2029-01-15' },
  dotnet8: { successor: 'dotnet10' },
  'ruby3.4': { deprecated: '2028-03-31', updateBlocked: '2028-05-31' },
  'ruby3.3': { successor: 'ruby3.4' },
  'provided.al2023': {},
  'provided.al2': { successor: 'provided.al2023' },
  // deprecated: the issue (#20) quoting AWS's table for nodejs20.x; ragate.co.jp quoting it for nodejs18.x;
  // zephtech.net quoting it for python3.9; cfn-lint's LmbdRuntimeLifecycle.json (built from it) for the rest
  'nodejs20.x': { deprecated: '2026-04-30', createBlocked: '2026-08-31', updateBlocked: '2026-09-30', successor: 'nodejs24.x' },
  'nodejs18.x': { deprecated: '2025-09-01', createBlocked: '2025-10-01', updateBlocked: '2025-11-01', successor: 'nodejs24.x' },
  'nodejs16.x': { deprecated: '2024-06-12', createBlocked: '2025-02-28', updateBlocked: '2025-03-31', successor: 'nodejs24.x' },
  'nodejs14.x': { deprecated: '2023-12-04', createBlocked: '2024-07-09', updateBlocked: '2025-02-28', successor: 'nodejs24.x' },
  'nodejs12.x': { deprecated: '2023-03-31', createBlocked: '2023-03-31', updateBlocked: '2023-04-30', successor: 'nodejs24.x' },
  'nodejs10.x': { deprecated: '2021-07-30', createBlocked: '2021-07-30', updateBlocked: '2022-02-14', successor: 'nodejs24.x' },
  'python3.9': { deprecated: '2025-12-15', createBlocked: '2026-02-03', updateBlocked: '2026-03-09', successor: 'python3.14' },
  'python3.8': { deprecated: '2024-10-14', createBlocked: '2025-02-28', updateBlocked: '2025-03-31', successor: 'python3.14' },
  'python3.7': { deprecated: '2023-12-04', createBlocked: '2024-01-09', updateBlocked: '2025-02-28', successor: 'python3.14' },
  'python3.6': { deprecated: '2022-07-18', createBlocked: '2022-07-18', updateBlocked: '2022-08-29', successor: 'python3.14' },
  'python2.7': { deprecated: '2021-07-15', createBlocked: '2021-07-15', updateBlocked: '2022-05-30', successor: 'python3.14' },
  java8: { deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-02-28', successor: 'java25' },
  dotnet7: { deprecated: '2024-05-14', createBlocked: '2024-05-14', updateBlocked: '2024-05-14', successor: 'dotnet10' },
  dotnet6: { deprecated: '2024-11-12', createBlocked: '2025-02-28', updateBlocked: '2025-05-31', successor: 'dotnet10' },
  'ruby2.7': { deprecated: '2023-12-07', createBlocked: '2024-01-09', updateBlocked: '2025-02-28', successor: 'ruby3.4' },
  'go1.x': { deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-02-28', successor: 'provided.al2023' },
  provided: { deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-02-28', successor: 'provided.al2023' },
}

/** What a runtime's dates mean on `today`: refused, warned about (with why), or fine. */
type RuntimeStanding =
  | { kind: 'unknown' }
  | { kind: 'blocked'; createBlocked: string; successor?: string }
  | { kind: 'warn'; reason: string; successor?: string }
  | { kind: 'ok' }

const DAY_MS = 24 * 60 * 60 * 1000

/** The UTC day of `now`, as YYYY-MM-DD (the table's dates are UTC days). */
function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10)
}

export function runtimeStanding(runtime: string, now: Date): RuntimeStanding {
  const dates = LAMBDA_RUNTIME_TABLE[runtime]
  if (!dates) return { kind: 'unknown' }
  const today = utcDay(now)
  const { deprecated, createBlocked, updateBlocked, successor } = dates
  if (createBlocked && createBlocked <= today) return { kind: 'blocked', createBlocked, successor }
  const soon = utcDay(new Date(Date.parse(`${today}T00:00:00Z`) + WARN_DAYS * DAY_MS))
  const block = createBlocked
    ? `creating functions with it is blocked from ${createBlocked}${updateBlocked ? `, updating them from ${updateBlocked}` : ''}`
    : updateBlocked
      ? `updating functions with it is blocked from ${updateBlocked}`
      : ''
  if (deprecated && deprecated <= today) return { kind: 'warn', reason: `was deprecated on ${deprecated}${block ? `; ${block}` : ''}`, successor }
  const firstBlock = [createBlocked, updateBlocked].filter((d): d is string => Boolean(d)).sort()[0]
  if (firstBlock && firstBlock <= soon) return { kind: 'warn', reason: `is deprecated from ${deprecated ?? firstBlock}; ${block}`, successor }
  return { kind: 'ok' }
}

/** Runtimes CreateFunction accepts on `now`, newest first per language as the table lists them. */
export function creatableRuntimes(now: Date): string[] {
  return Object.keys(LAMBDA_RUNTIME_TABLE).filter((r) => runtimeStanding(r, now).kind !== 'blocked')
}
