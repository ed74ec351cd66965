import { randomBytes, scrypt, scryptSync } from 'node:crypto'
import { isSensitive, type SecretKdf, type Sensitive, type Step } from './types.js'

/**
 * Secret markers as a plan carries them. Planners compare values by a plain hash (in memory, never
 * printed); a plan document carries, for each secret it sends, a commitment to the value: scrypt of
 * the value, keyed by a random salt of that plan and the secret's name, with the plan's parameters.
 * A saved plan (or `plan --json`) holds the salt and the commitment, so whoever reads it can test
 * guesses offline: each guess must cost what a password store makes it cost, not one HMAC.
 */
export function newSalt(): string {
  return randomBytes(16).toString('hex')
}

/**
 * scrypt, N = 2^15, r = 8, p = 1: 32 MiB of memory and some 50–100 ms of one core per guess on a
 * current machine (0.25–0.5 s measured on the shared 2-core build machine), so an attacker's GPU or
 * ASIC gains little over a CPU and a dictionary of a million guesses costs a core-day. N = 2^17 (OWASP's
 * figure for password storage) would cost 4 times more for every plan and every apply, each secret:
 * over the half second a deploy of a few secrets may spend verifying them. A plan made by a later
 * shipit may carry stronger parameters (up to MAXIMUM); weaker ones are refused (src/plan/saved.ts).
 */
export const SECRET_KDF: SecretKdf = { algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1, keylen: 32 }
const MINIMUM = SECRET_KDF
/** 128·N·r ≤ 512 MiB per commitment: more is no plan a shipit made, and would exhaust the machine that verifies it */
const MAXIMUM = { N: 2 ** 18, r: 16, p: 4, keylen: 64 }

/** Why these parameters are refused, or undefined when they may be used. */
export function kdfProblem(kdf: unknown): string | undefined {
  if (!kdf || typeof kdf !== 'object') return 'it names no key derivation for its secret commitments'
  const k = kdf as Partial<Record<keyof SecretKdf, unknown>>
  if (k.algorithm !== 'scrypt') return `its secret commitments use ${JSON.stringify(k.algorithm)}, not scrypt`
  for (const field of ['N', 'r', 'p', 'keylen'] as const) {
    const v = k[field]
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return `its scrypt parameter ${field} is not an integer`
    if (v < MINIMUM[field]) return `its scrypt parameter ${field}=${v} is weaker than the least this shipit accepts (${MINIMUM[field]})`
    if (v > MAXIMUM[field]) return `its scrypt parameter ${field}=${v} is above the most this shipit accepts (${MAXIMUM[field]})`
  }
  if (((k.N as number) & ((k.N as number) - 1)) !== 0) return `its scrypt parameter N=${k.N} is not a power of 2`
  return undefined
}

/** Commitments already computed in this process: a plan made again and its apply verify each secret once. */
const computed = new Map<string, string>()

const cacheKey = (salt: string, kdf: SecretKdf, name: string, value: string) => JSON.stringify([salt, kdf.N, kdf.r, kdf.p, kdf.keylen, name, value])
const scryptOptions = (kdf: SecretKdf) => ({ N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 2 ** 20 })
// the name is in the salt: one value under two names gives two unrelated commitments
const scryptSalt = (salt: string, name: string) => `${salt}:${name}`

/** The commitment to one secret value: what a plan carries in its marker (the `sha256` field, by history). */
export function commitment(salt: string, kdf: SecretKdf, name: string, value: string): string {
  const key = cacheKey(salt, kdf, name, value)
  const known = computed.get(key)
  if (known) return known
  const hex = scryptSync(value, scryptSalt(salt, name), kdf.keylen, scryptOptions(kdf)).toString('hex')
  computed.set(key, hex)
  return hex
}

/** Compute the commitments of several secrets at once, on libuv's threads: what `commitment` then finds done. */
export async function precomputeCommitments(salt: string, kdf: SecretKdf, secrets: [name: string, value: string][]): Promise<void> {
  const todo = secrets.filter(([name, value]) => !computed.has(cacheKey(salt, kdf, name, value)))
  await Promise.all(
    todo.map(
      ([name, value]) =>
        new Promise<void>((resolve, reject) =>
          scrypt(value, scryptSalt(salt, name), kdf.keylen, scryptOptions(kdf), (err, derived) => {
            if (err) return reject(err)
            computed.set(cacheKey(salt, kdf, name, value), derived.toString('hex'))
            resolve()
          }),
        ),
    ),
  )
}

/**
 * The steps as the plan document carries them: markers of values to send get the commitment to the
 * value app.yaml gives now; markers of live values (`before`) keep only the name.
 */
export function saltSecretMarkers(steps: Step[], salt: string, kdf: SecretKdf, secretValue: (name: string) => string | undefined): Step[] {
  const salted = (marker: Sensitive): Sensitive => {
    const value = secretValue(marker.sensitive)
    return { sensitive: marker.sensitive, sha256: value === undefined ? '' : commitment(salt, kdf, marker.sensitive, value) }
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
