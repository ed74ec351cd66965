/**
 * Whether to colour what goes to one stream, decided for that stream: `shipit plan > plan.txt` on a
 * terminal writes no escape codes to the file even though stderr is still the terminal.
 *
 * In order: `--no-color` → no; `NO_COLOR` (any non-empty value, https://no-color.org) → no;
 * `FORCE_COLOR` (non-empty, not "0"/"false") → yes, even into a pipe; else only a terminal that is
 * not TERM=dumb, outside CI.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): boolean {
  if (argv.includes('--no-color')) return false
  if (env.NO_COLOR) return false
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  if (env.CI === 'true' || env.CI === '1' || env.TERM === 'dumb') return false
  return Boolean(stream.isTTY)
}

/** SGR codes shipit uses. */
export const Sgr = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const

/** A painter for one stream: wraps text in an SGR code when that stream gets colour, else returns it as is. */
export function painter(enabled: boolean): (code: number, text: string) => string {
  return enabled ? (code, text) => `\x1b[${code}m${text}\x1b[0m` : (_code, text) => text
}
