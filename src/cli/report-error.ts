import { didYouMean } from '../did-you-mean.js'
import { ExitCode, invalid, ShipitError } from '../errors.js'
import { ManifestError } from '../manifest/load.js'
import { redact } from '../redact.js'
import { annotateProblems } from '../ui/github.js'

/** What oclif's errors carry, read by shape: this module must not load oclif (the fast path uses it). */
interface OclifLikeError extends Error {
  oclif?: { exit?: number }
  code?: string
  /** CLIParseError: the parser's input, with the command's flag definitions */
  parse?: { input?: { flags?: Record<string, { char?: string; options?: readonly string[] }> } }
  /** NonExistentFlagsError */
  flags?: string[]
}

/** Where an error happened, for the hints of flag errors. */
interface ErrorContext {
  /** the command id, e.g. "plan" */
  command?: string
}

/**
 * The one place that decides the exit code of anything thrown (the table in src/errors.ts):
 * shipit's own errors keep theirs; oclif's errors about the command line (unknown command or flag,
 * a flag without its value, a value that does not parse) are invalid input, 3, said in one line;
 * an abort by a signal is 130; anything else is a failure, 1, and probably a bug of ours.
 */
export function toShipitError(err: unknown, context: ErrorContext = {}): ShipitError {
  if (err instanceof ShipitError) return err
  const e = (err && typeof err === 'object' ? err : new Error(String(err))) as OclifLikeError
  if (isInterruption(e)) {
    return new ShipitError('Interrupted', 'interrupted', { exitCode: ExitCode.Interrupted, source: 'user', cause: err })
  }
  const commandLine = commandLineMessage(e, context)
  if (commandLine !== undefined) return invalid('InvalidCommandLine', commandLine)
  return new ShipitError('Unexpected', e.message || String(err), { exitCode: ExitCode.Failure, source: 'internal', cause: err })
}

/** An oclif error (CLIError and its parse errors) other than a failed module load or an exit. */
function isOclifError(e: OclifLikeError): boolean {
  const name = e.constructor?.name ?? ''
  return typeof e.oclif === 'object' && name !== 'ModuleLoadError' && name !== 'ExitError'
}

function isInterruption(e: OclifLikeError): boolean {
  return e.name === 'AbortError' || /^received SIG(INT|TERM)$/.test(e.message ?? '')
}

// oclif dims the reasons of flag validation errors
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')

/** oclif's messages about the command line, rewritten as one line that says what to do; undefined if `e` is not one. */
function commandLineMessage(e: OclifLikeError, context: ErrorContext): string | undefined {
  const raw = (e.message ?? '').replace(ANSI, '').replace(/\n?See more help with --help$/, '')
  const help = `(see shipit${context.command ? ` ${context.command}` : ''} --help)`
  const definitions = e.parse?.input?.flags ?? {}
  let m: RegExpExecArray | null
  if (Array.isArray(e.flags) && /^Nonexistent flag/.test(raw)) {
    const known = Object.keys(definitions).map((n) => `--${n}`)
    const parts = e.flags.map((f) => {
      const guess = f.startsWith('--') ? didYouMean(f.split('=')[0], known) : undefined
      return guess ? `${f} (did you mean ${guess}?)` : f
    })
    return `unknown flag${parts.length > 1 ? 's' : ''} ${parts.join(', ')} ${help}`
  }
  if ((m = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/s.exec(raw))) {
    const [, flag, value, options] = m
    const guess = didYouMean(value, options.split(', '))
    return `--${flag} ${value} is not one of ${options}${guess ? ` — did you mean ${guess}?` : ''}`
  }
  if ((m = /^Expected (.*) to be one of: (.*)$/s.exec(raw))) {
    const [, value, options] = m
    const guess = value ? didYouMean(value, options.split(', ')) : undefined
    return `${value ? `"${value}" is not one of ${options}` : `expected one of ${options}`}${guess ? ` — did you mean ${guess}?` : ''} ${help}`
  }
  if ((m = /^Flag --([\w-]+) expects one of these values: (.*)$/s.exec(raw))) return `--${m[1]} needs a value: one of ${m[2]}`
  if ((m = /^Flag --([\w-]+) expects a value$/.exec(raw))) return `--${m[1]} needs a value ${help}`
  if ((m = /^Parsing --([\w-]+)\s*\n\s*(.*)$/s.exec(raw))) return `--${m[1]}: ${lowerFirst(m[2].trim())}`
  if (/^The following errors? occurred:/.test(raw)) {
    const reasons = raw
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean)
    return `${reasons.join('; ')} ${help}`
  }
  if ((m = /^command (.+) not found\.?$/i.exec(raw))) return `unknown command "${m[1].replace(/:/g, ' ')}" (see shipit --help)`
  if (e.parse !== undefined || isOclifError(e))
    return `${raw
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ')} ${help}`
  return undefined
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1)

/** Print an error the way every command does: one JSON document on stdout, or a message and what to do on stderr. */
export function reportError(error: ShipitError, options: { json: boolean; debug: boolean; stack?: string }): void {
  process.exitCode = error.exitCode
  if (options.json) {
    process.stdout.write(`${redact(JSON.stringify({ error: error.toJSON() }, null, 2))}\n`)
    return
  }
  if (error instanceof ManifestError) annotateProblems(error.problems)
  const lines = [`Error: ${error.message}`, ...error.suggestions.map((s) => `  → ${s}`)]
  if (error.source === 'internal') lines.push('  → this looks like a bug in shipit; run again with --debug and report the output')
  if (options.debug && options.stack) lines.push(options.stack)
  process.stderr.write(`${redact(lines.join('\n'))}\n`)
}

/**
 * The last stop of anything that escaped oclif's command (an unknown command, help for a missing
 * topic, a failure while loading): reported like every other error, with the exit code of the table.
 */
export function reportUncaught(err: unknown, argv: string[]): void {
  const e = err as OclifLikeError
  if (e?.code === 'EEXIT' && typeof e.oclif?.exit === 'number') {
    process.exitCode = e.oclif.exit
    return
  }
  // a command that is not shipit's own (autocomplete, help) fails here, not in BaseCommand.catch
  const error = toShipitError(err, { command: argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined })
  reportError(error, { json: argv.includes('--json'), debug: argv.includes('--debug'), stack: e?.stack })
}
