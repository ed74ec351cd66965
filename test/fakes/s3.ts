/**
 * In-memory S3: buckets (region, tags, public access block, encryption), objects and multipart
 * uploads, with the errors S3 words. Enough for the Lambda package bucket and for
 * @aws-sdk/lib-storage's Upload (PutObject, or CreateMultipartUpload / UploadPart /
 * CompleteMultipartUpload / AbortMultipartUpload).
 */
import { createHash } from 'node:crypto'
import type { FakeContext } from './context.js'
import { awsError, type Handlers } from './core.js'

export interface S3ObjectRecord {
  body: Uint8Array
  etag: string
  /** uploaded in parts (CompleteMultipartUpload) rather than by one PutObject */
  multipart: boolean
  lastModified: Date
  /** the object's tags (PutObject or CreateMultipartUpload with `Tagging`); absent: none */
  tags?: Record<string, string>
}

export interface S3BucketRecord {
  name: string
  region: string
  /** the account that owns it; absent: the caller's. A bucket of another account that answers the caller (its policy lets it) is a look-alike unless the request says ExpectedBucketOwner. */
  owner?: string
  tags: Record<string, string> | null
  publicAccessBlock: Record<string, boolean> | null
  encryption: unknown
  objects: Map<string, S3ObjectRecord>
}

export interface S3State {
  buckets: Map<string, S3BucketRecord>
  /** bucket names taken by other accounts: CreateBucket says BucketAlreadyExists, HeadBucket 403 */
  foreignBuckets: Set<string>
  uploads: Map<string, { bucket: string; key: string; tags?: Record<string, string>; parts: Map<number, { bytes: Uint8Array; etag: string }> }>
}

export function createS3State(): S3State {
  return { buckets: new Map(), foreignBuckets: new Set(), uploads: new Map() }
}

/** S3's smallest part (every part but the last). */
const MIN_PART = 5 * 1024 * 1024

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')

/** `Tagging` as S3 takes it: URL query parameters (`shipit%3Aapp=hello&shipit%3Aenv=dev`). */
function parseTagging(tagging: string | undefined): Record<string, string> | undefined {
  if (!tagging) return undefined
  return Object.fromEntries(new URLSearchParams(tagging))
}

function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body
  if (typeof body === 'string') return Buffer.from(body)
  if (body === undefined) return new Uint8Array()
  throw new Error(`FakeS3: unsupported Body type ${Object.prototype.toString.call(body)}`)
}

export function s3Handlers(ctx: FakeContext): Handlers {
  const st = () => ctx.state.s3
  const err = (name: string, message: string, status: number) => awsError('s3', name, message, status)
  const noSuchBucket = () => err('NoSuchBucket', 'The specified bucket does not exist', 404)
  /** S3 answers 403 AccessDenied when ExpectedBucketOwner is not the bucket's owner (the SDK names a HEAD's 403 Forbidden). */
  const ownerDiffers = (b: S3BucketRecord, expected: string | undefined) => expected !== undefined && expected !== (b.owner ?? ctx.account)
  const bucket = (name: string, expectedOwner?: string): S3BucketRecord => {
    if (st().foreignBuckets.has(name)) throw err('AccessDenied', 'Access Denied', 403)
    const b = st().buckets.get(name)
    if (!b) throw noSuchBucket()
    if (ownerDiffers(b, expectedOwner)) throw err('AccessDenied', 'Access Denied', 403)
    return b
  }
  /** HEAD answers carry no body: the SDK names the error by its status */
  const head = (name: string, expectedOwner?: string): S3BucketRecord => {
    if (st().foreignBuckets.has(name)) throw err('Forbidden', '', 403)
    const b = st().buckets.get(name)
    if (!b) throw err('NotFound', '', 404)
    if (ownerDiffers(b, expectedOwner)) throw err('Forbidden', '', 403)
    return b
  }
  const putObject = (b: S3BucketRecord, key: string, body: Uint8Array, multipart: boolean, etag: string, tags?: Record<string, string>) => {
    b.objects.set(key, { body: new Uint8Array(body), etag, multipart, lastModified: ctx.now(), ...(tags ? { tags } : {}) })
  }
  const uploadOf = (input: { UploadId?: string; ExpectedBucketOwner?: string }) => {
    const upload = st().uploads.get(input.UploadId ?? '')
    if (!upload)
      throw err('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404)
    bucket(upload.bucket, input.ExpectedBucketOwner)
    return upload
  }

  return {
    CreateBucket: (input) => {
      const name: string = input.Bucket
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw err('InvalidBucketName', 'The specified bucket is not valid.', 400)
      const existing = st().buckets.get(name)
      if (st().foreignBuckets.has(name) || (existing && (existing.owner ?? ctx.account) !== ctx.account))
        throw err(
          'BucketAlreadyExists',
          'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
          409,
        )
      const constraint: string | undefined = input.CreateBucketConfiguration?.LocationConstraint
      if (constraint === 'us-east-1') throw err('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400)
      if ((constraint ?? 'us-east-1') !== ctx.region) {
        throw err(
          'IllegalLocationConstraintException',
          constraint
            ? `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`
            : 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
          400,
        )
      }
      if (st().buckets.has(name)) {
        // us-east-1 answers 200 to its owner, every other region BucketAlreadyOwnedByYou
        if (ctx.region === 'us-east-1') return { Location: `/${name}` }
        throw err('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409)
      }
      st().buckets.set(name, {
        name,
        region: ctx.region,
        tags: null,
        // S3's defaults for new buckets since 2023: all public access blocked, SSE-S3
        publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] },
        objects: new Map(),
      })
      return { Location: ctx.region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/` }
    },

    HeadBucket: (input) => ({ BucketRegion: head(input.Bucket, input.ExpectedBucketOwner).region, AccessPointAlias: false }),

    GetBucketTagging: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      if (!b.tags || !Object.keys(b.tags).length) throw err('NoSuchTagSet', 'The TagSet does not exist', 404)
      return { TagSet: Object.entries(b.tags).map(([Key, Value]) => ({ Key, Value })) }
    },

    PutBucketTagging: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      b.tags = Object.fromEntries((input.Tagging?.TagSet ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]))
      return {}
    },

    GetPublicAccessBlock: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      if (!b.publicAccessBlock) throw err('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404)
      return { PublicAccessBlockConfiguration: { ...b.publicAccessBlock } }
    },

    PutPublicAccessBlock: (input) => {
      bucket(input.Bucket, input.ExpectedBucketOwner).publicAccessBlock = { ...input.PublicAccessBlockConfiguration }
      return {}
    },

    GetBucketEncryption: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      if (!b.encryption) throw err('ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found', 404)
      return { ServerSideEncryptionConfiguration: b.encryption }
    },

    PutBucketEncryption: (input) => {
      bucket(input.Bucket, input.ExpectedBucketOwner).encryption = input.ServerSideEncryptionConfiguration
      return {}
    },

    HeadObject: (input) => {
      const o = head(input.Bucket, input.ExpectedBucketOwner).objects.get(input.Key)
      if (!o) throw err('NotFound', '', 404)
      return { ContentLength: o.body.byteLength, ETag: o.etag, LastModified: o.lastModified }
    },

    PutObject: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      const body = bodyBytes(input.Body)
      const etag = `"${md5(body)}"`
      putObject(b, input.Key, body, false, etag, parseTagging(input.Tagging))
      return { ETag: etag }
    },

    GetObjectTagging: (input) => {
      const o = bucket(input.Bucket, input.ExpectedBucketOwner).objects.get(input.Key)
      if (!o) throw err('NoSuchKey', 'The specified key does not exist.', 404)
      return { TagSet: Object.entries(o.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }
    },

    CreateMultipartUpload: (input) => {
      bucket(input.Bucket, input.ExpectedBucketOwner)
      const UploadId = ctx.ids.lowerAlnum(32)
      const tags = parseTagging(input.Tagging)
      st().uploads.set(UploadId, { bucket: input.Bucket, key: input.Key, ...(tags ? { tags } : {}), parts: new Map() })
      return { Bucket: input.Bucket, Key: input.Key, UploadId }
    },

    UploadPart: (input) => {
      const upload = uploadOf(input)
      const bytes = new Uint8Array(bodyBytes(input.Body))
      const etag = `"${md5(bytes)}"`
      upload.parts.set(input.PartNumber, { bytes, etag })
      return { ETag: etag }
    },

    CompleteMultipartUpload: (input) => {
      const upload = uploadOf(input)
      const listed: { PartNumber: number; ETag: string }[] = input.MultipartUpload?.Parts ?? []
      if (!listed.length) throw err('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400)
      const parts: Uint8Array[] = []
      for (const [i, p] of listed.entries()) {
        const part = upload.parts.get(p.PartNumber)
        if (!part || part.etag !== p.ETag) throw err('InvalidPart', 'One or more of the specified parts could not be found.', 400)
        if (i > 0 && p.PartNumber <= listed[i - 1].PartNumber) throw err('InvalidPartOrder', 'The list of parts was not in ascending order.', 400)
        if (i < listed.length - 1 && part.bytes.byteLength < MIN_PART)
          throw err('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400)
        parts.push(part.bytes)
      }
      const body = Buffer.concat(parts)
      const etag = `"${md5(Buffer.concat(listed.map((p) => Buffer.from(p.ETag.replace(/"/g, ''), 'hex'))))}-${parts.length}"`
      putObject(bucket(upload.bucket), upload.key, body, true, etag, upload.tags)
      st().uploads.delete(input.UploadId)
      return { Bucket: upload.bucket, Key: upload.key, ETag: etag, Location: `https://${upload.bucket}.s3.${ctx.region}.amazonaws.com/${upload.key}` }
    },

    AbortMultipartUpload: (input) => {
      const upload = st().uploads.get(input.UploadId)
      if (upload) bucket(upload.bucket, input.ExpectedBucketOwner)
      if (!st().uploads.delete(input.UploadId)) throw err('NoSuchUpload', 'The specified upload does not exist.', 404)
      return {}
    },

    ListObjectsV2: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      const prefix: string = input.Prefix ?? ''
      const delimiter: string | undefined = input.Delimiter
      const max: number = input.MaxKeys ?? 1000
      const after: string = input.ContinuationToken ? Buffer.from(input.ContinuationToken, 'base64').toString('utf8') : (input.StartAfter ?? '')
      // keys and common prefixes in one sorted stream, as S3 pages them
      const entries = new Map<string, { key?: string; prefix?: string }>()
      for (const key of [...b.objects.keys()].sort()) {
        if (!key.startsWith(prefix)) continue
        const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1
        if (cut >= 0) {
          const p = key.slice(0, cut + delimiter!.length)
          if (!entries.has(p)) entries.set(p, { prefix: p })
        } else entries.set(key, { key })
      }
      const sorted = [...entries.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)).filter(([name]) => name > after)
      const pageEntries = sorted.slice(0, max)
      const truncated = sorted.length > max
      const Contents = pageEntries
        .filter(([, e]) => e.key)
        .map(([key]) => {
          const o = b.objects.get(key)!
          return { Key: key, Size: o.body.byteLength, ETag: o.etag, LastModified: o.lastModified, StorageClass: 'STANDARD' }
        })
      const CommonPrefixes = pageEntries.filter(([, e]) => e.prefix).map(([p]) => ({ Prefix: p }))
      return {
        Name: b.name,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        MaxKeys: max,
        KeyCount: pageEntries.length,
        IsTruncated: truncated,
        ...(Contents.length ? { Contents } : {}),
        ...(CommonPrefixes.length ? { CommonPrefixes } : {}),
        ...(truncated ? { NextContinuationToken: Buffer.from(pageEntries[pageEntries.length - 1][0]).toString('base64') } : {}),
      }
    },

    DeleteObjects: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      const objects: { Key: string }[] = input.Delete?.Objects ?? []
      if (objects.length > 1000) throw err('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400)
      for (const { Key } of objects) b.objects.delete(Key)
      return input.Delete?.Quiet ? {} : { Deleted: objects.map(({ Key }) => ({ Key })) }
    },

    DeleteBucket: (input) => {
      const b = bucket(input.Bucket, input.ExpectedBucketOwner)
      if (b.objects.size) throw err('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409)
      st().buckets.delete(b.name)
      return {}
    },
  }
}

/** The bytes of an object, for the fake Lambda's S3 code source; an S3 error name when it cannot be read. */
export function readObject(ctx: FakeContext, bucketName: string, key: string): Uint8Array | { error: string; message: string } {
  const b = ctx.state.s3.buckets.get(bucketName)
  if (!b) return { error: 'NoSuchBucket', message: 'The specified bucket does not exist' }
  if (b.region !== ctx.region) return { error: 'PermanentRedirect', message: 'The bucket is in this region: ' + b.region }
  const o = b.objects.get(key)
  if (!o) return { error: 'NoSuchKey', message: 'The specified key does not exist.' }
  return o.body
}
