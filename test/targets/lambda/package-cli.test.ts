import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanEnv, RUN, type Run, shipit } from '../../helpers/cli.js'
import { emptyAccount, type LoopbackStub, startStub } from '../../helpers/loopback.js'

// Issue 15 item 3 as a user meets it: `shipit deploy` on a source that reaches outside. Each run has
// credentials and an endpoint that records every request, so "no AWS call" is checked, not assumed.
// Needs the built CLI (`npm run build`).

const APP = (extra = '') => `name: pkg\nregion: us-west-2\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n${extra}`

function app(yaml = APP()): { dir: string; src: string; home: string } {
  const base = mkdtempSync(join(tmpdir(), 'shipit-pkgcli-'))
  const home = join(base, 'home')
  mkdirSync(join(home, '.aws'), { recursive: true })
  writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n')
  const dir = join(base, 'app')
  const src = join(dir, 'src')
  mkdirSync(src, { recursive: true })
  writeFileSync(join(dir, 'app.yaml'), yaml)
  writeFileSync(join(src, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
  return { dir, src, home }
}

let stub: LoopbackStub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

async function deploy(dir: string, home: string): Promise<Run & { requests: number; ms: number }> {
  stub = await startStub((req) => emptyAccount(req))
  const env = cleanEnv({ HOME: home, AWS_ACCESS_KEY_ID: 'pkg-test-key-id', AWS_SECRET_ACCESS_KEY: 'pkg-test-secret', AWS_REGION: 'us-west-2' })
  const started = Date.now()
  const run = await shipit(['deploy', '--target', 'lambda', '--yes', '-f', join(dir, 'app.yaml'), '--endpoint-url', stub.url], { env, timeoutMs: 30_000 })
  return { ...run, requests: stub.requests.length, ms: Date.now() - started }
}

function expectRefusedBeforeAws(r: Run & { requests: number }) {
  expect(r.code).toBe(3)
  expect(r.requests).toBe(0)
  expect(r.stdout).toBe('')
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(r.stderr).not.toContain('looks like a bug')
}

describe('shipit deploy refuses a source that reaches outside (exit 3, no AWS call)', () => {
  it('a symlink to the shared credentials file and one to /proc/self/environ are named', async () => {
    const { dir, src, home } = app()
    symlinkSync(join(home, '.aws', 'credentials'), join(src, 'config.ini'))
    symlinkSync('/proc/self/environ', join(src, 'env.txt'))
    const r = await deploy(dir, home)
    expectRefusedBeforeAws(r)
    expect(r.stderr).toContain(`config.ini -> ${join(home, '.aws', 'credentials')}`)
    expect(r.stderr).toContain('env.txt -> /proc/self/environ')
    expect(r.stderr).not.toContain('fake-outside-secret')
  })

  it('a hard link to the shared credentials file (issue 18 item 8) is named, its content never shown', async () => {
    const { dir, src, home } = app()
    linkSync(join(home, '.aws', 'credentials'), join(src, 'config.ini'))
    const r = await deploy(dir, home)
    expectRefusedBeforeAws(r)
    expect(r.stderr).toContain(`config.ini (a hard link to ${join(home, '.aws', 'credentials')})`)
    expect(r.stderr).not.toContain('fake-outside-secret')
  })

  it('a source of ../../.. is outside the app directory', async () => {
    const { dir, home } = app(APP().replace('function:\n', 'function:\n  source: ../../..\n'))
    const r = await deploy(dir, home)
    expectRefusedBeforeAws(r)
    expect(r.stderr).toContain('function.source ../../.. is /')
    expect(r.stderr).toContain('function.allowSourceOutsideApp: true')
  })

  it('a system directory named absolutely is outside the app directory', async () => {
    const { dir, home } = app(APP().replace('function:\n', 'function:\n  source: /etc\n'))
    const r = await deploy(dir, home)
    expectRefusedBeforeAws(r)
    expect(r.stderr).toContain("function.source /etc is /etc, outside the app's directory")
  })

  for (const [where, link, target] of [
    ['to the app directory', 'up', '..'],
    ['back into the source', 'lib/up', '..'],
  ] as const) {
    it(`a symlink loop ${where} (${link} -> ${target}) exits within seconds`, async () => {
      const { dir, src, home } = app()
      mkdirSync(join(src, 'lib'), { recursive: true })
      symlinkSync(target, join(src, link))
      const r = await deploy(dir, home)
      expectRefusedBeforeAws(r)
      expect(r.stderr).toContain(`${link} -> ${target}`)
      expect(r.ms).toBeLessThan(15_000)
    })
  }

  it('a FIFO and a name that is not valid UTF-8 are named', async () => {
    const { dir, src, home } = app()
    execFileSync('mkfifo', [join(src, 'events.pipe')])
    writeFileSync(Buffer.concat([Buffer.from(`${src}/r`), Buffer.from([0xe9, 0xff]), Buffer.from('sum.txt')]), 'x')
    const r = await deploy(dir, home)
    expectRefusedBeforeAws(r)
    expect(r.stderr).toContain('events.pipe (a FIFO)')
    expect(r.stderr).toContain('r\\xe9\\xffsum.txt')
    expect(r.stderr).not.toContain('ENOENT')
  })
})

describe('a signal while packaging', () => {
  /**
   * An app whose zip takes seconds: 48 MB of random bytes, which deflate slowly. Each file starts with
   * zeros, so the sample zip.ts takes of a big file compresses and the whole file is deflated.
   */
  function bigApp() {
    const { dir, src, home } = app()
    for (let i = 0; i < 12; i++) writeFileSync(join(src, `blob${i}.bin`), Buffer.concat([Buffer.alloc(256 * 1024), randomBytes(4 * 1024 * 1024)]))
    return { dir, home }
  }

  /** Deploy `dir`; at the first request (the files are listed, the zip is being built) send `signals`. */
  async function signalWhilePacking(dir: string, home: string, signals: NodeJS.Signals[]) {
    let firstRequest!: () => void
    const reached = new Promise<void>((resolve) => (firstRequest = resolve))
    stub = await startStub((req) => {
      firstRequest()
      return emptyAccount(req)
    })
    const env = cleanEnv({ HOME: home, AWS_ACCESS_KEY_ID: 'pkg-test-key-id', AWS_SECRET_ACCESS_KEY: 'pkg-test-secret', AWS_REGION: 'us-west-2' })
    const child = spawn(process.execPath, [RUN, 'deploy', '--target', 'lambda', '--yes', '-f', join(dir, 'app.yaml'), '--endpoint-url', stub.url], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    let signalledAt = 0
    reached.then(() => {
      signalledAt = Date.now()
      for (const s of signals) child.kill(s)
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearTimeout(timer)
    return {
      code,
      stdout,
      stderr,
      afterSignalMs: Date.now() - signalledAt,
      // the app's writes: the deploy lock (dynamodb) is taken before the zip is built, and released on the way out
      writes: stub.requests.filter((r) => !/^(Get|List|Describe)/.test(r.operation) && r.service !== 'dynamodb').length,
    }
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} ends it with exit 130, before the plan, sending nothing`, async () => {
      const { dir, home } = bigApp()
      const r = await signalWhilePacking(dir, home, [signal])
      expect(r.code).toBe(130)
      // before the apply only reads and local work are in flight: the command ends at once
      expect(r.stderr).toContain(`${signal}: stopped before anything was changed`)
      // the plan was never shown: the zip did not run to its end
      expect(r.stderr).not.toContain('Plan:')
      expect(r.stdout).toBe('')
      expect(r.writes).toBe(0)
      expect(r.afterSignalMs).toBeLessThan(10_000)
    })
  }

  it('a second signal ends the process at once', async () => {
    const { dir, home } = bigApp()
    const r = await signalWhilePacking(dir, home, ['SIGTERM', 'SIGTERM'])
    expect(r.code).toBe(130)
    expect(r.writes).toBe(0)
  })
})
