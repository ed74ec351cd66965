// .shipitignore and backtracking (issue 15 item 5): a line of repeated `**/` against a deep path.
// `node --import tsx bench/ignore.ts` prints a table: the time of one match by the hand-made regex
// shipit used before (copied here, only run for small repeat counts: it grows about 4-fold per
// repeat, 12 repeats took over 100 s) and by the `ignore` package it uses now (src/targets/lambda/walk.ts).
import { ignoreMatcher } from '../src/targets/lambda/walk.js'

const PATH = 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/file.js'

/** The translation of one .shipitignore line that zip.ts had before the `ignore` package. */
function handMadeRegex(line: string): RegExp {
  const body = line
    .split(/(\*\*\/|\/\*\*|\*|\?|[.+^${}()|[\]\\])/)
    .map((t) => {
      if (t === '**/') return '(?:.*/)?'
      if (t === '/**') return '(?:/.*)?'
      if (t === '*') return '[^/]*'
      if (t === '?') return '[^/]'
      if (/^[.+^${}()|[\]\\]$/.test(t)) return `\\${t}`
      return t
    })
    .join('')
  return new RegExp(`^${body}$`)
}

function time(fn: () => unknown): number {
  const start = performance.now()
  fn()
  return performance.now() - start
}

const rows: { matcher: string; repeats: number; ms: number }[] = []
for (const repeats of [4, 6, 7, 8]) {
  const re = handMadeRegex(`${'**/'.repeat(repeats)}x`)
  rows.push({ matcher: 'hand-made regex (before)', repeats, ms: time(() => re.test(PATH)) })
}
for (const repeats of [4, 8, 12, 24, 100]) {
  // a fresh matcher each time: its cache would otherwise answer
  const matches = ignoreMatcher([`${'**/'.repeat(repeats)}x`])
  rows.push({ matcher: 'ignore package (now)', repeats, ms: time(() => matches(PATH, false)) })
}
for (const r of rows) console.log(`${r.matcher.padEnd(26)} ${String(r.repeats).padStart(4)} × **/   ${r.ms.toFixed(2).padStart(9)} ms`)
process.stdout.write(`@@bench ${JSON.stringify({ rows })}\n`)
