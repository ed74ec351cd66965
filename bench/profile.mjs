// Where the cold start goes: `node --cpu-prof bin/run.js validate …` a few times, self time of the
// sampled functions summed by where their code lives (a package under node_modules, shipit's dist/,
// Node's module loader, other Node internals, V8's "(program)" and "(garbage collector)").
// Information only: it has no goal. `node bench/profile.mjs [runs] [command args…]`
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BIN, cleanEnv, fmtMs, ROOT, tempDir, timed } from './lib.mjs'

function bucketOf(url, fn) {
  if (!url) return fn.startsWith('(') ? fn : '(native/V8)'
  if (url.startsWith('node:internal/modules') || url.includes('internal/modules/')) return 'node: module loader'
  if (url.startsWith('node:') || !url.includes('/')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (nm) return nm[1]
  const own = url.match(/\/work\/[^/]+\/(dist|src|bin)\//) ?? url.match(/\/(dist|bin)\//)
  if (own) return `shipit ${own[1]}/`
  return url
}

function fileOf(url) {
  return url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '')
}

export async function runProfile({ runs = 3, args = ['validate', '-f', 'examples/hello-lambda/app.yaml'] } = {}) {
  const dir = tempDir('cpuprof')
  const home = tempDir('home')
  const env = cleanEnv(home)
  const wall = []
  for (let i = 0; i < runs; i++) {
    const r = await timed(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, ...args], { env, rss: false })
    wall.push(r.ms)
  }
  const byBucket = new Map()
  const byFile = new Map()
  const byFn = new Map()
  const inclusive = new Map()
  let total = 0
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  for (const f of files) {
    const prof = JSON.parse(readFileSync(join(dir, f), 'utf8'))
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]))
    const parent = new Map()
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    for (let i = 0; i < prof.samples.length; i++) {
      const n = nodes.get(prof.samples[i])
      const us = prof.timeDeltas[i] ?? 0
      if (!n || n.callFrame.functionName === '(idle)') continue
      total += us
      const b = bucketOf(n.callFrame.url, n.callFrame.functionName)
      byBucket.set(b, (byBucket.get(b) ?? 0) + us)
      const file = n.callFrame.url ? fileOf(n.callFrame.url) : n.callFrame.functionName || '(anonymous native)'
      byFile.set(file, (byFile.get(file) ?? 0) + us)
      const fn = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`
      byFn.set(fn, (byFn.get(fn) ?? 0) + us)
      // inclusive: every package or shipit directory with a frame on the stack (module loading included)
      const seen = new Set()
      for (let id = n.id; id !== undefined; id = parent.get(id)) {
        const f = nodes.get(id).callFrame
        if (f.url && !f.url.startsWith('node:') && f.url.includes('/')) seen.add(bucketOf(f.url, f.functionName))
      }
      for (const b of seen) inclusive.set(b, (inclusive.get(b) ?? 0) + us)
    }
  }
  rmSync(dir, { recursive: true, force: true })
  rmSync(home, { recursive: true, force: true })
  const top = (m, k) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => ({ name, ms: us / 1000 / files.length, share: us / total }))
  return {
    command: `shipit ${args.join(' ')}`,
    runs: files.length,
    wall,
    sampledMs: total / 1000 / Math.max(1, files.length),
    buckets: top(byBucket, 12),
    files: top(byFile, 10),
    functions: top(byFn, 10),
    inclusive: top(inclusive, 10),
  }
}

export function printProfile(p, out = console.log) {
  out(`  ${p.command}: ${p.runs} profiled runs, ${fmtMs(p.sampledMs)} of sampled CPU a run (busy, idle excluded)`)
  out('  self time by where the code lives:')
  for (const b of p.buckets) out(`    ${(b.share * 100).toFixed(1).padStart(5)}%  ${fmtMs(b.ms).padStart(7)}  ${b.name}`)
  out('  self time by file:')
  for (const b of p.files) out(`    ${(b.share * 100).toFixed(1).padStart(5)}%  ${fmtMs(b.ms).padStart(7)}  ${b.name}`)
  out('  self time by function:')
  for (const b of p.functions) out(`    ${(b.share * 100).toFixed(1).padStart(5)}%  ${fmtMs(b.ms).padStart(7)}  ${b.name}`)
  out('  inclusive time (a frame of it on the stack, the modules it loads included):')
  for (const b of p.inclusive) out(`    ${(b.share * 100).toFixed(1).padStart(5)}%  ${fmtMs(b.ms).padStart(7)}  ${b.name}`)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [runs, ...args] = process.argv.slice(2)
  printProfile(await runProfile({ runs: runs ? Number(runs) : 3, ...(args.length ? { args } : {}) }))
}
