import { createHmac, randomBytes } from 'node:crypto'
import { isSensitive, type Sensitive, type Step } from './types.js'

/**
 * Secret markers as a plan carries them. Planners compare values by a plain hash (never printed);
 * a plan document carries, for each secret it sends, an HMAC keyed by a random salt of that plan,
 * so a short secret cannot be found by hashing guesses, and two plans never share a hash.
 */
export function newSalt(): string {
  return randomBytes(16).toString('hex')
}

export function saltedHash(salt: string, value: string): string {
  return createHmac('sha256', salt).update(value).digest('hex')
}

/**
 * The steps as the plan document carries them: markers of values to send get the salted hash of
 * the value app.yaml gives now; markers of live values (`before`) keep only the name.
 */
export function saltSecretMarkers(steps: Step[], salt: string, secretValue: (name: string) => string | undefined): Step[] {
  const salted = (marker: Sensitive): Sensitive => {
    const value = secretValue(marker.sensitive)
    return { sensitive: marker.sensitive, sha256: value === undefined ? '' : saltedHash(salt, value) }
  }
  const walk = (value: unknown, keep: boolean): unknown => {
    if (isSensitive(value)) return keep ? salted(value) : { sensitive: value.sensitive, sha256: '' }
    if (Array.isArray(value)) return value.map((v) => walk(v, keep))
    if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, keep)]))
    }
    return value
  }
  return steps.map((step) => ({
    ...step,
    request: walk(step.request, true) as Step['request'],
    ...(step.changes
      ? {
          changes: step.changes.map((c) => ({
            ...c,
            ...('before' in c ? { before: walk(c.before, false) } : {}),
            ...('after' in c ? { after: walk(c.after, true) } : {}),
          })),
        }
      : {}),
  }))
}
