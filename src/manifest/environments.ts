/**
 * Environment names and patterns under `environments:`. A key holding `*` is a pattern (`"pr-*"`):
 * any env name it matches is declared, so that CI can deploy one preview per pull request.
 */

/** A key of `environments:`: an env name, or a pattern of lowercase letters, digits, hyphens and at least one `*`. */
export const ENV_KEY = /^([a-z][a-z0-9-]*|[a-z0-9*-]*\*[a-z0-9*-]*)$/

export function isEnvPattern(key: string): boolean {
  return key.includes('*')
}

export function matchesEnvPattern(pattern: string, env: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[a-z0-9-]*')}$`)
  return re.test(env)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The key of `environments:` an env name is declared by: the name itself (or the default env), else
 * the most specific pattern that matches it — the longest literal prefix, then the most literal
 * characters, then the first written. Undefined when nothing declares it.
 */
export function declaringKey(keys: string[], env: string, defaultEnv: string): string | undefined {
  if (keys.includes(env) && !isEnvPattern(env)) return env
  if (env === defaultEnv) return defaultEnv
  const candidates = keys.filter((k) => isEnvPattern(k) && matchesEnvPattern(k, env))
  const prefix = (k: string) => k.indexOf('*')
  const literal = (k: string) => k.replace(/\*/g, '').length
  candidates.sort((a, b) => prefix(b) - prefix(a) || literal(b) - literal(a) || keys.indexOf(a) - keys.indexOf(b))
  return candidates[0]
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `ttl:` of an environment: a whole number of minutes, hours or days (90m, 12h, 3d). */
export const DURATION = /^[1-9][0-9]{0,5}(m|h|d)$/

/** Milliseconds of a duration `pattern` accepts (a whole number and one unit: s, m, h or d; `ttl:`'s DURATION by default); undefined for anything else. */
export function parseDuration(text: string, pattern: RegExp = DURATION): number | undefined {
  const trimmed = text.trim()
  if (!pattern.test(trimmed)) return undefined
  return Number.parseInt(trimmed, 10) * UNIT_MS[trimmed.slice(-1) as keyof typeof UNIT_MS]
}
