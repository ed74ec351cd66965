/**
 * Every AWS request the deploy lock sends, typed with the SDK's input types and built in this one
 * place, so that the deployer's IAM policy (issue 26) can list them from LOCK_OPERATIONS. They are not
 * plan steps: a lock is not a resource of the app, and taking it must happen before anything is planned.
 *
 * Why DynamoDB: one conditional write gives each primitive atomically — take (a put that succeeds only
 * when there is no lock or it has expired), renew and release (an update or a delete that succeeds only
 * for the holder's token) — and the item carries who holds it, readable in one GetItem. S3 conditional
 * writes (If-None-Match, If-Match) would also do, but a takeover needs the expired object's ETag read
 * first (two calls, and a race to handle between them), the artifacts bucket exists only for Lambda,
 * and emulators lag on conditional S3 requests. An on-demand table costs nothing at rest and a few
 * write units per deploy.
 */
import type { OperationInput, OperationName } from '../aws/services.js'

/** One table per account and region, shared by every app; created on first use. */
export const LOCK_TABLE = 'shipit-locks'
/** The table's partition key: the lock's name (lockKey). */
const KEY_ATTRIBUTE = 'pk'
/** Epoch seconds after which DynamoDB may delete the item (TTL): abandoned locks disappear by themselves. */
const TTL_ATTRIBUTE = 'ttl'
/** How long a second deploy waits for the first by default (--lock-timeout). */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 300
const LOCK_TABLE_TAGS = [{ Key: 'shipit:managed', Value: 'true' }]

/** The DynamoDB operations of the lock: what a deployer's policy must allow on the table. */
export const LOCK_OPERATIONS = [
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'DescribeTable',
  'CreateTable',
  'TagResource',
  'UpdateTimeToLive',
] as const satisfies readonly OperationName<'dynamodb'>[]
type LockOperation = (typeof LOCK_OPERATIONS)[number]

/** A request of the lock, checked by the compiler against the SDK's input type. */
export interface LockRequest<O extends LockOperation = LockOperation> {
  service: 'dynamodb'
  operation: O
  input: OperationInput<'dynamodb', O>
}

const request = <O extends LockOperation>(operation: O, input: OperationInput<'dynamodb', O>): LockRequest<O> => ({ service: 'dynamodb', operation, input })

/**
 * What a lock covers: an app and env, or (env undefined) the whole app — for components deployed
 * together, taken before the env locks so that the two kinds never deadlock.
 */
export interface LockScope {
  app: string
  env?: string
}

/** The item key: `app/<app>/env/<env>`, or `app/<app>` for the whole app (names never hold a slash). */
export function lockKey(scope: LockScope): string {
  return scope.env === undefined ? `app/${scope.app}` : `app/${scope.app}/env/${scope.env}`
}

/** What a lock item records. */
export interface LockRecord {
  key: string
  /** random per acquisition: only its holder renews or releases it */
  token: string
  /** who: a CI run or user@host pid */
  holder: string
  /** the shipit command holding it */
  command: string
  /** ISO time it was taken */
  since: string
  /** epoch ms after which anyone may take it over */
  expiresAt: number
}

const keyOf = (key: string) => ({ [KEY_ATTRIBUTE]: { S: key } })

/** Take the lock: there is none, or the one there has expired by our clock. */
export function putLock(record: LockRecord, nowMs: number): LockRequest<'PutItem'> {
  return request('PutItem', {
    TableName: LOCK_TABLE,
    Item: {
      ...keyOf(record.key),
      token: { S: record.token },
      holder: { S: record.holder },
      command: { S: record.command },
      since: { S: record.since },
      expiresAt: { N: String(record.expiresAt) },
      [TTL_ATTRIBUTE]: { N: String(ttlSeconds(record.expiresAt)) },
    },
    ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
    ExpressionAttributeNames: { '#pk': KEY_ATTRIBUTE, '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
    // the holder comes back with the refusal: no second read to say who it is
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  })
}

/** Extend the lease, only while the lock is still ours. */
export function renewLock(key: string, token: string, expiresAt: number): LockRequest<'UpdateItem'> {
  return request('UpdateItem', {
    TableName: LOCK_TABLE,
    Key: keyOf(key),
    UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl',
    ConditionExpression: '#token = :token',
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt', '#ttl': TTL_ATTRIBUTE, '#token': 'token' },
    ExpressionAttributeValues: { ':expiresAt': { N: String(expiresAt) }, ':ttl': { N: String(ttlSeconds(expiresAt)) }, ':token': { S: token } },
  })
}

/** Remove the lock, only if it is still the one with this token (ours, or the one `unlock` showed). */
export function deleteLock(key: string, token: string): LockRequest<'DeleteItem'> {
  return request('DeleteItem', {
    TableName: LOCK_TABLE,
    Key: keyOf(key),
    ConditionExpression: '#token = :token',
    ExpressionAttributeNames: { '#token': 'token' },
    ExpressionAttributeValues: { ':token': { S: token } },
  })
}

/** Read a lock; strongly consistent, so that a lock just taken is seen. */
export function getLock(key: string): LockRequest<'GetItem'> {
  return request('GetItem', { TableName: LOCK_TABLE, Key: keyOf(key), ConsistentRead: true })
}

export function describeLockTable(): LockRequest<'DescribeTable'> {
  return request('DescribeTable', { TableName: LOCK_TABLE })
}

/** On-demand: no capacity to pay for while no one deploys. */
export function createLockTable(): LockRequest<'CreateTable'> {
  return request('CreateTable', {
    TableName: LOCK_TABLE,
    AttributeDefinitions: [{ AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    Tags: LOCK_TABLE_TAGS,
  })
}

export function enableLockTtl(): LockRequest<'UpdateTimeToLive'> {
  return request('UpdateTimeToLive', { TableName: LOCK_TABLE, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } })
}

/** TTL deletes an item a day after its lease ended: never while someone may still read it as a recent holder. */
function ttlSeconds(expiresAtMs: number): number {
  return Math.ceil(expiresAtMs / 1000) + 24 * 3600
}

type Item = Record<string, { S?: string; N?: string } | undefined>

/** A lock item read back (GetItem, or the refusal of a put), or undefined when it is not one of ours. */
export function recordOf(item: Item | undefined): LockRecord | undefined {
  const s = (name: string) => item?.[name]?.S
  const key = s(KEY_ATTRIBUTE)
  const token = s('token')
  const expiresAt = Number(item?.expiresAt?.N)
  if (!key || !token || !Number.isFinite(expiresAt)) return undefined
  return { key, token, holder: s('holder') ?? 'unknown', command: s('command') ?? 'unknown', since: s('since') ?? '', expiresAt }
}
