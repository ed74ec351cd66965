import { z } from 'zod'
import { ExitCode, ShipitError } from '../errors.js'
import { parseDuration } from './environments.js'
import type { ManifestIssue } from './issue.js'

/**
 * `function.release`: how a new version of a Lambda function takes the alias's traffic. All at once
 * (the default), a canary share held for a while, or linear steps — the latter two watched against
 * CloudWatch alarms and the old version's error rate, and rolled back at the first sign of trouble.
 */

/** A pause of a release: seconds, minutes or hours, at most an hour (30s, 5m, 1h). */
const RELEASE_DURATION = /^([1-9][0-9]{0,3})(s|m|h)$/
const MAX_HOLD_SECONDS = 3600
/** DescribeAlarms takes 100 names; ten alarms on one function is already more than anyone reads. */
const MAX_RELEASE_ALARMS = 10
/** Percentage points the new version's error rate may exceed the old one's by. */
const DEFAULT_ERROR_MARGIN = 5
const DEFAULTS = { canary: { percent: 10, wait: '5m' }, linear: { step: 10, every: '1m' } }

const Duration = z.string().regex(RELEASE_DURATION, 'a duration of 1s to 1h: 30s, 5m, 1h')
const Share = z.number().int().min(1).max(99)
const canaryShape = {
  percent: Share.optional().meta({ description: `Share of requests the new version takes first, 1–99 (default ${DEFAULTS.canary.percent}).` }),
  wait: Duration.optional().meta({ description: `How long that share is held and watched before all traffic moves (default ${DEFAULTS.canary.wait}).` }),
}
const linearShape = {
  step: Share.optional().meta({ description: `Percentage points added at each step, 1–99 (default ${DEFAULTS.linear.step}).` }),
  every: Duration.optional().meta({ description: `How long each step is held and watched (default ${DEFAULTS.linear.every}).` }),
}

export const Release = z
  .strictObject({
    strategy: z.enum(['all-at-once', 'canary', 'linear']).optional().meta({ description: 'all-at-once (default), canary or linear.' }),
    ...canaryShape,
    ...linearShape,
    canary: z.strictObject(canaryShape).optional().meta({ description: 'The canary form: canary: { percent: 10, wait: 5m }.' }),
    linear: z.strictObject(linearShape).optional().meta({ description: 'The linear form: linear: { step: 25, every: 2m }.' }),
    alarms: z
      .array(z.string().min(1).max(255))
      .max(MAX_RELEASE_ALARMS)
      .optional()
      .meta({ description: 'CloudWatch alarms (names, in the app region) watched while traffic shifts: one in ALARM rolls the release back.' }),
    errorMargin: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .meta({
        description: `Percentage points the new version's error rate may exceed the old one's by before the release rolls back (default ${DEFAULT_ERROR_MARGIN}).`,
      }),
  })
  .meta({ description: 'How a new version takes traffic: all at once (default), or canary / linear with alarm rollback.' })

type ReleaseSpec = z.infer<typeof Release>

/** A release as the plan does it: the shares the new version holds in turn before it takes all traffic. */
export type ReleasePlan =
  | { strategy: 'all-at-once' }
  | {
      strategy: 'canary' | 'linear'
      /** percent of traffic on the new version at each stage before 100 */
      shares: number[]
      /** how long each share is held and watched */
      holdSeconds: number
      alarms: string[]
      /** percentage points */
      errorMargin: number
      /** as app.yaml says it: "canary 10% for 5m", "linear 25% every 2m" */
      label: string
    }

export function durationSeconds(text: string): number {
  const ms = parseDuration(text, RELEASE_DURATION)
  return ms === undefined ? Number.NaN : ms / 1000
}

type Strategy = NonNullable<ReleaseSpec['strategy']>

function strategyOf(spec: ReleaseSpec): Strategy {
  return spec.strategy ?? (spec.canary ? 'canary' : spec.linear ? 'linear' : 'all-at-once')
}

/** The release app.yaml asks for, defaults filled in (the manifest was validated by releaseIssues). */
export function releasePlan(spec: ReleaseSpec | undefined): ReleasePlan {
  if (!spec) return { strategy: 'all-at-once' }
  const strategy = strategyOf(spec)
  if (strategy === 'all-at-once') return { strategy }
  const alarms = spec.alarms ?? []
  const errorMargin = spec.errorMargin ?? DEFAULT_ERROR_MARGIN
  if (strategy === 'canary') {
    const percent = spec.canary?.percent ?? spec.percent ?? DEFAULTS.canary.percent
    const wait = spec.canary?.wait ?? spec.wait ?? DEFAULTS.canary.wait
    return { strategy, shares: [percent], holdSeconds: durationSeconds(wait), alarms, errorMargin, label: `canary ${percent}% for ${wait}` }
  }
  const step = spec.linear?.step ?? spec.step ?? DEFAULTS.linear.step
  const every = spec.linear?.every ?? spec.every ?? DEFAULTS.linear.every
  const shares: number[] = []
  for (let share = step; share < 100; share += step) shares.push(share)
  return { strategy, shares, holdSeconds: durationSeconds(every), alarms, errorMargin, label: `linear ${step}% every ${every}` }
}

/** The release in words for plans and status: "canary 10% for 5m, alarms: shop-api-errors". */
export function describeRelease(release: ReleasePlan): string {
  if (release.strategy === 'all-at-once') return 'all at once'
  const alarms = release.alarms.length ? `, alarms: ${release.alarms.join(', ')}` : ', no alarms'
  return `${release.label}${alarms}, error margin ${release.errorMargin} points`
}

const FIELDS: Record<'canary' | 'linear', readonly string[]> = { canary: ['percent', 'wait'], linear: ['step', 'every'] }

/** What the schema cannot say: one strategy, in one form, with only its own fields. */
export function releaseIssues(spec: Record<string, unknown>): ManifestIssue[] {
  const path = ['function', 'release']
  const issues: ManifestIssue[] = []
  const forms = (['canary', 'linear'] as const).filter((k) => spec[k] !== undefined)
  const strategy = typeof spec.strategy === 'string' ? spec.strategy : forms[0]
  if (forms.length > 1) {
    issues.push({ path: [...path, 'linear'], atKey: true, message: 'release has both canary: and linear:', hint: 'keep one of them' })
    return issues
  }
  if (forms.length === 1 && spec.strategy !== undefined && spec.strategy !== forms[0]) {
    issues.push({
      path: [...path, forms[0]],
      atKey: true,
      message: `release.${forms[0]} does not go with strategy: ${String(spec.strategy)}`,
      hint: `write strategy: ${forms[0]}, or drop ${forms[0]}:`,
    })
    return issues
  }
  for (const [own, fields] of Object.entries(FIELDS)) {
    for (const field of fields) {
      if (spec[field] === undefined) continue
      if (strategy === undefined) {
        issues.push({ path: [...path, field], atKey: true, message: `release.${field} needs a strategy`, hint: `add strategy: ${own}` })
      } else if (strategy !== own) {
        issues.push({ path: [...path, field], atKey: true, message: `release.${field} is for strategy ${own}, not ${strategy}`, hint: `remove ${field}` })
      } else if (forms.length === 1) {
        issues.push({ path: [...path, field], atKey: true, message: `release.${field} is also set in ${own}:`, hint: `set it in one place` })
      }
    }
  }
  for (const [where, key] of [
    [[], 'wait'],
    [[], 'every'],
    [['canary'], 'wait'],
    [['linear'], 'every'],
  ] as const) {
    const holder = where.length ? spec[where[0]] : spec
    const text = holder && typeof holder === 'object' ? (holder as Record<string, unknown>)[key] : undefined
    if (typeof text === 'string' && durationSeconds(text) > MAX_HOLD_SECONDS) {
      issues.push({ path: [...path, ...where, key], message: `release ${key} ${text} is more than an hour`, hint: 'hold each stage 1h at most: 30s, 5m, 1h' })
    }
  }
  const watched = spec.alarms !== undefined || spec.errorMargin !== undefined
  if (watched && (strategy === undefined || strategy === 'all-at-once')) {
    const key = spec.alarms !== undefined ? 'alarms' : 'errorMargin'
    issues.push({
      path: [...path, key],
      atKey: true,
      message: `release.${key} is only watched while traffic shifts: strategy ${strategy ?? 'all-at-once'} moves it at once`,
      hint: 'use strategy: canary or linear, or remove it',
    })
  }
  return issues
}

/**
 * `deploy --no-wait` and a gradual release do not go together: the shift is watched by shipit, and
 * nothing would put traffic back when an alarm fires. Refused before any AWS call.
 */
export function refuseUnwatchedRelease(desired: { target: string; function?: { release?: Parameters<typeof releasePlan>[0] } }): void {
  if (desired.target !== 'lambda' || !desired.function) return
  const release = releasePlan(desired.function.release)
  if (release.strategy === 'all-at-once') return
  throw new ShipitError(
    'UnwatchedRelease',
    `--no-wait cannot leave a ${release.label} release unwatched: shipit moves the traffic and watches the alarms while it shifts`,
    {
      exitCode: ExitCode.Invalid,
      source: 'user',
      suggestions: [
        "deploy without --no-wait: the shift takes the release's time, and Ctrl-C puts all traffic back on the old version",
        'or set function.release.strategy: all-at-once (e.g. in an environments: overlay) for deploys that must not wait',
      ],
    },
  )
}
