import { Command, Errors, Flags } from '@oclif/core'
import { redact } from '../redact.js'
import { reportError, toShipitError } from './report-error.js'

/**
 * shipit's commands: typed results with --json, errors as one clear message (never a stack trace
 * unless --debug) and the exit codes of the contract (decided in report-error.ts).
 */
export abstract class BaseCommand extends Command {
  static enableJsonFlag = true

  /** Every command takes these. */
  static baseFlags = {
    // read from argv by colorEnabled() (src/ui/color.ts), which also serves errors before parsing
    'no-color': Flags.boolean({ summary: 'No colour in any output (also NO_COLOR=1; FORCE_COLOR=1 forces it).', helpGroup: 'GLOBAL' }),
  }

  protected get debugEnabled(): boolean {
    return this.argv.includes('--debug')
  }

  /** Plain text for people on stderr (never stdout: stdout holds results). */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${redact(text)}\n`)
  }

  /** A result on stdout, in text mode. */
  protected out(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(`${redact(text)}\n`)
  }

  /** The one JSON document of --json: plain (no colour), redacted, on stdout. */
  logJson(json: unknown): void {
    process.stdout.write(`${redact(JSON.stringify(json, null, 2))}\n`)
  }

  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    // a command line that did not parse was reported above; oclif would add a warning for developers
    this.parsed = true
    reportError(toShipitError(err, { command: this.id }), { json: this.jsonEnabled(), debug: this.debugEnabled, stack: err.stack })
  }
}
