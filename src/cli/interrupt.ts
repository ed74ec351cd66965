/**
 * SIGINT and SIGTERM (what CI sends on cancel) abort the apply: no new step starts, the call in
 * flight finishes, and shipit exits 130 saying what was and was not done. A second signal exits at once.
 */
export function interruptible(onFirst?: (signal: string) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130)
    onFirst?.(sig)
    controller.abort(new Error(`received ${sig}`))
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
