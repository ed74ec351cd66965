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
    // each worker process runs its files one after the other without a fresh module graph per file:
    // the AWS SDK, oclif and shipit are imported once per worker, not once per file (127 files).
    // Whole suite, two workers: 130 s with this, 276 s without; user+sys 184 s against 306 s.
    // What a file changes globally it restores (useFakeAws's afterAll, clearSecrets, clock);
    // test/setup.ts adds its warning listener once per process and gives each file the environment the worker started with.
    isolate: false,
  },
})
