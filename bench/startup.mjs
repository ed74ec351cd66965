// Figures 1, 2 and 6: cold start, offline plan and the peak RSS of plan, from one interleaved loop.
// Every round runs each command once (the order rotates from round to round), so a busy moment of
// the machine hits all of them alike; ratios are medians of the same run's samples.
import { rmSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { BIN, cleanEnv, fmtMb, fmtMs, fmtX, median, printRows, row, TIME, tempDir, timed } from './lib.mjs'

const RSS_HOW = TIME ? '/usr/bin/time %M' : 'process.resourceUsage().maxRSS at exit (bench/rss-preload.mjs)'

export const COMMANDS = [
  { id: 'node', label: 'node -e 0', args: ['-e', '0'] },
  { id: 'version', label: 'shipit --version', args: [BIN, '--version'] },
  { id: 'validate', label: 'shipit validate -f examples/hello-lambda/app.yaml', args: [BIN, 'validate', '-f', 'examples/hello-lambda/app.yaml'] },
  { id: 'plan-lambda', label: 'shipit plan --target lambda (offline)', args: [BIN, 'plan', '--target', 'lambda', '-f', 'examples/hello-lambda/app.yaml'] },
  { id: 'plan-fargate', label: 'shipit plan --target fargate (offline)', args: [BIN, 'plan', '--target', 'fargate', '-f', 'examples/hello-fargate/app.yaml'] },
]

export async function runStartup({ rounds = Number(process.env.BENCH_ROUNDS ?? 11), log = () => {} } = {}) {
  const home = tempDir('home')
  const env = cleanEnv(home)
  const samples = Object.fromEntries(COMMANDS.map((c) => [c.id, { ms: [], rss: [], failures: [] }]))
  // one untimed run each: page cache, and a first look at failures
  for (const c of COMMANDS) {
    const r = await timed(process.execPath, c.args, { env, rss: false })
    if (r.code !== 0) samples[c.id].failures.push(`exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`)
  }
  for (let i = 0; i < rounds; i++) {
    const order = COMMANDS.map((_, k) => COMMANDS[(k + i) % COMMANDS.length])
    for (const c of order) {
      const r = await timed(process.execPath, c.args, { env })
      const s = samples[c.id]
      if (r.code !== 0) s.failures.push(`exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`)
      s.ms.push(r.ms)
      if (r.rssKb) s.rss.push(r.rssKb)
    }
    log(`  round ${i + 1}/${rounds}`)
  }
  const med = Object.fromEntries(COMMANDS.map((c) => [c.id, median(samples[c.id].ms)]))
  const base = med.node
  const rows = []
  const failed = (id) => (samples[id].failures.length ? `exited non-zero: ${samples[id].failures[0]}` : undefined)
  rows.push(row('1 cold start', 'node -e 0 (baseline)', fmtMs(base), undefined, null, `median of ${rounds}`))
  for (const [id, goal, section] of [
    ['version', 4, '1 cold start'],
    ['validate', 4, '1 cold start'],
    ['plan-lambda', 6, '2 offline plan'],
    ['plan-fargate', 6, '2 offline plan'],
  ]) {
    const c = COMMANDS.find((x) => x.id === id)
    const ratio = med[id] / base
    const why = failed(id)
    rows.push(row(section, c.label, `${fmtX(ratio)} (${fmtMs(med[id])})`, `≤ ${goal}× node -e 0`, !why && ratio <= goal, why))
  }
  for (const id of ['plan-lambda', 'plan-fargate']) {
    const c = COMMANDS.find((x) => x.id === id)
    const rss = samples[id].rss
    if (!rss.length) {
      rows.push(row('6 memory', `peak RSS of ${c.label}`, 'not measured', '≤ 150 MB', false, RSS_HOW))
      continue
    }
    const peak = Math.max(...rss)
    rows.push(
      row('6 memory', `peak RSS of ${c.label}`, `${fmtMb(peak)} (median ${fmtMb(median(rss))})`, '≤ 150 MB', peak <= 150 * 1024, `max over runs, ${RSS_HOW}`),
    )
  }
  for (const id of ['node', 'version', 'validate']) {
    const c = COMMANDS.find((x) => x.id === id)
    if (samples[id].rss.length) rows.push(row('6 memory', `peak RSS of ${c.label}`, fmtMb(median(samples[id].rss)), undefined, null, 'median'))
  }
  rmSync(home, { recursive: true, force: true })
  const spread = Object.fromEntries(
    COMMANDS.map((c) => {
      const s = [...samples[c.id].ms].sort((a, b) => a - b)
      return [c.id, { min: s[0], median: med[c.id], max: s[s.length - 1] }]
    }),
  )
  return { rows, spread, samples }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows, spread } = await runStartup({ log: console.error })
  printRows(rows)
  for (const [id, s] of Object.entries(spread)) console.log(`  ${id.padEnd(13)} min ${fmtMs(s.min)}  median ${fmtMs(s.median)}  max ${fmtMs(s.max)}`)
}
