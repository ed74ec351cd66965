import type { Desired } from '../manifest/resolve.js'
import { addSecret } from '../redact.js'

/**
 * Which live values may be shown. A value is secret because app.yaml says so now, or because it was
 * secret when it was deployed: each deploy records the names (never the values) of its secret
 * variables with what it deploys — a function's environment variable, a task definition's tag — and
 * a later plan hides the live values of those names even after app.yaml stopped marking them. A live
 * value whose name app.yaml does not declare at all (set in the console or by another tool, or left
 * by a line since deleted) is hidden too, whatever the record says: the record names what shipit
 * marked, never what others added, so it cannot vouch for a name it does not hold. A live value is
 * shown only for a name app.yaml declares plain now and no deploy recorded as secret, or, with
 * `--show-undeclared`, for a name app.yaml does not declare (never for one known to be secret).
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
function parseSensitiveKeys(record: string | undefined): Set<string> | 'all' | undefined {
  if (record === undefined) return undefined
  if (record === ALL) return 'all'
  return new Set(record.split(/[\s,]+/).filter(Boolean))
}

/**
 * The live values to hide, among `live` (name → value). Those known to be secret (now or when
 * deployed) are registered for redaction too, so that they never reach any output, an AWS error
 * message included; those hidden because app.yaml does not declare them are not (a plain `info` set
 * in the console must not be redacted everywhere). shipit's own variables (the record, the ARNs of
 * the secrets app.yaml lists) are not secret; a `SHIPIT_…` name app.yaml does not explain is hidden.
 * `showUndeclared` (the user's `--show-undeclared`) shows the undeclared ones.
 */
export function hiddenLiveKeys(
  desired: Desired,
  live: Record<string, string>,
  record: string | undefined,
  options: { showUndeclared?: boolean } = {},
): Set<string> {
  const recorded = parseSensitiveKeys(record)
  const hidden = new Set<string>()
  for (const [name, value] of Object.entries(live)) {
    if (shipitOwn(desired, name)) continue
    const now = desired.environment[name]
    const known = now?.secret || recorded === 'all' || (recorded instanceof Set && recorded.has(name))
    if (known) addSecret(value)
    if (known || (now === undefined && !options.showUndeclared)) hidden.add(name)
  }
  return hidden
}

/** The record, and the ARN variable of each secret app.yaml lists (`SHIPIT_SECRET_<NAME>`, Lambda). */
function shipitOwn(desired: Desired, name: string): boolean {
  if (name === SENSITIVE_KEYS_VARIABLE || SECRETS_EXTENSION_VARIABLES.includes(name)) return true
  if (!name.startsWith(SECRET_ARN_PREFIX)) return false
  // SHIPIT_SECRET_<NAME>, and the extension's SHIPIT_SECRET_<NAME>_URL / _JSON_KEY (src/targets/lambda/secrets-extension.ts)
  const rest = name.slice(SECRET_ARN_PREFIX.length)
  return [rest, ...['_URL', '_JSON_KEY'].flatMap((suffix) => (rest.endsWith(suffix) ? [rest.slice(0, -suffix.length)] : []))].some((key) =>
    Object.hasOwn(desired.secrets, key),
  )
}

/** The versions record and the extension's port: names, versions and a port, never a value. */
const SECRETS_EXTENSION_VARIABLES = ['SHIPIT_SECRETS_VERSIONS', 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT']

const SECRET_ARN_PREFIX = 'SHIPIT_SECRET_'
