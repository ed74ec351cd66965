// Shared helpers of the benchmarks: timing child processes, medians, a clean environment, formatting.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'run.js')
export const TIME = process.env.BENCH_NO_TIME ? undefined : existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
export const ZIP = existsSync('/usr/bin/zip') ? '/usr/bin/zip' : undefined

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `shipit-bench-${prefix}-`))
}

/**
 * The environment of a user with no AWS configuration at all: no AWS_* variables, an empty HOME
 * (no ~/.aws), and the instance metadata service off so the SDK's credential chain ends at once.
 */
export function cleanEnv(home, extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('NODE_') || k === 'HOME' || k === 'XDG_CONFIG_HOME' || k === 'XDG_DATA_HOME' || k === 'XDG_CACHE_HOME') continue
    // npm run sets npm_* variables; oclif reads some of them (npm_lifecycle_event…), a user's shell has none
    if (k.startsWith('npm_')) continue
    env[k] = v
  }
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', ...extra }
}

/**
 * Run a command, resolve with its wall time in ms (from spawn to exit), exit code, output and peak RSS
 * in KB: from /usr/bin/time -f %M when it is installed (the wrapper costs the same ~1 ms for every
 * command measured, the baseline included), else, for node commands, from bench/rss-preload.mjs.
 */
export function timed(cmd, args, { env = process.env, cwd = ROOT, rss = true } = {}) {
  const rssFile = rss ? join(tmpdir(), `shipit-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined
  let file = cmd
  let argv = args
  if (rssFile && TIME) [file, argv] = [TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]]
  else if (rssFile && cmd === process.execPath) {
    argv = ['--import', pathToFileURL(join(ROOT, 'bench', 'rss-preload.mjs')).href, ...args]
    env = { ...env, SHIPIT_RSS_FILE: rssFile }
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      let rssKb
      if (rssFile) {
        try {
          rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) || undefined
        } catch {}
        rmSync(rssFile, { force: true })
      }
      resolve({ ms, code, stdout, stderr, rssKb })
    })
  })
}

/** Run a node script that prints one JSON line starting with `@@bench ` and return that JSON. */
export function runJsonChild(args, { env = process.env, cwd = ROOT, timeoutMs = 120_000 } = {}) {
  const r = spawnSync(process.execPath, args, { env, cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs })
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@bench '))
  if (!line) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`
    throw new Error(`${args.join(' ')} gave no result (${why}):\n${(r.stderr ?? '').slice(-3000)}\n${(r.stdout ?? '').slice(-2000)}`)
  }
  return JSON.parse(line.slice('@@bench '.length))
}

export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
export const fmtMb = (kb) => `${(kb / 1024).toFixed(1)} MB`
export const fmtX = (x) => `${x.toFixed(2)}×`

/** A result row: what was measured, the figure, the goal, and whether the figure meets it (null = information only). */
export function row(section, figure, value, goal, pass, note) {
  return { section, figure, value, goal, pass, ...(note ? { note } : {}) }
}

export function printRows(rows, out = console.log) {
  const w = [0, 0, 0]
  for (const r of rows) {
    w[0] = Math.max(w[0], r.figure.length)
    w[1] = Math.max(w[1], String(r.value).length)
    w[2] = Math.max(w[2], String(r.goal ?? '').length)
  }
  for (const r of rows) {
    const verdict = r.pass === true ? 'PASS' : r.pass === false ? 'FAIL' : 'info'
    out(`  ${verdict.padEnd(4)}  ${r.figure.padEnd(w[0])}  ${String(r.value).padEnd(w[1])}  ${r.goal ? `goal ${r.goal}` : ''}${r.note ? `  (${r.note})` : ''}`)
  }
}
