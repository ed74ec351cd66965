import type { AwsClients } from '../aws/clients.js'
import { describeLock, readLock, scopeLabel } from './lease.js'
import { type LockScope, lockKey } from './requests.js'

/**
 * For commands that only read (plan, status, logs, deploy --dry-run): one GetItem, and a line to
 * show when a deploy holds the lock (what they show may be about to change). They never take it,
 * and a lock that cannot be read (no table, no permission, an emulator without DynamoDB) says nothing.
 */
export async function heldLockNote(clients: AwsClients, scope: LockScope, signal?: AbortSignal): Promise<string | undefined> {
  const held = await readLock(clients, lockKey(scope), signal).catch(() => undefined)
  if (!held || held.expiresAt <= Date.now()) return undefined
  return `note: ${scopeLabel(scope)} is locked by ${describeLock(held)}: a change is under way`
}
