// Issue 13: `shipit compare` offline, without credentials, against an offline `plan` of the same app:
// goal ≤ 1.5× its time. Rounds are interleaved (the order rotates) after one untimed warm-up each, in
// the clean environment of startup.mjs. One more run under the import trace counts the AWS SDK
// modules compare loads: none without --live-prices.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BIN, cleanEnv, fmtMs, fmtX, median, printRows, ROOT, row, tempDir, timed } from './lib.mjs'

const LAMBDA = 'examples/hello-lambda/app.yaml'
const FARGATE = 'examples/hello-fargate/app.yaml'
const LOAD = ['--requests', '5M/month', '--duration', '120ms']

export async function runCompareBench({ rounds = Number(process.env.BENCH_ROUNDS ?? 10), log = () => {} } = {}) {
  const home = tempDir('home')
  const out = tempDir('chart')
  const env = cleanEnv(home)
  const commands = [
    { id: 'plan-lambda', args: [BIN, 'plan', '--target', 'lambda', '-f', LAMBDA] },
    { id: 'compare-lambda', args: [BIN, 'compare', '-f', LAMBDA, ...LOAD] },
    { id: 'plan-fargate', args: [BIN, 'plan', '--target', 'fargate', '-f', FARGATE] },
    { id: 'compare-fargate', args: [BIN, 'compare', '-f', FARGATE, ...LOAD, '--chart', join(out, 'cost.svg')] },
    { id: 'compare-json', args: [BIN, 'compare', '-f', LAMBDA, ...LOAD, '--json'] },
  ]
  const ms = Object.fromEntries(commands.map((c) => [c.id, []]))
  const failures = {}
  for (const c of commands) {
    const r = await timed(process.execPath, c.args, { env, rss: false })
    if (r.code !== 0) failures[c.id] = `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`
  }
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < commands.length; k++) {
      const c = commands[(k + i) % commands.length]
      ms[c.id].push((await timed(process.execPath, c.args, { env, rss: false })).ms)
    }
    log(`  round ${i + 1}/${rounds}`)
  }
  const med = Object.fromEntries(Object.entries(ms).map(([id, xs]) => [id, median(xs)]))
  const rows = []
  for (const [cmp, plan, label] of [
    ['compare-lambda', 'plan-lambda', 'compare hello-lambda vs plan --target lambda'],
    ['compare-fargate', 'plan-fargate', 'compare hello-fargate --chart vs plan --target fargate'],
    ['compare-json', 'plan-lambda', 'compare hello-lambda --json vs plan --target lambda'],
  ]) {
    const ratio = med[cmp] / med[plan]
    const why = failures[cmp] ?? failures[plan]
    rows.push(
      row(
        '13 compare',
        label,
        `${fmtX(ratio)} (${fmtMs(med[cmp])} vs ${fmtMs(med[plan])})`,
        '≤ 1.5× offline plan',
        !why && ratio <= 1.5,
        why ?? `medians of ${rounds}`,
      ),
    )
  }

  const trace = join(out, 'trace.txt')
  writeFileSync(trace, '')
  const preload = pathToFileURL(join(ROOT, 'bench', 'trace-imports.mjs')).href
  await timed(process.execPath, ['--import', preload, BIN, 'compare', '-f', LAMBDA, ...LOAD], { env: { ...env, SHIPIT_TRACE_FILE: trace }, rss: false })
  const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean)
  const sdk = lines.filter((l) => /@aws-sdk|@smithy/.test(l)).length
  rows.push(row('13 compare', 'AWS SDK modules loaded by compare (no --live-prices)', String(sdk), '0', sdk === 0, `${lines.length} modules resolved`))
  rmSync(home, { recursive: true, force: true })
  rmSync(out, { recursive: true, force: true })
  return { rows }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runCompareBench({ log: console.error })
  printRows(rows)
}
