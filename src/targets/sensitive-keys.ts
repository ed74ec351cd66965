import type { Desired } from '../manifest/resolve.js'
import { addSecret } from '../redact.js'

/**
 * Which live values may be shown. A value is secret because app.yaml says so now, or because it was
 * secret when it was deployed: each deploy records the names (never the values) of its secret
 * variables with what it deploys — a function's environment variable, a task definition's tag — and
 * a later plan hides the live values of those names even after app.yaml stopped marking them. Where
 * no record exists (an older deploy), a live value is shown only for a name app.yaml declares plain.
 */

/** The function's environment variable that records its secret names (Lambda). */
export const SENSITIVE_KEYS_VARIABLE = 'SHIPIT_SENSITIVE_KEYS'
/** The task definition's tag that records its secret names (ECS); ECS tag values allow spaces, not commas. */
export const SENSITIVE_KEYS_TAG = 'shipit:sensitive-keys'
/** Recorded when the names do not fit in a tag value: every live value is hidden. */
const ALL = ':all'
const TAG_VALUE_LIMIT = 256

export function secretNames(desired: Desired): string[] {
  return Object.entries(desired.environment)
    .filter(([, v]) => v.secret)
    .map(([k]) => k)
    .sort()
}

/** The record of this deploy's secret names, or undefined when it has none. */
export function sensitiveKeysRecord(desired: Desired): string | undefined {
  const names = secretNames(desired)
  if (!names.length) return undefined
  const record = names.join(' ')
  return record.length <= TAG_VALUE_LIMIT ? record : ALL
}

/** The names a deploy recorded as secret; undefined when it recorded nothing. */
export function parseSensitiveKeys(record: string | undefined): Set<string> | 'all' | undefined {
  if (record === undefined) return undefined
  if (record === ALL) return 'all'
  return new Set(record.split(/[\s,]+/).filter(Boolean))
}

/**
 * The live values to hide, among `live` (name → value). Those known to be secret (now or when
 * deployed) are registered for redaction too, so that they never reach any output, an AWS error
 * message included; those hidden only for want of a record are not (a plain `info` must not be
 * redacted everywhere). shipit's own variables (secret ARNs, the record) are not secret.
 */
export function hiddenLiveKeys(desired: Desired, live: Record<string, string>, record: string | undefined): Set<string> {
  const recorded = parseSensitiveKeys(record)
  const hidden = new Set<string>()
  for (const [name, value] of Object.entries(live)) {
    if (name.startsWith('SHIPIT_')) continue
    const now = desired.environment[name]
    const known = now?.secret || recorded === 'all' || (recorded instanceof Set && recorded.has(name))
    if (known) addSecret(value)
    if (known || (recorded === undefined && now === undefined)) hidden.add(name)
  }
  return hidden
}
