/**
 * Whether the Node.js shipit runs on still gets security fixes, and until when the AWS SDK supports it.
 * The SDK's own warning (a multi-line process warning on every client) is switched off in clients.ts;
 * this one line, once per run, says the same with the dates and what to do.
 */

interface NodeLine {
  /** the day the Node.js release line stops getting fixes (nodejs.org/en/about/previous-releases) */
  endOfLife: string
  /** when AWS SDK for JavaScript v3 releases stop supporting it, when AWS has said (its NodeVersionSupportWarning) */
  sdkEnds?: string
}

const NODE_LINES: Record<number, NodeLine> = {
  20: { endOfLife: '2026-04-30', sdkEnds: 'the first week of January 2027' },
  22: { endOfLife: '2027-04-30' },
  24: { endOfLife: '2028-04-30' },
}

/** The line to print when `version` (process.version) has reached its end of life on `today`, else undefined. */
export function nodeEndOfLifeNotice(version: string, today: Date): string | undefined {
  const major = Number.parseInt(version.replace(/^v/, ''), 10)
  const line = NODE_LINES[major]
  if (!line || today.toISOString().slice(0, 10) < line.endOfLife) return undefined
  const supported = Object.entries(NODE_LINES)
    .filter(([, l]) => today.toISOString().slice(0, 10) < l.endOfLife)
    .map(([m]) => m)
  const sdk = line.sdkEnds ? `AWS SDK releases after ${line.sdkEnds} need a newer Node.js` : 'the AWS SDK has not said until when it supports it'
  const upgrade = supported.length ? `; use Node.js ${supported.join(' or ')}` : ''
  return `warning: Node.js ${major} reached its end of life on ${line.endOfLife} (no more security fixes); ${sdk}${upgrade}`
}

let told = false

/** Prints the notice on stderr, once per process. SHIPIT_NODE_WARNING=off silences it. */
export function warnIfNodeEndOfLife(): void {
  if (told || process.env.SHIPIT_NODE_WARNING === 'off') return
  told = true
  const notice = nodeEndOfLifeNotice(process.version, new Date())
  if (notice) process.stderr.write(`${notice}\n`)
}
