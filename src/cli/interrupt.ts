/**
 * SIGINT and SIGTERM (what CI sends on cancel).
 *
 * - While a command only reads (planning, before anything is applied), the first signal ends it at
 *   once with exit 130: there is nothing to finish, and a hung read must not hold the user.
 * - While it changes AWS, the first signal aborts the returned signal: no new step starts, the call
 *   in flight finishes, and shipit exits 130 saying what was and was not done.
 * - A second signal, or any signal once the command has let go, ends the process at once (exit 130).
 * - A command holding the deploy lock registers its release with `onExit`: a first signal while only
 *   reading releases it before exiting (within CLEANUP_MS), so the next deploy need not wait it out.
 */
export interface Interrupt {
  signal: AbortSignal
  /** From now until called with undefined, the first signal calls `report` and exits 130 at once. */
  readOnly(report: ((signal: NodeJS.Signals) => void) | undefined): void
  /** What must run before a read-only exit (releasing the lock); undefined removes it. */
  onExit(cleanup: (() => Promise<void>) | undefined): void
  dispose(): void
}

/** The longest a read-only exit waits for its cleanup (one DeleteItem) before exiting anyway. */
const CLEANUP_MS = 5_000

interface Active {
  controller: AbortController
  onFirst?: (signal: NodeJS.Signals) => void
  readOnly?: (signal: NodeJS.Signals) => void
  cleanup?: () => Promise<void>
  /** a read-only exit is under way (its cleanup runs): a second signal ends the process at once */
  exiting?: boolean
}

let active: Active | undefined
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  const current = active
  if (!current || current.controller.signal.aborted || current.exiting) process.exit(130)
  if (current.readOnly) {
    current.readOnly(signal)
    if (!current.cleanup) process.exit(130)
    current.exiting = true
    const deadline = new Promise((resolve) => setTimeout(resolve, CLEANUP_MS).unref())
    void Promise.race([current.cleanup().catch(() => {}), deadline]).then(() => process.exit(130))
    return
  }
  current.onFirst?.(signal)
  current.controller.abort(new Error(`received ${signal}`))
}

export function interruptible(onFirst?: (signal: NodeJS.Signals) => void): Interrupt {
  if (!installed) {
    // installed once and kept: after dispose a signal still ends the process with 130, not by the default handler's code
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    installed = true
  }
  const state: Active = { controller: new AbortController(), onFirst }
  active = state
  return {
    signal: state.controller.signal,
    readOnly: (report) => {
      state.readOnly = report
      // the reads went on while the lock was being released: nothing may start changing AWS now
      if (!report && state.exiting) state.controller.abort(new Error('exiting'))
    },
    onExit: (cleanup) => {
      state.cleanup = cleanup
    },
    dispose: () => {
      if (active === state) active = undefined
    },
  }
}
