import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanEnv, RUN } from '../helpers/cli.js'
import { emptyAccount, type LoopbackStub, startStub } from '../helpers/loopback.js'

const READ = /^(Get|List|Describe|Filter)/

/** Run the built CLI and send `signal` to it when the first write reaches the endpoint. */
function deployAndSignal(dir: string, stub: LoopbackStub, signal: NodeJS.Signals, firstWrite: Promise<void>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const env = cleanEnv({ AWS_ACCESS_KEY_ID: 'interrupt-test-key-id', AWS_SECRET_ACCESS_KEY: 'interrupt-test-secret', AWS_REGION: 'us-west-2' })
    const child = spawn(process.execPath, [RUN, 'deploy', '--target', 'lambda', '--yes', '-f', join(dir, 'app.yaml'), '--endpoint-url', stub.url], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    firstWrite.then(() => child.kill(signal))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('interrupting a deploy (the real process, real signals)', () => {
  let stub: LoopbackStub | undefined
  afterEach(async () => stub?.close())

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the calls in flight finish, nothing new starts, exit 130 with what was and was not done`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shipit-interrupt-'))
      mkdirSync(join(dir, 'src'))
      writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({})\n')
      writeFileSync(join(dir, 'app.yaml'), 'name: intr\nregion: us-west-2\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n')
      let firstWrite!: () => void
      const wrote = new Promise<void>((r) => (firstWrite = r))
      let writesAfterSignal = 0
      let signalled = false
      wrote.then(() => setTimeout(() => (signalled = true), 50))
      stub = await startStub(async (req) => {
        // the deploy lock's calls (DynamoDB) are not the app's writes: the signal comes at the first change of the app
        if (READ.test(req.operation) || req.operation === 'GetCallerIdentity' || req.service === 'dynamodb') return emptyAccount(req)
        if (signalled) writesAfterSignal++
        firstWrite()
        // the writes in flight when the signal comes take a while, then fail: they are not what stops the deploy
        await new Promise((r) => setTimeout(r, 800))
        return emptyAccount(req)
      })
      const r = await deployAndSignal(dir, stub, signal, wrote)
      expect(r.code).toBe(130)
      expect(r.stderr).toContain(`${signal}: finishing the call in flight, then stopping`)
      expect(r.stderr).toMatch(/deploy interrupted/)
      expect(r.stderr).toMatch(/not done \(\d+\)/)
      expect(r.stderr).toContain('run the same command again')
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
      expect(writesAfterSignal).toBe(0)
      // and the lock was released on the way out
      expect(stub.requests.at(-1)).toMatchObject({ service: 'dynamodb', operation: 'DeleteItem' })
    })
  }
})
