/**
 * Fast paths for the commands people and CI hooks run most often and that need no AWS and no oclif:
 * `--version` and `validate`. Loading oclif costs ~3× a bare `node` start; these answer in about
 * half the time. Anything unusual (help, unknown flags) returns false and oclif takes over, so the
 * behaviour and output are the same either way (the CLI tests run both paths).
 */

import { describeValid, validateManifest } from '../engine/validate.js'
import { ShipitError } from '../errors.js'
import { TARGETS } from '../manifest/schema.js'
import { SHIPIT_VERSION } from '../version.js'
import { reportError } from './report-error.js'

// bin/run.js reports what escapes oclif with shipit's exit codes; this bundle is the one it has loaded already
export { reportUncaught } from './report-error.js'

export async function runFast(argv: string[]): Promise<boolean> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
    process.stdout.write(`shipit/${SHIPIT_VERSION} ${process.platform}-${process.arch} node-${process.version}\n`)
    return true
  }
  if (argv[0] !== 'validate') return false
  let file: string | undefined
  let target: string | undefined
  let json = false
  let debug = false
  const rest = argv.slice(1)
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest[++i])
    if (a === '-f' || a === '--file' || a.startsWith('--file=')) file = value()
    else if (a === '-t' || a === '--target' || a.startsWith('--target=')) target = value()
    else if (a === '--json') json = true
    else if (a === '--debug') debug = true
    else if (a === '--no-color')
      continue // validate prints no colour
    else return false
    // a flag without its value, or a target oclif would refuse: oclif says so
    if (((a.startsWith('-f') || a.startsWith('--file')) && !file) || ((a.startsWith('-t') || a.startsWith('--target')) && !target)) return false
    if (target !== undefined && !(TARGETS as readonly string[]).includes(target)) return false
  }
  try {
    const result = await validateManifest(file, target)
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${describeValid(result)}\n`)
  } catch (err) {
    if (!(err instanceof ShipitError)) throw err
    reportError(err, { json, debug, stack: err.stack })
  }
  return true
}
