import { afterEach } from 'vitest'

/**
 * A process warning (MaxListenersExceededWarning from abort listeners piling up, a deprecation, an
 * unhandled rejection turned warning) fails the test that caused it: users would see it too.
 */
const warnings: string[] = []
// shipit's client factory (src/aws/clients.ts) switches the SDK's Node 20 notice off; tests that build
// SDK clients directly (the fake's own tests) would otherwise print it
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// shipit's own end-of-life line (src/aws/node-support.ts) is tested on its own; spawned shipits inherit this
process.env.SHIPIT_NODE_WARNING ??= 'off'
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`))

afterEach(() => {
  const seen = warnings.splice(0)
  if (seen.length) throw new Error(`the test emitted process warnings:\n${seen.join('\n')}`)
})
