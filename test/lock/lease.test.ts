import { setTimeout as delay } from 'node:timers/promises'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { ShipitError } from '../../src/errors.js'
import { describeHolder } from '../../src/lock/holder.js'
import { ensureLockTable, readLock, removeLock, takeLock } from '../../src/lock/lease.js'
import { LOCK_OPERATIONS, LOCK_TABLE, lockKey } from '../../src/lock/requests.js'
import { useFakeAws } from '../helpers/fake.js'

const SCOPE = { app: 'hello', env: 'dev' }
const KEY = lockKey(SCOPE)
const clients = () => new AwsClients({ region: 'us-west-2' })

describe('the deploy lock on the in-memory DynamoDB', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  const item = () => fake.state.dynamodb.tables.get(LOCK_TABLE)?.items.get(KEY)

  it('the first lock creates the table (on demand, tagged, CREATING then ACTIVE, TTL on), then holds an item naming its holder', async () => {
    const lock = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, holder: 'ada@laptop pid 7' })
    const table = fake.state.dynamodb.tables.get(LOCK_TABLE)!
    expect(table).toMatchObject({ status: 'ACTIVE', billingMode: 'PAY_PER_REQUEST', keyAttribute: 'pk', ttl: { attribute: 'ttl', enabled: true } })
    expect(table.tags).toEqual([{ Key: 'shipit:managed', Value: 'true' }])
    // the put met a CREATING table (ResourceNotFoundException), created it, waited for ACTIVE, and put again
    expect(fake.lockCalls().map((c) => c.operation)).toEqual(['PutItem', 'CreateTable', 'DescribeTable', 'DescribeTable', 'UpdateTimeToLive', 'PutItem'])
    expect(item()).toMatchObject({ pk: { S: KEY }, holder: { S: 'ada@laptop pid 7' }, command: { S: 'deploy' }, token: { S: lock.record.token } })
    expect(Number(item()!.expiresAt.N)).toBeGreaterThan(Date.now() + 50_000)
    await lock.release()
    expect(item()).toBeUndefined()
    // every call it sent is one of the operations a deployer's policy will list
    expect(fake.lockCalls().every((c) => (LOCK_OPERATIONS as readonly string[]).includes(c.operation))).toBe(true)
  })

  it('two first locks at once: one creates the table, the other takes ResourceInUseException as "it exists" and waits for it', async () => {
    const [a, b] = await Promise.all([
      takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0 }),
      takeLock(clients(), { scope: { app: 'other', env: 'dev' }, command: 'deploy', timeoutSeconds: 0 }),
    ])
    expect(fake.callsOf('CreateTable')).toHaveLength(2)
    expect(fake.callsOf('UpdateTimeToLive')).toHaveLength(1)
    expect(fake.state.dynamodb.tables.get(LOCK_TABLE)!.items.size).toBe(2)
    await Promise.all([a.release(), b.release()])
  })

  it('--lock-timeout 0 while another run holds it: exit 1 at once, naming the holder and the command', async () => {
    const first = await takeLock(clients(), { scope: SCOPE, command: 'destroy', timeoutSeconds: 0, holder: 'ci run 42' })
    const started = Date.now()
    const err = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0 }).catch((e) => e)
    expect(err).toBeInstanceOf(ShipitError)
    expect(err).toMatchObject({ code: 'Locked', exitCode: 1 })
    expect(err.message).toMatch(/^hello \(dev\) is locked by ci run 42 \(destroy since .+\); not waiting \(--lock-timeout 0\)$/)
    expect(err.suggestions.join('\n')).toContain('shipit unlock --env dev')
    expect(Date.now() - started).toBeLessThan(1000)
    await first.release()
  })

  it('a second run waits with progress while the first holds it, and takes it once released', async () => {
    const first = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, holder: 'first' })
    const told: string[] = []
    const second = takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 30, pollMs: 20, holder: 'second', progress: (m) => told.push(m) })
    await delay(150)
    expect(item()!.holder.S).toBe('first')
    await first.release()
    const lock = await second
    expect(item()!.holder.S).toBe('second')
    expect(told[0]).toMatch(/^waiting for the lock on hello \(dev\), held by first \(deploy since .+\); 0 s of 30 s \(--lock-timeout\)$/)
    // said once, not at every poll
    expect(told).toHaveLength(1)
    await lock.release()
  })

  it('waiting past --lock-timeout: exit 1 naming the holder', async () => {
    const first = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, holder: 'first' })
    const err = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 1, pollMs: 50 }).catch((e) => e)
    expect(err).toMatchObject({ code: 'Locked', exitCode: 1 })
    expect(err.message).toMatch(/is still locked by first \(deploy since .+\) after waiting 1 s \(--lock-timeout\)/)
    await first.release()
  })

  it('a holder that renews keeps the lock past its lease; one that stopped (killed) is waited out and taken over', async () => {
    const alive = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, leaseMs: 300 })
    await delay(700)
    await expect(takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0 })).rejects.toMatchObject({ code: 'Locked' })
    expect(fake.callsOf('UpdateItem').length).toBeGreaterThanOrEqual(2)
    await alive.release()

    // a run killed with SIGKILL leaves its item, never renewed nor deleted
    const now = Date.now()
    await ensureLockTable(clients())
    fake.state.dynamodb.tables.get(LOCK_TABLE)!.items.set(KEY, {
      pk: { S: KEY },
      token: { S: 'dead' },
      holder: { S: 'killed pid 9' },
      command: { S: 'deploy' },
      since: { S: new Date(now).toISOString() },
      expiresAt: { N: String(now + 400) },
      ttl: { N: String(Math.ceil(now / 1000) + 86_400) },
    })
    const next = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 10, pollMs: 50 })
    expect(Date.now()).toBeGreaterThanOrEqual(now + 400)
    expect(Date.now() - now).toBeLessThan(2000)
    expect(item()!.token.S).toBe(next.record.token)
    await next.release()
  })

  it('a holder whose lock was taken over (it was paused past its lease) learns it at its next renewal, and does not delete the new lock', async () => {
    const paused = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, leaseMs: 150 })
    item()!.token = { S: 'someone-else' }
    await delay(200)
    expect(paused.lost.aborted).toBe(true)
    expect(paused.lostReason()).toBe('another run took the lock over after its lease ran out')
    await paused.release()
    expect(item()!.token.S).toBe('someone-else')
  })

  it('unlock removes the lock it showed, never one taken in between', async () => {
    const held = await takeLock(clients(), { scope: SCOPE, command: 'deploy', timeoutSeconds: 0, holder: 'gone' })
    const shown = (await readLock(clients(), KEY))!
    expect(shown.holder).toBe('gone')
    item()!.token = { S: 'new-run' }
    expect(await removeLock(clients(), shown)).toMatchObject({ removed: false, now: { token: 'new-run' } })
    item()!.token = { S: shown.token }
    expect(await removeLock(clients(), shown)).toEqual({ removed: true })
    expect(item()).toBeUndefined()
    await held.release()
  })

  it('a CI run is named by its GitHub Actions run, a person by user@host and pid', () => {
    expect(describeHolder({ GITHUB_RUN_ID: '77', GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ATTEMPT: '2' }, 1)).toBe(
      'GitHub Actions run https://github.com/acme/web/actions/runs/77 attempt 2',
    )
    expect(describeHolder({ USER: 'ada' }, 123)).toMatch(/^ada@.+ pid 123$/)
  })
})
