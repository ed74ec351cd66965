import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    pool: 'forks',
    // vitest's default in a run is one worker fewer than the cores: one file at a time on a 2-core
    // machine, while a file waits on the shipits it spawns. Two measured 276 s against 344 s for
    // the whole suite, the same CPU time (2026-12-05, README: Development).
    maxWorkers: 2,
  },
})
