// `node bench/newcomer.mjs`: a newcomer's first minute, timed. The committed HEAD is cloned into a
// temp dir, then the README's first command runs there step by step: `npm ci` with an empty npm cache
// (every package comes from the registry), `npm run build`, and the offline plan
// (`./bin/run.js deploy --target lambda --dry-run -f examples/hello-lambda/app.yaml`). Goal: ≤ 20 s from
// the clone to the plan on an idle machine; the load average is printed, since a busy machine measures
// its load. Not part of `npm run bench` (it needs the registry). BENCH_KEEP=1 keeps the temp dir;
// BENCH_REF=COMMIT times that commit instead of HEAD (a before/after on the same machine and load).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './lib.mjs'

const GOAL_S = 20
const work = mkdtempSync(join(tmpdir(), 'shipit-newcomer-'))
const clone = join(work, 'shipit')
// no AWS configuration, as on a newcomer's machine: the plan is offline
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('npm_')))
Object.assign(env, { HOME: join(work, 'home'), AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' })

function timed(label, command, args, cwd) {
  const started = performance.now()
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const s = (performance.now() - started) / 1000
  if (r.status !== 0) {
    process.stderr.write(`${label} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}\n`)
    process.exit(2)
  }
  process.stderr.write(`${label}: ${s.toFixed(1)} s\n`)
  return { s, stdout: r.stdout }
}

try {
  const load = loadavg()[0].toFixed(2)
  timed('git clone', 'git', ['clone', '--quiet', '--no-local', ROOT, clone], work)
  if (process.env.BENCH_REF) timed(`git checkout ${process.env.BENCH_REF}`, 'git', ['checkout', '--quiet', process.env.BENCH_REF], clone)
  const ci = timed('npm ci (empty cache)', 'npm', ['ci', '--no-audit', '--no-fund', '--cache', join(work, 'npm-cache')], clone)
  const build = timed('npm run build', 'npm', ['run', 'build'], clone)
  const plan = timed('first plan', process.execPath, ['bin/run.js', 'deploy', '--target', 'lambda', '--dry-run', '-f', 'examples/hello-lambda/app.yaml'], clone)
  if (!plan.stdout.includes('+ lambda:function hello-dev')) throw new Error(`the plan is not the example's:\n${plan.stdout}`)
  const total = ci.s + build.s + plan.s
  console.log(
    `fresh clone → first offline plan: ${total.toFixed(1)} s (npm ci ${ci.s.toFixed(1)} s with an empty cache, build ${build.s.toFixed(1)} s, plan ${plan.s.toFixed(1)} s); goal ≤ ${GOAL_S} s: ${total <= GOAL_S ? 'PASS' : 'FAIL'}; load average ${load} at the start, Node ${process.version}`,
  )
} finally {
  if (process.env.BENCH_KEEP !== '1') rmSync(work, { recursive: true, force: true })
}
