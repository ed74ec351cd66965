import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect } from 'vitest'

export const ROOT = resolve(import.meta.dirname, '../..')
export const RUN = join(ROOT, 'bin', 'run.js')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
  /** wall time of the run */
  ms: number
}

/** An environment with no AWS credentials or config: HOME is an empty directory. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    // NODE_ENV=test (vitest's) would make oclif print developer warnings a user never sees
    if (!k.startsWith('AWS_') && k !== 'CI' && !k.startsWith('GITHUB_') && k !== 'NODE_ENV' && k !== 'FORCE_COLOR') env[k] = v
  }
  return { ...env, HOME: mkdtempSync(join(tmpdir(), 'shipit-home-')), AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', ...extra }
}

/** Run the built CLI as a user would. */
export function shipit(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return spawnRun(process.execPath, [RUN, ...args], options)
}

/** `'it''s'`: one argument for sh -c. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Run the built CLI on a pseudo-terminal (util-linux `script`): stdin, stdout and stderr are all the
 * terminal, so what comes back is the terminal's stream (stderr mixed in, \r\n line ends). `onOutput`
 * sees the output as it comes and may answer through `write` (e.g. "\x03", Ctrl-C, at a prompt).
 */
export function shipitOnTerminal(
  args: string[],
  options: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    timeoutMs?: number
    onOutput?: (soFar: string, write: (s: string) => void) => void
    /** redirect stdout to this file (stderr stays the terminal), as `shipit plan > plan.txt` does */
    stdoutTo?: string
  } = {},
): Promise<Run> {
  const command = [process.execPath, RUN, ...args].map(shellQuote).join(' ') + (options.stdoutTo ? ` > ${shellQuote(options.stdoutTo)}` : '')
  return spawnRun('script', ['-qfec', command, '/dev/null'], { ...options, keepStdinOpen: true })
}

function spawnRun(
  file: string,
  args: string[],
  options: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    input?: string
    timeoutMs?: number
    keepStdinOpen?: boolean
    onOutput?: (soFar: string, write: (s: string) => void) => void
  },
): Promise<Run> {
  const started = Date.now()
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd: options.cwd ?? ROOT, env: options.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const write = (s: string) => child.stdin.write(s)
    child.stdout.on('data', (d) => {
      stdout += d
      options.onOutput?.(stdout, write)
    })
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
    child.on('error', fail)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr, ms: Date.now() - started })
    })
    if (options.input !== undefined || !options.keepStdinOpen) child.stdin.end(options.input ?? '')
  })
}

const ESCAPE = String.fromCharCode(27)
export const hasEscapeCodes = (s: string) => s.includes(ESCAPE)

/**
 * The shape of every error on stderr: one `Error:` line first, then only `  → ` hints; no stack
 * trace, no "looks like a bug" for the user's own mistake, no process warning.
 */
export function expectOneClearError(stderr: string, options: { hints?: boolean } = {}): void {
  const lines = stderr.trimEnd().split('\n')
  expect(lines[0]).toMatch(/^Error: \S/)
  const rest = lines.slice(1)
  if (options.hints === false) expect(rest).toEqual([])
  for (const l of rest) expect(l).toMatch(/^ {2}→ /)
  expect(stderr).not.toContain('looks like a bug')
  expectNoNoise(stderr)
}

/** No stack trace and no process warning (MaxListenersExceededWarning and the like). */
export function expectNoNoise(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(stderr).not.toMatch(/Warning|\(node:\d+\)/)
}
