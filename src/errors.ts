/**
 * shipit's exit codes. They are a contract with CI pipelines: documented in `--help` and the README,
 * and never reused for another meaning.
 */
export const ExitCode = {
  Success: 0,
  /** an AWS call or the apply failed */
  Failure: 1,
  /** `plan` / `deploy --dry-run` with `--detailed-exitcode` only: the plan has changes */
  Changes: 2,
  /** invalid input of any kind (manifest, env, command, flag, missing --yes without a terminal); nothing was sent to AWS */
  Invalid: 3,
  /** a saved plan no longer matches what is live */
  StalePlan: 4,
  /** interrupted: Ctrl-C at the prompt, or SIGINT/SIGTERM after the call in flight finished */
  Interrupted: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODES_HELP = `EXIT CODES
  0    success (plan: no changes with --detailed-exitcode)
  1    an AWS call or the apply failed; another run held the deploy lock past --lock-timeout; status: the app is not deployed
  2    the plan has changes (only with --detailed-exitcode, only plan and deploy --dry-run)
  3    invalid input: manifest, --env, command, flag or value, or no --yes without a terminal; nothing was sent to AWS
  4    the saved plan is stale: what is live changed since it was made
  130  interrupted (Ctrl-C at the prompt: nothing was changed; during an apply: the call in flight was finished first)`

type ErrorSource = 'user' | 'aws' | 'internal'

interface ShipitErrorOptions {
  exitCode?: ExitCode
  source?: ErrorSource
  /** what the user can do about it, one line each */
  suggestions?: string[]
  cause?: unknown
  /** machine-readable detail for --json */
  details?: unknown
}

/**
 * The one error class of shipit. oclif takes the exit code from `oclif.exit` in text mode and from
 * `exitCode` with --json, so both are set.
 */
export class ShipitError extends Error {
  readonly code: string
  readonly exitCode: ExitCode
  readonly source: ErrorSource
  readonly suggestions: string[]
  readonly details?: unknown
  readonly oclif: { exit: number }

  constructor(code: string, message: string, options: ShipitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ShipitError'
    this.code = code
    this.exitCode = options.exitCode ?? ExitCode.Failure
    this.source = options.source ?? 'internal'
    this.suggestions = options.suggestions ?? []
    this.details = options.details
    this.oclif = { exit: this.exitCode }
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      source: this.source,
      suggestions: this.suggestions,
      ...(this.details === undefined ? {} : { details: this.details }),
    }
  }
}

/** An invalid manifest or flag: exit 3, nothing sent to AWS. */
export function invalid(code: string, message: string, suggestions: string[] = [], details?: unknown): ShipitError {
  return new ShipitError(code, message, { exitCode: ExitCode.Invalid, source: 'user', suggestions, details })
}
