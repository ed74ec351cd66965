/**
 * The lock with real processes and real signals: built CLIs share one lock table (the in-memory
 * DynamoDB over a loopback endpoint), as pipelines on different machines share one in AWS.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOCK_TABLE, lockKey } from '../../src/lock/requests.js'
import { cleanEnv, RUN } from '../helpers/cli.js'
import { loopbackDynamoDb } from '../helpers/lock-loopback.js'
import { emptyAccount, type LoopbackStub, type StubReply, type StubRequest, startStub } from '../helpers/loopback.js'

const READ = /^(Get|List|Describe|Filter)/
const KEY = lockKey({ app: 'locked', env: 'dev' })
/** a short lease, so that a killed holder is waited out in seconds */
const LEASE_SECONDS = 2

function app(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-lock-'))
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({})\n')
  writeFileSync(join(dir, 'app.yaml'), 'name: locked\nregion: us-west-2\ntarget: lambda\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n')
  return dir
}

interface Running {
  child: ChildProcess
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

function cli(args: string[], dir: string, stub: LoopbackStub): Running {
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: 'lock-test-key-id',
    AWS_SECRET_ACCESS_KEY: 'lock-test-secret',
    AWS_REGION: 'us-west-2',
    SHIPIT_LOCK_LEASE_SECONDS: String(LEASE_SECONDS),
  })
  const child = spawn(process.execPath, [RUN, ...args, '-f', join(dir, 'app.yaml'), '--endpoint-url', stub.url], { env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const done = new Promise<Awaited<Running['done']>>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    }),
  )
  return { child, done }
}

/** A stub where the lock table is shared and what is not the lock's is answered by `rest` (default: an empty account). */
async function account(rest: (req: StubRequest) => StubReply | Promise<StubReply> = emptyAccount) {
  const dynamodb = loopbackDynamoDb()
  const stub = await startStub((req) => (req.service === 'dynamodb' ? dynamodb.handle(req) : rest(req)), { maxRequests: 500 })
  const lockItem = () => dynamodb.state.tables.get(LOCK_TABLE)?.items.get(KEY)
  const lockWrites = () => stub.requests.filter((r) => r.service === 'dynamodb' && !READ.test(r.operation))
  return { stub, lockItem, lockWrites }
}

const firstAppWrite = (req: StubRequest) => req.service !== 'dynamodb' && !READ.test(req.operation) && req.operation !== 'GetCallerIdentity'

describe('the deploy lock across processes', () => {
  let stub: LoopbackStub | undefined
  afterEach(async () => stub?.close())

  it('a deploy killed with SIGKILL leaves its lock; the next deploy waits it out, then goes on', async () => {
    let hang = true
    let wrote!: () => void
    const firstWrite = new Promise<void>((r) => (wrote = r))
    const a = await account((req) => {
      if (!firstAppWrite(req)) return emptyAccount(req)
      wrote()
      return hang ? 'hang' : emptyAccount(req)
    })
    stub = a.stub
    const dir = app()
    const killed = cli(['deploy', '--yes'], dir, stub)
    await firstWrite
    killed.child.kill('SIGKILL')
    expect((await killed.done).signal).toBe('SIGKILL')
    expect(a.lockItem()?.holder.S).toMatch(new RegExp(`pid ${killed.child.pid}$`))

    hang = false
    const started = Date.now()
    const next = await cli(['deploy', '--yes', '--lock-timeout', '30'], dir, stub).done
    expect(next.stderr).toMatch(new RegExp(`waiting for the lock on locked \\(dev\\), held by .+ pid ${killed.child.pid} \\(deploy since `))
    // it went on once the lease ran out (and failed on the empty account's refusal, which is not the lock's business)
    expect(next.stderr).toContain('not authorized to perform')
    expect(Date.now() - started).toBeLessThan(LEASE_SECONDS * 1000 + 10_000)
    expect(a.lockItem()).toBeUndefined()
  })

  it('`shipit unlock --yes` removes the lock a killed deploy left, naming its holder', async () => {
    let wrote!: () => void
    const firstWrite = new Promise<void>((r) => (wrote = r))
    const a = await account((req) => {
      if (!firstAppWrite(req)) return emptyAccount(req)
      wrote()
      return 'hang'
    })
    stub = a.stub
    const dir = app()
    const killed = cli(['deploy', '--yes'], dir, stub)
    await firstWrite
    killed.child.kill('SIGKILL')
    await killed.done

    const refused = await cli(['unlock'], dir, stub).done
    expect(refused.code).toBe(3)
    expect(a.lockItem()).toBeDefined()

    const unlocked = await cli(['unlock', '--yes'], dir, stub).done
    expect(unlocked.code).toBe(0)
    expect(unlocked.stderr).toContain(`- dynamodb:item ${LOCK_TABLE} ${KEY}`)
    expect(unlocked.stderr).toMatch(new RegExp(`held by .+ pid ${killed.child.pid} \\(deploy since `))
    expect(unlocked.stdout).toMatch(/^Removed the lock of locked \(dev\) held by .+ pid \d+\.$/m)
    expect(a.lockItem()).toBeUndefined()
  })

  it('SIGINT during the apply: the call in flight finishes, the lock is released before exit 130', async () => {
    let wrote!: () => void
    const firstWrite = new Promise<void>((r) => (wrote = r))
    const a = await account(async (req) => {
      if (!firstAppWrite(req)) return emptyAccount(req)
      wrote()
      await new Promise((r) => setTimeout(r, 500))
      return emptyAccount(req)
    })
    stub = a.stub
    const run = cli(['deploy', '--yes'], app(), stub)
    await firstWrite
    expect(a.lockItem()).toBeDefined()
    run.child.kill('SIGINT')
    const r = await run.done
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/deploy interrupted/)
    expect(a.lockItem()).toBeUndefined()
    expect(a.lockWrites().at(-1)?.operation).toBe('DeleteItem')
  })

  it('SIGINT while planning (reads only): exit 130 at once, and the lock is released first', async () => {
    let reading!: () => void
    const planning = new Promise<void>((r) => (reading = r))
    const a = await account((req) => {
      // the plan's read of the function never answers
      if (req.operation === 'GetFunction') {
        reading()
        return 'hang'
      }
      return emptyAccount(req)
    })
    stub = a.stub
    const run = cli(['deploy', '--yes'], app(), stub)
    await planning
    expect(a.lockItem()).toBeDefined()
    const signalled = Date.now()
    run.child.kill('SIGINT')
    const r = await run.done
    expect(r.code).toBe(130)
    expect(Date.now() - signalled).toBeLessThan(3000)
    expect(r.stderr).toContain('stopped before anything was changed')
    expect(a.lockItem()).toBeUndefined()
  })

  it('plan and status never take the lock: one read, and a note naming the holder', async () => {
    let wrote!: () => void
    const firstWrite = new Promise<void>((r) => (wrote = r))
    const a = await account((req) => {
      if (!firstAppWrite(req)) return emptyAccount(req)
      wrote()
      return 'hang'
    })
    stub = a.stub
    const dir = app()
    const holder = cli(['deploy', '--yes'], dir, stub)
    await firstWrite
    const writesBefore = a.lockWrites().length
    const reads = () => stub!.requests.filter((r) => r.service === 'dynamodb' && READ.test(r.operation)).length
    const readsBefore = reads()

    const plan = await cli(['plan'], dir, stub).done
    expect(plan.code).toBe(0)
    expect(plan.stderr).toMatch(new RegExp(`note: locked \\(dev\\) is locked by .+ pid ${holder.child.pid} \\(deploy since .+\\): a change is under way`))
    const status = await cli(['status'], dir, stub).done
    expect(status.stderr).toMatch(/note: locked \(dev\) is locked by/)
    // the holder renewed meanwhile (UpdateItem); plan and status wrote nothing
    expect(
      a
        .lockWrites()
        .slice(writesBefore)
        .every((r) => r.operation === 'UpdateItem'),
    ).toBe(true)
    expect(reads() - readsBefore).toBe(2)
    holder.child.kill('SIGKILL')
    await holder.done
  })
})
