#!/usr/bin/env node
// `npm run bench [-- section…]`: the performance figures of issue 6, each next to its goal.
// Sections: calls latency tutorial startup imports compare pack validate profile (default: all, in that order).
// It reports; it is not a test: goals that fail print FAIL and the exit code stays 0. Exit 2 means a
// section could not run at all (the bench or the build is broken), after everything else has run.
// Environment: BENCH_ROUNDS (cold start rounds, default 10), BENCH_PACK_RUNS (3), BENCH_LATENCY_RUNS (3),
// BENCH_PACK_DIR (where the packaging trees go), BENCH_BUILD=1 (rebuild dist/ even if it looks fresh).
import { execSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fmtMs, fmtX, printRows, ROOT, row, runJsonChild } from './lib.mjs'

const started = performance.now()
const ALL = ['calls', 'latency', 'tutorial', 'startup', 'imports', 'compare', 'pack', 'validate', 'profile']
const wanted = process.argv.slice(2).filter((a) => ALL.includes(a))
const sections = wanted.length ? wanted : ALL
const progress = (m) => process.stderr.write(`${m}\n`)

function newest(dir) {
  let t = 0
  if (!existsSync(dir)) return 0
  for (const d of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) t = Math.max(t, statSync(join(d.parentPath ?? d.path, d.name)).mtimeMs)
  }
  return t
}

function ensureBuilt() {
  const missing = !existsSync(join(ROOT, 'dist')) || !existsSync(join(ROOT, 'oclif.manifest.json'))
  if (missing || process.env.BENCH_BUILD === '1') {
    progress(missing ? 'dist/ is missing: npm run build' : 'BENCH_BUILD=1: npm run build')
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`)
    return 'built now'
  }
  if (newest(join(ROOT, 'src')) > newest(join(ROOT, 'dist'))) return 'STALE: src/ changed after the last build; run `npm run build` (or BENCH_BUILD=1)'
  return 'up to date'
}

function machine() {
  const c = cpus()
  let commit = ''
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim()
    if (execSync('git status --porcelain -- src bin package.json', { cwd: ROOT, encoding: 'utf8' }).trim()) commit += ' + uncommitted changes'
  } catch {}
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${process.platform} ${process.arch}, Node ${process.version}${commit ? `, shipit ${commit}` : ''}`
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

const tsx = (script) => runJsonChild(['--import', 'tsx', join(ROOT, 'bench', script)], { timeoutMs: 150_000 })

const SECTIONS = {
  async calls() {
    const { results } = tsx('calls.ts')
    const rows = []
    const details = []
    for (const r of results) {
      const split = `observe ${r.observeReads}, apply ${r.applyReads}`
      if (r.runsByDesign) {
        rows.push(
          row(
            '3 calls',
            `redeploy: ${r.label}`,
            `${r.reads} reads (${split}) + ${r.mutating.join(', ')}`,
            '≤ 10 reads',
            r.reads <= 10,
            'task mode runs its task again on every deploy by design: reads only are counted',
          ),
        )
      } else {
        const pass = r.status === 'no-changes' && r.mutating.length === 0 && r.reads <= 10
        rows.push(
          row(
            '3 calls',
            `no-change redeploy: ${r.label}`,
            `${r.mutating.length} mutating, ${r.reads} reads (${split})`,
            '0 mutating, ≤ 10 reads',
            pass,
            r.status === 'no-changes' ? undefined : `status ${r.status}: ${r.steps.join(', ')}`,
          ),
        )
      }
      details.push(
        `${r.label}: first deploy ${r.firstStatus} in ${r.firstCalls} calls${r.betweenMutating.length ? `; then ${r.betweenMutating.join(', ')}` : ''}; redeploy reads ${r.readOps.join(' ')}${r.mutating.length ? `; mutating ${r.mutating.join(' ')}` : ''}`,
      )
    }
    return { rows, details }
  },

  async latency() {
    const { results } = tsx('latency.ts')
    const rows = []
    const details = []
    for (const r of results) {
      const walls = r.runs.map((x) => x.wallMs).sort((a, b) => a - b)
      const wall = walls[walls.length >> 1]
      const x = r.runs[0]
      const chain = x.observeDepth + x.dagChain + x.outputsDepth
      const goal = 1.2 * chain * r.latencyMs
      const steady = r.runs.every((y) => y.observeDepth + y.dagChain + y.outputsDepth === chain)
      rows.push(
        row(
          '4 latency',
          `${r.label}, ${r.latencyMs} ms a call`,
          `${fmtMs(wall)} · chain ${chain} (observe ${x.observeDepth} + steps ${x.dagChain} + outputs ${x.outputsDepth}) · ${x.observeCalls + x.applyCalls} calls`,
          `≤ 1.2 × ${chain} × ${r.latencyMs} ms = ${fmtMs(goal)}`,
          wall <= goal,
          `median of ${r.runs.length}; ${fmtX(wall / (chain * r.latencyMs))} the chain${steady ? '' : '; the chain varied between runs'}`,
        ),
      )
      details.push(
        `${r.label}: plan ${fmtMs(x.planMs)} (${x.observeCalls} reads, depth ${x.observeDepth}), apply ${fmtMs(x.applyMs)} (${x.steps} steps, ${x.applyCalls - x.outputCalls} calls, measured depth ${x.stepDepthMeasured} vs DAG ${x.dagChain}${x.outputCalls ? `; then outputs ${x.outputOps.join(' → ')}` : ''}); longest path ${x.dagPath.join(' → ')}; walls ${walls.map(fmtMs).join(', ')}`,
      )
    }
    return { rows, details }
  },

  async tutorial() {
    const r = runJsonChild(['--import', 'tsx', join(ROOT, 'bench', 'tutorial.ts')], { timeoutMs: 600_000 })
    const { cli, sdk } = r
    const rows = [
      row(
        '22 critical path',
        `lambda fresh deploy vs the tutorial's aws CLI flow, processes on one endpoint, ${r.latencyMs} ms a call`,
        `${fmtMs(cli.shipitMs)} vs ${fmtMs(cli.tutorialMs)} = ${fmtX(r.ratio)}`,
        '≤ 0.3×',
        r.ratio <= 0.3,
        `median of ${r.runs}; \`shipit deploy --yes\` (${cli.shipitCalls} calls, the lock's included) vs ${cli.commands} aws commands (${cli.tutorialCalls} calls)`,
      ),
      row(
        '22 critical path',
        'the same in-process: SDK replay of the tutorial (no aws CLI start-up) vs plan + apply',
        `${fmtMs(sdk.shipitMs)} vs ${fmtMs(sdk.tutorialMs)} = ${fmtX(r.sdkRatio)}`,
        '',
        null,
        'the tutorial at its fastest: a lower bound of its time',
      ),
    ]
    const details = [
      `processes: shipit ${cli.shipitAll.map(fmtMs).join(', ')}; tutorial ${cli.tutorialAll.map(fmtMs).join(', ')}; shipit's first deploy in an account (creates the lock table) ${fmtMs(cli.firstInAccountMs)}`,
      `one aws command of one call (aws sts get-caller-identity, 0 ms) ${fmtMs(cli.awsCommandMs)}; shipit --version ${fmtMs(cli.startupMs)}; load average ${load()}`,
      `in-process: shipit ${sdk.shipitAll.map(fmtMs).join(', ')}; tutorial ${sdk.tutorialAll.map(fmtMs).join(', ')}`,
    ]
    return { rows, details }
  },

  async startup() {
    const { runStartup } = await import('./startup.mjs')
    const { rows, spread } = await runStartup({ rounds: Number(process.env.BENCH_ROUNDS ?? 10), log: progress })
    const details = Object.entries(spread).map(([id, s]) => `${id}: min ${fmtMs(s.min)}, median ${fmtMs(s.median)}, max ${fmtMs(s.max)}`)
    return { rows, details }
  },

  async imports() {
    const { runImports } = await import('./imports.mjs')
    const { rows } = await runImports()
    return { rows }
  },

  async compare() {
    const { runCompareBench } = await import('./compare.mjs')
    return runCompareBench({ rounds: Number(process.env.BENCH_ROUNDS ?? 10), log: progress })
  },

  async pack() {
    const { runPack } = await import('./pack.mjs')
    const r = await runPack({ log: progress })
    return { rows: r.rows, details: [] }
  },

  async validate() {
    const { runValidate } = await import('./validate.mjs')
    const { rows } = await runValidate({ log: progress })
    return { rows }
  },

  async profile() {
    const { runProfile, printProfile } = await import('./profile.mjs')
    const p = await runProfile({ runs: 2 })
    const lines = []
    printProfile(p, (l) => lines.push(l.replace(/^ {2}/, '')))
    return { rows: [], details: lines }
  },
}

const TITLES = {
  calls: '3. Calls of a no-change redeploy (in-memory fake)',
  latency: '4. Latency: fresh deploys with 100 ms a call (in-memory fake)',
  tutorial:
    "Issue 22: a lambda fresh deploy against the classic tutorial's aws CLI flow by hand (the in-memory fake behind a loopback endpoint, 100 ms a call)",
  startup: '1, 2, 6. Cold start, offline plan, peak RSS (clean env: no AWS_*, empty HOME)',
  imports: '1. AWS clients each command loads (import trace)',
  compare: '13. compare offline vs an offline plan (clean env)',
  pack: '5. Packaging',
  validate: 'Validation speed against the number of keys in app.yaml (issue 15)',
  profile: 'Cold start profile of `shipit validate` (information: node --cpu-prof)',
}

console.log(`shipit bench — ${new Date().toISOString()}`)
console.log(`machine: ${machine()}`)
console.log(`load average at start: ${load()}`)
let broken = false
try {
  console.log(`dist/: ${ensureBuilt()}`)
} catch (err) {
  console.log(`dist/: ${err.message}`)
  broken = true
}

const all = []
for (const name of sections) {
  const t0 = performance.now()
  console.log(`\n${TITLES[name]}`)
  try {
    const { rows, details = [] } = await SECTIONS[name]()
    printRows(rows)
    for (const d of details) console.log(`    ${d}`)
    all.push(...rows)
  } catch (err) {
    broken = true
    const r = row(name, `${name} could not run`, String(err?.message ?? err).split('\n')[0], 'runs', false)
    printRows([r])
    console.log(
      String(err?.stack ?? err)
        .split('\n')
        .slice(0, 12)
        .map((l) => `    ${l}`)
        .join('\n'),
    )
    all.push(r)
  }
  console.log(`  (${fmtMs(performance.now() - t0)})`)
}

console.log('\nSummary')
for (const section of [...new Set(all.map((r) => r.section))]) {
  console.log(`  [${section}]`)
  printRows(all.filter((r) => r.section === section))
}
const pass = all.filter((r) => r.pass === true).length
const fail = all.filter((r) => r.pass === false).length
console.log(`\n${pass} PASS, ${fail} FAIL in ${fmtMs(performance.now() - started)}; load average at the end: ${load()}`)
process.exit(broken ? 2 : 0)
