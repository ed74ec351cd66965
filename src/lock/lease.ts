/**
 * The deploy lock: a lease on one DynamoDB item per app and env (see requests.ts for why DynamoDB).
 *
 * A command that changes AWS takes it before it reads anything to plan from, renews it while it runs,
 * and deletes it when it ends (success, failure or signal). A holder that dies without a word (SIGKILL,
 * a lost runner) stops renewing: its lease runs out and the next command takes the lock over.
 */
import { randomUUID } from 'node:crypto'
import type { AwsClients } from '../aws/clients.js'
import { awsErrorName, translateAwsError } from '../aws/errors.js'
import { NO_WAITERS, runWait, sleep } from '../aws/waiters.js'
import { ExitCode, ShipitError } from '../errors.js'
import { describeHolder } from './holder.js'
import {
  createLockTable,
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  deleteLock,
  describeLockTable,
  enableLockTtl,
  getLock,
  LOCK_TABLE,
  type LockRecord,
  type LockRequest,
  type LockScope,
  lockKey,
  putLock,
  recordOf,
  renewLock,
} from './requests.js'

/** A lease long enough to ride out a slow call, short enough that a dead holder is waited out in a minute. */
const DEFAULT_LEASE_MS = 60_000

export { DEFAULT_LOCK_TIMEOUT_SECONDS }

/** How often a waiting command asks again, and how often it says it still waits. */
const POLL_MS = 2_000
const TELL_EVERY_MS = 15_000

interface TakeLockOptions {
  scope: LockScope
  /** the command that takes it, shown to whoever waits */
  command: string
  /** how long to wait for another holder; 0 = fail at once */
  timeoutSeconds: number
  /** lease length; default SHIPIT_LOCK_LEASE_SECONDS (tests), else 60 s; renewed every third of it */
  leaseMs?: number
  pollMs?: number
  signal?: AbortSignal
  /** where "waiting for the lock…" is told */
  progress?: (message: string) => void
  holder?: string
}

export interface HeldLock {
  record: LockRecord
  /** aborted when the lease is lost: someone took it over after it expired unrenewed (a paused process) */
  lost: AbortSignal
  /** why it was lost, once `lost` is aborted */
  lostReason(): string | undefined
  /** stop renewing and delete the lock; the same promise on every call */
  release(): Promise<void>
}

function leaseMsFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.SHIPIT_LOCK_LEASE_SECONDS)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LEASE_MS
}

const send = <O extends LockRequest['operation']>(clients: AwsClients, r: LockRequest<O>, signal?: AbortSignal) =>
  clients.send('dynamodb', r.operation, r.input, signal)

/** "app (env)" or "the whole app" as people read a lock's scope. */
export function scopeLabel(scope: LockScope): string {
  return scope.env === undefined ? `${scope.app} (all environments)` : `${scope.app} (${scope.env})`
}

/** "ci@host pid 7 (deploy, since 12:00:03 UTC, 42 s ago)" */
export function describeLock(record: LockRecord, nowMs = Date.now()): string {
  const since = Date.parse(record.since)
  const ago = Number.isFinite(since) ? `, ${Math.max(0, Math.round((nowMs - since) / 1000))} s ago` : ''
  const left = Math.round((record.expiresAt - nowMs) / 1000)
  const expiry = left > 0 ? `lease ends in ${left} s unless renewed` : 'lease expired'
  return `${record.holder} (${record.command} since ${record.since}${ago}; ${expiry})`
}

/** Take the lock of `scope`, waiting for another holder up to `timeoutSeconds`; then renew it until released. */
export async function takeLock(clients: AwsClients, options: TakeLockOptions): Promise<HeldLock> {
  const key = lockKey(options.scope)
  const leaseMs = options.leaseMs ?? leaseMsFromEnvironment()
  const pollMs = options.pollMs ?? Math.min(POLL_MS, leaseMs / 4)
  const holder = options.holder ?? describeHolder()
  const token = randomUUID()
  const started = Date.now()
  const label = scopeLabel(options.scope)
  let told: { token: string; at: number } | undefined
  for (;;) {
    const now = Date.now()
    const record: LockRecord = { key, token, holder, command: options.command, since: new Date(now).toISOString(), expiresAt: now + leaseMs }
    const other = await tryTake(clients, record, now, options.signal)
    if (!other) return startLease(clients, record, leaseMs)
    if (!other.held) continue // it was released between our put and our read: try again at once
    const waitedMs = Date.now() - started
    if (waitedMs >= options.timeoutSeconds * 1000) throw lockTimeout(label, other.held, options.timeoutSeconds)
    if (!told || told.token !== other.held.token || now - told.at >= TELL_EVERY_MS) {
      const verb = told ? 'still waiting' : 'waiting'
      options.progress?.(
        `${verb} for the lock on ${label}, held by ${describeLock(other.held)}; ${Math.round(waitedMs / 1000)} s of ${options.timeoutSeconds} s (--lock-timeout)`,
      )
      told = { token: other.held.token, at: now }
    }
    await sleep(Math.min(pollMs, options.timeoutSeconds * 1000 - waitedMs), options.signal)
    if (options.signal?.aborted) {
      throw new ShipitError('Interrupted', `interrupted while waiting for the lock on ${label}: nothing was changed`, {
        exitCode: ExitCode.Interrupted,
        source: 'user',
      })
    }
  }
}

/** undefined: taken. `{held}`: someone else holds it (undefined when it went away before we could read it). */
async function tryTake(clients: AwsClients, record: LockRecord, now: number, signal?: AbortSignal): Promise<{ held?: LockRecord } | undefined> {
  try {
    await send(clients, putLock(record, now), signal)
    return undefined
  } catch (err) {
    const name = awsErrorName(err)
    if (name === 'ConditionalCheckFailedException') {
      const held = recordOf((err as { Item?: Parameters<typeof recordOf>[0] }).Item) ?? (await readLock(clients, record.key, signal))
      return { held }
    }
    if (name === 'ResourceNotFoundException') {
      await ensureLockTable(clients, signal)
      return tryTake(clients, record, now, signal)
    }
    throw lockError(err, 'taking the deploy lock')
  }
}

/** The lock item of `key`, or undefined when there is none (or no table yet). */
export async function readLock(clients: AwsClients, key: string, signal?: AbortSignal): Promise<LockRecord | undefined> {
  try {
    const answer = await send(clients, getLock(key), signal)
    return recordOf(answer.Item)
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined
    throw lockError(err, 'reading the deploy lock')
  }
}

/**
 * The table exists (ACTIVE) afterwards. Two first deploys may both create it: the loser's
 * ResourceInUseException means it exists, and both wait for ACTIVE. Only its creator turns TTL on.
 */
export async function ensureLockTable(clients: AwsClients, signal?: AbortSignal): Promise<void> {
  let created = false
  try {
    await send(clients, createLockTable(), signal)
    created = true
  } catch (err) {
    if (awsErrorName(err) !== 'ResourceInUseException') throw lockError(err, `creating the lock table ${LOCK_TABLE}`)
  }
  await runWait(
    clients,
    'dynamodb',
    { waiter: 'TableExists', input: { ...describeLockTable().input }, description: `the lock table ${LOCK_TABLE}` },
    { waiters: NO_WAITERS, timeoutSeconds: 300, signal },
  )
  if (created) {
    await send(clients, enableLockTtl(), signal).catch((err) => {
      // already on (a run that created it before us was killed after this call): nothing to do
      if (awsErrorName(err) !== 'ValidationException') throw lockError(err, `turning on TTL of ${LOCK_TABLE}`)
    })
  }
}

function startLease(clients: AwsClients, record: LockRecord, leaseMs: number): HeldLock {
  const lost = new AbortController()
  let reason: string | undefined
  let renewing = false
  const loseIt = (why: string) => {
    reason = why
    clearInterval(timer)
    lost.abort(new Error(why))
  }
  const timer = setInterval(async () => {
    if (renewing || lost.signal.aborted) return
    renewing = true
    const expiresAt = Date.now() + leaseMs
    try {
      await send(clients, renewLock(record.key, record.token, expiresAt))
      record.expiresAt = expiresAt
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') loseIt('another run took the lock over after its lease ran out')
      // a failed renewal is tried again at the next tick, while the lease still runs
      else if (Date.now() >= record.expiresAt) loseIt(`the lease ran out: it could not be renewed (${awsErrorName(err) ?? 'error'})`)
    } finally {
      renewing = false
    }
  }, leaseMs / 3)
  // renewing never keeps a finished command alive
  timer.unref()
  let released: Promise<void> | undefined
  return {
    record,
    lost: lost.signal,
    lostReason: () => reason,
    release: () => {
      released ??= (async () => {
        clearInterval(timer)
        if (lost.signal.aborted) return
        await send(clients, deleteLock(record.key, record.token)).catch((err) => {
          // not ours any more, or already gone: nothing to release
          if (awsErrorName(err) === 'ConditionalCheckFailedException' || awsErrorName(err) === 'ResourceNotFoundException') return
          throw lockError(err, `releasing the deploy lock (it expires by itself within ${Math.ceil(leaseMs / 1000)} s)`)
        })
      })()
      return released
    },
  }
}

function lockTimeout(label: string, held: LockRecord, timeoutSeconds: number): ShipitError {
  const message =
    timeoutSeconds === 0
      ? `${label} is locked by ${describeLock(held)}; not waiting (--lock-timeout 0)`
      : `${label} is still locked by ${describeLock(held)} after waiting ${timeoutSeconds} s (--lock-timeout)`
  return new ShipitError('Locked', message, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: [
      'run again when it is done: it plans from what that run leaves',
      'or raise --lock-timeout (seconds)',
      `if that run is gone, its lock expires by itself; or remove it now: shipit unlock${held.key.includes('/env/') ? ` --env ${held.key.split('/env/')[1]}` : ''}`,
    ],
    details: { lock: held },
  })
}

function lockError(err: unknown, doing: string): ShipitError {
  const error = translateAwsError(err, `${doing} (DynamoDB table ${LOCK_TABLE})`)
  if (error.code === 'AccessDeniedException') {
    error.suggestions.push(
      `the deployer needs dynamodb:GetItem, PutItem, UpdateItem, DeleteItem, DescribeTable (and CreateTable, TagResource, UpdateTimeToLive the first time) on table/${LOCK_TABLE}`,
    )
  }
  return error
}

/**
 * `shipit unlock`: delete the lock that was shown, only if it is still that one (same token): a lock
 * taken by a new run in between is never removed. Returns the lock there now when it changed.
 */
export async function removeLock(clients: AwsClients, shown: LockRecord): Promise<{ removed: true } | { removed: false; now?: LockRecord }> {
  try {
    await send(clients, deleteLock(shown.key, shown.token))
    return { removed: true }
  } catch (err) {
    if (awsErrorName(err) === 'ConditionalCheckFailedException') return { removed: false, now: await readLock(clients, shown.key) }
    throw lockError(err, 'removing the deploy lock')
  }
}
