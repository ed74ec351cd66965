/**
 * SIGINT and SIGTERM (what CI sends on cancel).
 *
 * - While a command only reads (planning, before anything is applied), the first signal ends it at
 *   once with exit 130: there is nothing to finish, and a hung read must not hold the user.
 * - While it changes AWS, the first signal aborts the returned signal: no new step starts, the call
 *   in flight finishes, and shipit exits 130 saying what was and was not done.
 * - A second signal, or any signal once the command has let go, ends the process at once (exit 130).
 */
export interface Interrupt {
  signal: AbortSignal
  /** From now until called with undefined, the first signal calls `report` and exits 130 at once. */
  readOnly(report: ((signal: NodeJS.Signals) => void) | undefined): void
  dispose(): void
}

interface Active {
  controller: AbortController
  onFirst?: (signal: NodeJS.Signals) => void
  readOnly?: (signal: NodeJS.Signals) => void
}

let active: Active | undefined
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  const current = active
  if (!current || current.controller.signal.aborted) process.exit(130)
  if (current.readOnly) {
    current.readOnly(signal)
    process.exit(130)
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
    },
    dispose: () => {
      if (active === state) active = undefined
    },
  }
}
