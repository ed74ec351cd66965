/**
 * The time shipit reads for expiries (`shipit:expires`, `shipit prune`) and the pauses of a gradual
 * release: one clock that tests set (`clock.now = () => new Date('…')`, `clock.sleep`) instead of
 * waiting days for a preview to expire or five minutes for a canary.
 */
export const clock = {
  now: (): Date => new Date(),
  /** resolves after `ms`, or at once when `signal` aborts */
  sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    }),
}
