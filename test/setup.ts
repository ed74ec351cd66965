import { afterEach } from 'vitest'

/**
 * A process warning (MaxListenersExceededWarning from abort listeners piling up, a deprecation, an
 * unhandled rejection turned warning) fails the test that caused it: users would see it too.
 */
// with isolate: false (vitest.config.ts) this file runs again before each test file in the same
// process: one listener and one list for the process, not one more per file
const WARNINGS = Symbol.for('shipit.test.warnings')
const shared = globalThis as typeof globalThis & { [WARNINGS]?: string[] }
const firstRun = !shared[WARNINGS]
const warnings: string[] = (shared[WARNINGS] ??= [])
// and each test file starts from the environment its worker started with, as it did in a process of
// its own: dummy credentials a file set (fakeCredentials) do not reach the next file's commands
const ENV = Symbol.for('shipit.test.env')
const envShared = globalThis as typeof globalThis & { [ENV]?: Record<string, string | undefined> }
const startEnv = (envShared[ENV] ??= { ...process.env })
for (const key of Object.keys(process.env)) if (!Object.hasOwn(startEnv, key)) delete process.env[key]
Object.assign(process.env, startEnv)
// shipit's client factory (src/aws/clients.ts) switches the SDK's Node 20 notice off; tests that build
// SDK clients directly (the fake's own tests) would otherwise print it
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// shipit's own end-of-life line (src/aws/node-support.ts) is tested on its own; spawned shipits inherit this
process.env.SHIPIT_NODE_WARNING ??= 'off'
if (firstRun) process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`))

afterEach(() => {
  const seen = warnings.splice(0)
  if (seen.length) throw new Error(`the test emitted process warnings:\n${seen.join('\n')}`)
})
