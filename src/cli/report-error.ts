import type { ShipitError } from '../errors.js'
import { ManifestError } from '../manifest/load.js'
import { redact } from '../redact.js'
import { annotateProblems } from '../ui/github.js'

/** Print an error the way every command does: one JSON document on stdout, or a message and what to do on stderr. */
export function reportError(error: ShipitError, options: { json: boolean; debug: boolean; stack?: string }): void {
  process.exitCode = error.exitCode
  if (options.json) {
    process.stdout.write(`${redact(JSON.stringify({ error: error.toJSON() }, null, 2))}\n`)
    return
  }
  if (error instanceof ManifestError) annotateProblems(error.problems)
  const lines = [`Error: ${error.message}`, ...error.suggestions.map((s) => `  → ${s}`)]
  if (error.source === 'internal') lines.push('  → this looks like a bug in shipit; run again with --debug and report the output')
  if (options.debug && options.stack) lines.push(options.stack)
  process.stderr.write(`${redact(lines.join('\n'))}\n`)
}
