import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, ROOT, type Run } from '../helpers/cli.js'

/** A copy of the package (its own dist/) whose build and runs touch nothing of the checkout's. */
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-build-'))
  for (const f of ['package.json', 'bin', 'templates', 'scripts']) cpSync(join(ROOT, f), join(dir, f), { recursive: true })
  for (const f of ['src', 'node_modules', 'examples']) symlinkSync(join(ROOT, f), join(dir, f))
  return dir
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  const started = Date.now()
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr, ms: Date.now() - started }))
  })
}

const build = (dir: string) => run(process.execPath, [join(dir, 'scripts/build.mjs'), dir], dir)
const plan = (dir: string) =>
  run(process.execPath, [join(dir, 'bin/run.js'), 'plan', '--offline', '--target', 'lambda', '-f', 'examples/hello-lambda/app.yaml'], dir)

describe('the build (npm run build, and npm test before the suite)', () => {
  it('leaves a shipit that is running from dist/ working while it rebuilds dist/ beside it', async () => {
    // given a built package copy
    const dir = packageCopy()
    expect((await build(dir)).code).toBe(0)
    // when plans run two at a time for as long as a second build runs (and one after)
    let building = true
    const rebuilt = build(dir).finally(() => (building = false))
    const runs: Run[] = []
    const keepPlanning = async () => {
      while (building || runs.length < 4) runs.push(await plan(dir))
    }
    await Promise.all([keepPlanning(), keepPlanning()])
    // then the build succeeded and every plan did too: none met a missing or half-written file
    expect((await rebuilt).code).toBe(0)
    for (const r of runs) {
      expect(r.stderr).not.toContain('MODULE_NOT_FOUND')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('+ lambda:function hello-dev')
    }
  }, 60_000)

  it('without it, bin/run.js says that dist/ is missing and how to build it, exit 1 (npm ci --omit=dev cannot build)', async () => {
    const r = await run(process.execPath, [join(packageCopy(), 'bin/run.js'), '--version'], ROOT)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'Error: shipit is not built: dist/ is missing\n  → in a clone: npm ci && npm run build (the build needs the dev dependencies)\n  → or install the package: npm install -g shipit-*.tgz (npm pack builds it)\n',
    )
  })
})
