import { Command, Errors } from '@oclif/core'
import { EXIT_CODES_HELP, ExitCode, ShipitError } from '../errors.js'
import { redact } from '../redact.js'
import { reportError } from './report-error.js'

/**
 * shipit's commands: typed results with --json, errors as one clear message (never a stack trace
 * unless --debug) and the exit codes of the contract.
 */
export abstract class BaseCommand extends Command {
  static enableJsonFlag = true

  static helpGroup = 'GLOBAL'

  /** Shown at the end of every command's --help. */
  static exitCodesHelp = EXIT_CODES_HELP

  protected readonly cleanups: (() => void)[] = []

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
    reportError(toShipitError(err), { json: this.jsonEnabled(), debug: this.debugEnabled, stack: err.stack })
  }

  protected async finally(err: Error | undefined): Promise<void> {
    for (const c of this.cleanups.splice(0)) c()
    await super.finally(err)
  }
}

/** Flag parsing errors of oclif are invalid input (3); anything unknown is a failure (1). */
export function toShipitError(err: unknown): ShipitError {
  if (err instanceof ShipitError) return err
  const e = err as Error & { oclif?: { exit?: number }; parse?: unknown; code?: string }
  if (e && typeof e === 'object' && ('parse' in e || /Flag|Arg|Parse|Option|Validation/.test(e.constructor?.name ?? ''))) {
    return new ShipitError('InvalidFlags', e.message.replace(/\n?See more help with --help$/, ''), {
      exitCode: ExitCode.Invalid,
      source: 'user',
      suggestions: ['see --help'],
    })
  }
  return new ShipitError('Unexpected', e?.message ?? String(err), { exitCode: ExitCode.Failure, source: 'internal', cause: err })
}
