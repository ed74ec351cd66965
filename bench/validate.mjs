// Validation speed against the size of app.yaml: `shipit validate -f FILE` (the built CLI, a cold
// process, as a user or a CI hook runs it) on manifests of 1 to 40,000 env keys with one environment
// overlay (40,000 short keys are about 700 KB, under the 1 MiB limit). Goal: 10,000 keys in under 1 s, and time that grows linearly with the keys (quadratic
// growth, as the YAML parser's own duplicate-key check gave, makes 4× the keys cost 16× the time).
// `node bench/validate.mjs` runs it alone. Environment: BENCH_VALIDATE_RUNS (median of, default 3).
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BIN, cleanEnv, fmtMs, fmtX, median, printRows, ROOT, row, TIME, tempDir } from './lib.mjs'

const SIZES = [1, 10_000, 20_000, 40_000]
const GOAL_KEYS = 10_000
const GOAL_MS = 1000
/** 4× the keys: linear is 4×; allow start-up noise, refuse anything near quadratic (16×). */
const GOAL_GROWTH = 6

/** A valid ecs manifest with `keys` env variables and a prod overlay that changes a few of them. */
export function manifestWithKeys(keys) {
  const lines = ['name: big', 'region: us-west-2', 'target: ecs', 'container:', '  image: public.ecr.aws/nginx/nginx:1.27', 'env:']
  // short lines, so that 40,000 keys stay under the 1 MiB a manifest may have; every 10th interpolated
  for (let i = 0; i < keys; i++) lines.push(i % 10 ? `  K${i}: v${i}` : `  K${i}: "\${env:U${i % 7}:-d}"`)
  lines.push('environments:', '  prod:', '    env:', '      K0: changed', '    container: { count: 3 }')
  return `${lines.join('\n')}\n`
}

export async function runValidate({ runs = Number(process.env.BENCH_VALIDATE_RUNS ?? 3), log = () => {} } = {}) {
  const dir = tempDir('validate')
  const home = tempDir('home')
  const env = cleanEnv(home)
  const medians = {}
  try {
    for (const keys of SIZES) {
      const file = join(dir, `app-${keys}.yaml`)
      const text = manifestWithKeys(keys)
      writeFileSync(file, text)
      const ms = []
      const cpuMs = []
      for (let i = 0; i < runs; i++) {
        const r = validateOnce(file, env, join(dir, 'time.out'))
        if (r.code !== 0) throw new Error(`validate of ${keys} keys exited ${r.code}: ${r.stderr.trim().split('\n')[0]}`)
        ms.push(r.ms)
        if (r.cpuMs !== undefined) cpuMs.push(r.cpuMs)
      }
      medians[keys] = { ms: median(ms), cpuMs: cpuMs.length ? median(cpuMs) : undefined, bytes: Buffer.byteLength(text) }
      log(`  ${keys} keys: ${fmtMs(medians[keys].ms)}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  }
  const busy = loadavg()[0] > cpus().length
  const start = medians[1].ms
  const rows = [row('validate', 'shipit validate, 1 key (start-up)', fmtMs(start), undefined, null, `median of ${runs}`)]
  for (const keys of SIZES.slice(1)) {
    const m = medians[keys]
    const perKey = ((m.ms - start) * 1000) / keys
    const figure = `shipit validate, ${keys.toLocaleString('en-US')} keys (${(m.bytes / 1024).toFixed(0)} KB)`
    const cpu = m.cpuMs === undefined ? '' : `; CPU ${fmtMs(m.cpuMs)}`
    const note = `${perKey.toFixed(1)} µs a key after start-up${cpu}${busy ? `; busy machine: load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores` : ''}`
    if (keys === GOAL_KEYS) rows.push(row('validate', figure, fmtMs(m.ms), `< ${fmtMs(GOAL_MS)}`, m.ms < GOAL_MS, note))
    else rows.push(row('validate', figure, fmtMs(m.ms), undefined, null, note))
  }
  const growth = (medians[40_000].ms - start) / Math.max(1, medians[10_000].ms - start)
  rows.push(
    row(
      'validate',
      'growth from 10,000 to 40,000 keys (start-up taken off)',
      fmtX(growth),
      `≤ ${GOAL_GROWTH}× (linear 4×, quadratic 16×)`,
      growth <= GOAL_GROWTH,
    ),
  )
  return { rows }
}

/** One cold `shipit validate -f FILE`: wall time, and user + system CPU time from /usr/bin/time when it is there. */
function validateOnce(file, env, timeFile) {
  const args = [BIN, 'validate', '-f', file]
  const started = process.hrtime.bigint()
  const r = TIME
    ? spawnSync(TIME, ['-f', '%U %S', '-o', timeFile, process.execPath, ...args], { env, cwd: ROOT, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, cwd: ROOT, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  let cpuMs
  if (TIME) {
    const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number)
    cpuMs = (user + system) * 1000
  }
  return { code: r.status, stderr: r.stderr ?? '', ms, cpuMs }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runValidate({ log: (m) => process.stderr.write(`${m}\n`) })
  printRows(rows)
}
