import type { BucketLocationConstraint, S3Client } from '@aws-sdk/client-s3'
import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName, isNotFound } from '../../aws/errors.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import type { Artifact } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { S3, UploadArtifact } from './catalogue.js'
import { DIRECT_UPLOAD_LIMIT } from './zip.js'

/**
 * Lambda takes at most 50 MB zipped in the request itself; a larger package (or any, when
 * function.bucket is set) is uploaded to S3 and the function is created from there. By default the
 * bucket is shipit's own, one per account and region (`shipit-artifacts-<account>-<region>`), shared
 * by every app: it carries `shipit:managed=true` and `shipit:purpose=lambda-artifacts` rather than an
 * app's tags. Objects are keyed `<app>/<env>/<sha256>.zip` and tagged with the app and env: an
 * unchanged package is never uploaded twice, and destroy removes exactly this app's and env's
 * packages — in the user's bucket only those whose tags prove shipit put them there, never by prefix.
 * Every S3 request but CreateBucket names the account that must own the bucket (ExpectedBucketOwner),
 * so a bucket of that name in another account is never read nor written.
 */

export const ARTIFACTS_BUCKET_TAGS: Record<string, string> = { 'shipit:managed': 'true', 'shipit:purpose': 'lambda-artifacts' }

/** Multipart parts of 8 MB, four at a time: a 60 MB package is 8 parts. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024
const UPLOAD_QUEUE = 4
/** DeleteObjects takes at most 1000 keys a call. */
const DELETE_BATCH = 1000
/** GetObjectTagging calls in flight at once, while destroy finds which objects are shipit's. */
const TAGGING_READS = 8
/** Objects shipit will not delete that the plan names one by one; the rest are counted. */
const KEPT_LISTED = 20

/** shipit's bucket for this account and region; S3 names are at most 63 characters. */
export function artifactsBucketName(account: string, region: string): string {
  return `shipit-artifacts-${account}-${region}`.slice(0, 63).replace(/[-.]+$/, '')
}

function artifactKeyPrefix(app: string, env: string): string {
  return `${app}/${env}/`
}

export function artifactKey(app: string, env: string, sha256: string): string {
  return `${artifactKeyPrefix(app, env)}${sha256}.zip`
}

/** The tags every package carries, as S3's `Tagging` takes them (URL query parameters). */
function artifactTagging(app: string, env: string): string {
  return new URLSearchParams({ 'shipit:app': app, 'shipit:env': env }).toString()
}

/** Is this key one shipit names its packages by (`<app>/<env>/<sha256>.zip`)? */
function isArtifactKey(key: string, app: string, env: string): boolean {
  const prefix = artifactKeyPrefix(app, env)
  return key.startsWith(prefix) && /^[0-9a-f]{64}\.zip$/.test(key.slice(prefix.length))
}

/**
 * Could the zip of files totalling `unzippedBytes` exceed the direct-upload limit? A zip never grows
 * a file (zip.ts stores what deflate does not shrink), so this bound is exact enough to decide, before
 * the zip exists, whether observe must read the bucket.
 */
export function packageMayNeedS3(files: { path: string; size: number }[]): boolean {
  let bound = 22
  for (const f of files) bound += f.size + 76 + 2 * Buffer.byteLength(f.path)
  return bound > DIRECT_UPLOAD_LIMIT
}

/** Where packages go, and what is there now. */
export interface ObservedArtifactStore extends StoreLocation {
  /** the bucket exists and these credentials may read it */
  exists: boolean
  /** the name is taken by a bucket of another account than `owner`, or one these credentials may not read */
  forbidden: boolean
  region?: string
  tags: Record<string, string>
  publicAccessBlocked: boolean
  encrypted: boolean
  /** every key under `<app>/<env>/` */
  keys: string[]
  /** read for destroy only: the keys shipit can prove are its packages (in its own bucket, by their name; in the user's, by their tags too) */
  owned?: string[]
}

interface StoreLocation {
  bucket: string
  /** shipit's shared bucket (else function.bucket, the user's) */
  managed: boolean
  /** the account that must own the bucket (ExpectedBucketOwner): the caller's; `<account>` offline */
  owner: string
}

/** The bucket the package goes to: function.bucket, else shipit's for this account and region. */
export function storeLocation(desired: LambdaDesired, account: string, region: string): StoreLocation {
  const bucket = desired.function.bucket ?? artifactsBucketName(account, region)
  return { bucket, managed: !desired.function.bucket, owner: account }
}

/** Read the bucket and this app's packages. `cleanup` (destroy): also which of them shipit can prove are its own. Reads only. */
export async function observeArtifactStore(
  clients: AwsClients,
  where: StoreLocation,
  desired: LambdaDesired,
  cleanup: boolean,
): Promise<ObservedArtifactStore> {
  const Bucket = where.bucket
  const ExpectedBucketOwner = where.owner
  const absent = { ...where, exists: false, forbidden: false, tags: {}, publicAccessBlocked: false, encrypted: false, keys: [] }
  let region: string | undefined
  try {
    region = (await clients.send('s3', 'HeadBucket', { Bucket, ExpectedBucketOwner })).BucketRegion
  } catch (err) {
    if (isNotFound(err)) return absent
    if (awsErrorName(err) === 'Forbidden' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403)
      return { ...absent, forbidden: true }
    throw err
  }
  const prefix = artifactKeyPrefix(desired.app, desired.env)
  const [tags, keys, publicAccessBlocked, encrypted] = await Promise.all([
    clients.send('s3', 'GetBucketTagging', { Bucket, ExpectedBucketOwner }).then(
      (t) => Object.fromEntries((t.TagSet ?? []).map((x) => [x.Key ?? '', x.Value ?? ''])),
      (err) => (awsErrorName(err) === 'NoSuchTagSet' ? {} : Promise.reject(err)),
    ),
    listKeys(clients, Bucket, ExpectedBucketOwner, prefix),
    where.managed ? observePublicAccessBlocked(clients, Bucket, ExpectedBucketOwner) : true,
    where.managed ? observeEncrypted(clients, Bucket, ExpectedBucketOwner) : true,
  ])
  const store = { ...where, exists: true, forbidden: false, region, tags, publicAccessBlocked, encrypted, keys }
  return cleanup ? { ...store, owned: await observeOwnedKeys(clients, store, desired) } : store
}

async function listKeys(clients: AwsClients, Bucket: string, ExpectedBucketOwner: string, Prefix: string): Promise<string[]> {
  const keys: string[] = []
  let ContinuationToken: string | undefined
  do {
    const page = await clients.send('s3', 'ListObjectsV2', { Bucket, ExpectedBucketOwner, Prefix, ...(ContinuationToken ? { ContinuationToken } : {}) })
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key)
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (ContinuationToken)
  return keys
}

/**
 * The packages shipit may delete: in its own bucket, the keys it names packages by; in the user's
 * (function.bucket), only those whose tags also say this app and env — a file the user put under
 * `<app>/<env>/` is not shipit's to delete, whatever its name.
 */
async function observeOwnedKeys(clients: AwsClients, store: ObservedArtifactStore, desired: LambdaDesired): Promise<string[]> {
  const named = store.keys.filter((k) => isArtifactKey(k, desired.app, desired.env))
  if (store.managed) return named
  const owned: string[] = []
  for (let i = 0; i < named.length; i += TAGGING_READS) {
    const batch = named.slice(i, i + TAGGING_READS)
    const tagged = await Promise.all(batch.map((Key) => taggedByShipit(clients, store, Key, desired)))
    owned.push(...batch.filter((_, j) => tagged[j]))
  }
  return owned
}

async function taggedByShipit(clients: AwsClients, store: StoreLocation, Key: string, desired: LambdaDesired): Promise<boolean> {
  try {
    const out = await clients.send('s3', 'GetObjectTagging', { Bucket: store.bucket, Key, ExpectedBucketOwner: store.owner })
    const tags = Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
    return tags['shipit:app'] === desired.app && tags['shipit:env'] === desired.env
  } catch (err) {
    // deleted since it was listed
    if (awsErrorName(err) === 'NoSuchKey') return false
    throw err
  }
}

async function observePublicAccessBlocked(clients: AwsClients, Bucket: string, ExpectedBucketOwner: string): Promise<boolean> {
  try {
    const c = (await clients.send('s3', 'GetPublicAccessBlock', { Bucket, ExpectedBucketOwner })).PublicAccessBlockConfiguration ?? {}
    return Boolean(c.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets)
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchPublicAccessBlockConfiguration') return false
    throw err
  }
}

async function observeEncrypted(clients: AwsClients, Bucket: string, ExpectedBucketOwner: string): Promise<boolean> {
  try {
    const rules = (await clients.send('s3', 'GetBucketEncryption', { Bucket, ExpectedBucketOwner })).ServerSideEncryptionConfiguration?.Rules ?? []
    return rules.some((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm)
  } catch (err) {
    if (awsErrorName(err) === 'ServerSideEncryptionConfigurationNotFoundError') return false
    throw err
  }
}

/** The package in S3, and the steps the function's code must wait for. */
interface PlannedArtifact {
  code: { S3Bucket: string; S3Key: string }
  deps: string[]
  blocked: boolean
}

const BUCKET = 's3:bucket'

/** Bring the bucket in line (shipit's) or check it (the user's), then upload the package unless it is there. */
export function planArtifactUpload(
  b: PartBuilder<LambdaDesired>,
  store: ObservedArtifactStore | null,
  where: StoreLocation,
  artifact: Artifact,
): PlannedArtifact {
  const { desired } = b
  const key = artifactKey(desired.app, desired.env, artifact.sha256)
  const code = { S3Bucket: where.bucket, S3Key: key }
  const bucketDeps = where.managed ? planManagedBucket(b, store, where) : checkUserBucket(b, store, where.bucket)
  if (bucketDeps === null) return { code, deps: [], blocked: true }
  if (store?.keys.includes(key)) {
    b.keep('s3:object', `s3://${where.bucket}/${key}`, 'this package was uploaded before (same content hash)')
    return { code, deps: bucketDeps, blocked: false }
  }
  const id = b.add({
    id: 'artifact-upload',
    action: 'create',
    resource: { type: 's3:object', name: `s3://${where.bucket}/${key}` },
    reason: `${(artifact.size / 1024 / 1024).toFixed(1)} MB zipped${artifact.size > DIRECT_UPLOAD_LIMIT ? ', above the 50 MB Lambda takes directly' : ''}`,
    changes: [{ path: 'Body', after: artifact }],
    request: UploadArtifact.request({
      Bucket: where.bucket,
      Key: key,
      Body: artifact,
      ExpectedBucketOwner: where.owner,
      Tagging: artifactTagging(desired.app, desired.env),
    }),
    dependsOn: bucketDeps,
  })
  return { code, deps: [id], blocked: false }
}

/** shipit's bucket: created, tagged, public access blocked, encrypted. The steps the upload waits for, or null when refused. */
function planManagedBucket(b: PartBuilder<LambdaDesired>, store: ObservedArtifactStore | null, where: StoreLocation): string[] | null {
  const { bucket: Bucket, owner: ExpectedBucketOwner } = where
  if (store?.forbidden) {
    b.blocked.push({
      resource: { type: BUCKET, name: Bucket },
      reason: `the name is taken by a bucket of another account than ${ExpectedBucketOwner}, or one these credentials cannot read; set function.bucket to a bucket of yours`,
    })
    return null
  }
  const exists = Boolean(store?.exists)
  const managed = store?.tags['shipit:managed'] === 'true'
  if (exists && !managed && b.refuse(BUCKET, Bucket)) return null
  const steps: string[] = []
  const resource = { type: BUCKET, name: Bucket }
  if (!exists) {
    const region = b.ctx.region
    steps.push(
      b.add({
        id: 'artifacts-bucket',
        action: 'create',
        resource,
        reason: "packages above 50 MB go through S3; shared by shipit's Lambda apps in this account and region",
        // us-east-1 is S3's default and refuses to be named as a location constraint
        request: S3.CreateBucket.request({
          Bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
        // created by an earlier run whose answer was lost
        okErrors: ['BucketAlreadyOwnedByYou'],
        dependsOn: [],
      }),
    )
  }
  const after = steps.slice()
  // on a bucket made by this plan, its settings are part of creating it
  const settings = exists ? 'update' : 'create'
  if (!managed) {
    const TagSet = Object.entries({ ...(store?.tags ?? {}), ...ARTIFACTS_BUCKET_TAGS }).map(([Key, Value]) => ({ Key, Value }))
    steps.push(
      b.add({
        id: 'artifacts-bucket-tags',
        action: settings,
        resource,
        reason: exists ? 'adopt: add shipit tags' : 'tags: shared by apps, so shipit:managed rather than an app',
        request: S3.PutBucketTagging.request({ Bucket, ExpectedBucketOwner, Tagging: { TagSet } }),
        dependsOn: after,
      }),
    )
  }
  if (!store?.publicAccessBlocked) {
    const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }
    steps.push(
      b.add({
        id: 'artifacts-bucket-public-access',
        action: settings,
        resource,
        reason: 'block all public access',
        request: S3.PutPublicAccessBlock.request({ Bucket, ExpectedBucketOwner, PublicAccessBlockConfiguration: all }),
        dependsOn: after,
      }),
    )
  }
  // S3 encrypts new buckets with SSE-S3 by default since January 2023; shipit states it rather than rely on it
  if (!store?.encrypted) {
    steps.push(
      b.add({
        id: 'artifacts-bucket-encryption',
        action: settings,
        resource,
        reason: 'encrypt objects at rest (SSE-S3, AES256)',
        request: S3.PutBucketEncryption.request({
          Bucket,
          ExpectedBucketOwner,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        }),
        dependsOn: after,
      }),
    )
  }
  if (!steps.length) b.keep(BUCKET, Bucket)
  return steps
}

/** function.bucket is the user's: it must exist, be readable and be in the function's region; shipit changes nothing on it. */
function checkUserBucket(b: PartBuilder<LambdaDesired>, store: ObservedArtifactStore | null, Bucket: string): string[] | null {
  const region = b.ctx.region
  const problem = !store
    ? undefined // offline: nothing was read
    : store.forbidden
      ? `function.bucket: it belongs to another account than ${store.owner}, or these credentials may not read it (s3:ListBucket); grant it, or name a bucket of this account`
      : !store.exists
        ? `function.bucket: no such bucket; create it in ${region}, or remove function.bucket to let shipit make its own`
        : store.region && store.region !== region
          ? `function.bucket is in ${store.region}: Lambda reads code only from a bucket in the function's region (${region})`
          : undefined
  if (problem) {
    b.blocked.push({ resource: { type: BUCKET, name: Bucket }, reason: problem })
    return null
  }
  b.keep(BUCKET, Bucket, 'function.bucket: yours, not changed')
  return []
}

/**
 * Destroy: the packages shipit can prove are this app's and env's (observeOwnedKeys), listed by key;
 * anything else under `<app>/<env>/` is kept and named. shipit's shared bucket is never deleted here:
 * S3 has no "delete if empty" that holds against another app's upload starting a moment later (a
 * PutObject leaves no trace while in flight, and a multipart upload may be created between any
 * check and DeleteBucket), and an empty bucket costs nothing. `aws s3 rb` removes it by hand.
 */
export function planArtifactCleanup(b: PartBuilder<LambdaDesired>, store: ObservedArtifactStore | null): void {
  if (!store?.exists) return
  const { bucket: Bucket, owner: ExpectedBucketOwner } = store
  const owned = store.owned ?? []
  for (let i = 0; i < owned.length; i += DELETE_BATCH) {
    const batch = owned.slice(i, i + DELETE_BATCH)
    b.add({
      id: i === 0 ? 'artifacts-objects' : `artifacts-objects-${i / DELETE_BATCH + 1}`,
      action: 'delete',
      resource: { type: 's3:object', name: batch.length === 1 ? `s3://${Bucket}/${batch[0]}` : `s3://${Bucket}/ (${batch.length} packages)` },
      reason: `package${batch.length === 1 ? '' : 's'} of this app and env, ${store.managed ? 'in shipit’s bucket' : 'tagged by shipit'} (the function keeps its own copy)`,
      changes: batch.map((Key) => ({ path: 'Key', before: Key })),
      request: S3.DeleteObjects.request({ Bucket, ExpectedBucketOwner, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      okErrors: ['NoSuchBucket'],
      dependsOn: [],
    })
  }
  const kept = store.keys.filter((k) => !owned.includes(k))
  const why = store.managed ? 'not named as shipit names packages: kept' : 'no shipit tags for this app and env, so not put there by shipit: kept'
  for (const Key of kept.slice(0, KEPT_LISTED)) b.keep('s3:object', `s3://${Bucket}/${Key}`, why)
  if (kept.length > KEPT_LISTED)
    b.keep('s3:object', `s3://${Bucket}/${artifactKeyPrefix(b.desired.app, b.desired.env)}…`, `${kept.length - KEPT_LISTED} more objects, ${why}`)
  if (store.managed) b.keep(BUCKET, Bucket, 'shared by shipit’s apps in this account and region: never deleted by an app’s destroy (aws s3 rb to remove it)')
  else b.keep(BUCKET, Bucket, 'function.bucket: yours, not changed')
}

/** What the upload is given at apply: the package's bytes, rebuilt from its artifact and checked, and what goes with every request. */
type UploadedArtifact = { Bucket: string; Key: string; Body: Uint8Array; ExpectedBucketOwner: string; Tagging: string }

/**
 * Upload a package with lib-storage: multipart in 8 MB parts, four at a time (a package at or under
 * one part is a single PutObject). An abort stops the upload and aborts the multipart upload, so no
 * parts are left behind; a later run uploads again.
 */
export async function uploadArtifact(clients: AwsClients, input: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const { Bucket, Key, Body, ExpectedBucketOwner, Tagging } = input as UploadedArtifact
  const [{ Upload }, { S3Client }, client] = await Promise.all([import('@aws-sdk/lib-storage'), clients.module('s3'), clients.client('s3')])
  // the configured client of the factory is an S3Client: the check gives it its type
  if (!(client instanceof S3Client)) throw new Error('the s3 client of the factory is not an S3Client')
  const upload = new Upload({
    client: withExpectedOwner(client, Bucket, ExpectedBucketOwner),
    // Tagging goes with PutObject or CreateMultipartUpload: the object never exists untagged
    params: { Bucket, Key, Body, ExpectedBucketOwner, Tagging, ContentType: 'application/zip' },
    partSize: UPLOAD_PART_BYTES,
    queueSize: UPLOAD_QUEUE,
    leavePartsOnError: false,
  })
  const abort = () => void upload.abort()
  signal?.addEventListener('abort', abort, { once: true })
  try {
    const done = await upload.done()
    return { Bucket, Key, ETag: done.ETag }
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

/**
 * The client lib-storage sends through, with ExpectedBucketOwner added to each request to the
 * bucket that lacks it: lib-storage copies its params into PutObject, CreateMultipartUpload,
 * UploadPart and CompleteMultipartUpload, but not into AbortMultipartUpload.
 */
function withExpectedOwner(client: S3Client, bucket: string, owner: string): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver)
      return (command: { input?: { Bucket?: string; ExpectedBucketOwner?: string } }, ...rest: unknown[]) => {
        const input = command.input
        if (input && input.Bucket === bucket && input.ExpectedBucketOwner === undefined) input.ExpectedBucketOwner = owner
        return (target.send as (...args: unknown[]) => unknown)(command, ...rest)
      }
    },
  })
}
