import 'aws-sdk-client-mock-jest/vitest'
import { afterEach } from 'vitest'

/**
 * A process warning (MaxListenersExceededWarning from abort listeners piling up, a deprecation, an
 * unhandled rejection turned warning) fails the test that caused it: users would see it too.
 */
const warnings: string[] = []
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`))

afterEach(() => {
  const seen = warnings.splice(0)
  if (seen.length) throw new Error(`the test emitted process warnings:\n${seen.join('\n')}`)
})
