import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { beforeEach, describe, expect, it } from 'vitest'
import { ARTIFACTS_BUCKET_TAGS, artifactsBucketName } from '../../src/targets/lambda/artifacts.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const APP = `
name: hello
region: us-west-2
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /"]
`
const HANDLER = 'export const handler = async () => ({ statusCode: 200 })\n'
const MB = 1024 * 1024

/** A project whose package is `mb` MB of random bytes: deflate cannot shrink it, so the zip is that big. */
function bigProject(mb: number, yaml = APP): string {
  const dir = project(yaml, { 'src/index.mjs': HANDLER })
  writeFileSync(join(dir, 'src', 'blob.bin'), randomBytes(mb * MB))
  return dir
}

describe('lambda packages above 50 MB go through S3', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const bucket = () => artifactsBucketName(fake.account, 'us-west-2')

  it('a 60 MB package: bucket created, multipart upload, function from S3; a redeploy uploads nothing', async () => {
    // given a 60 MB incompressible package
    const dir = bigProject(60)

    // when deploying
    const first = await deploy(dir, { target: 'lambda' })

    // then shipit's bucket exists, tagged, public access blocked, encrypted, in the region
    expect(first.status).toBe('applied')
    expect(fake.callsOf('CreateBucket')[0].input).toEqual({ Bucket: bucket(), CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } })
    const b = fake.state.s3.buckets.get(bucket())!
    expect(b.tags).toEqual(ARTIFACTS_BUCKET_TAGS)
    expect(fake.callsOf('PutPublicAccessBlock')[0].input.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    })
    expect(fake.callsOf('PutBucketEncryption')[0].input.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    })
    // the package went up in 8 MB parts, under its content hash, and nowhere in a Lambda request
    const sha = first.plan.steps.find((s) => s.id === 'artifact-upload')!.changes![0].after as { sha256: string; size: number }
    expect(sha.size).toBeGreaterThan(60 * MB)
    const key = `hello/dev/${sha.sha256}.zip`
    expect([...b.objects.keys()]).toEqual([key])
    expect(b.objects.get(key)!.multipart).toBe(true)
    expect(fake.callsOf('CreateMultipartUpload')).toHaveLength(1)
    expect(fake.callsOf('UploadPart')).toHaveLength(Math.ceil(sha.size / (8 * MB)))
    expect(fake.callsOf('CompleteMultipartUpload')).toHaveLength(1)
    expect(fake.callsOf('PutObject')).toHaveLength(0)
    const create = fake.callsOf('CreateFunction')[0]
    expect(create.input.Code).toEqual({ S3Bucket: bucket(), S3Key: key })
    // Lambda's CodeSha256 is the hash of the object: the zip shipit built
    const fn = fake.state.lambda.functions.get('hello-dev')!
    expect(fn.config.CodeSha256).toBe(createHash('sha256').update(b.objects.get(key)!.body).digest('base64'))
    expect(fn.config.CodeSha256).toBe(Buffer.from(sha.sha256, 'hex').toString('base64'))

    // when deploying again with nothing changed
    fake.calls.length = 0
    const second = await deploy(dir, { target: 'lambda' })

    // then nothing is written, nothing uploaded
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])
    expect(second.plan.unchanged.map((u) => u.resource.type)).toEqual(expect.arrayContaining(['s3:bucket', 's3:object']))
  })

  it("destroy deletes this app's packages and keeps the shared bucket, even when nothing else is left in it", async () => {
    const dir = bigProject(55)
    await deploy(dir, { target: 'lambda' })
    const b = fake.state.s3.buckets.get(bucket())!
    // given another app's package in the shared bucket
    b.objects.set('other/dev/0123.zip', { body: new Uint8Array([1]), etag: '"x"', multipart: false, lastModified: new Date() })

    // when destroying this app
    const gone = await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then this app's packages are gone and the bucket stays, said so in the plan
    expect(gone.status).toBe('applied')
    expect([...b.objects.keys()]).toEqual(['other/dev/0123.zip'])
    expect(fake.callsOf('DeleteBucket')).toHaveLength(0)
    expect(gone.plan.unchanged).toContainEqual({
      resource: { type: 's3:bucket', name: bucket() },
      note: 'shared by shipit’s apps in this account and region: never deleted by an app’s destroy (aws s3 rb to remove it)',
    })

    // given the other app's package is gone, and this app's env had left another package
    b.objects.delete('other/dev/0123.zip')
    const left = `hello/dev/${'cd'.repeat(32)}.zip`
    b.objects.set(left, { body: new Uint8Array([2]), etag: '"y"', multipart: false, lastModified: new Date() })

    // when destroying again: the package is deleted, listed by key; the empty bucket stays
    const again = await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(again.plan.steps.map((s) => s.id)).toEqual(['artifacts-objects'])
    expect(again.plan.steps[0].resource.name).toBe(`s3://${bucket()}/${left}`)
    expect(again.plan.steps[0].changes).toEqual([{ path: 'Key', before: left }])
    expect(b.objects.size).toBe(0)
    expect(fake.state.s3.buckets.has(bucket())).toBe(true)
  })

  it("the race of the review: one app's destroy while another app's 55 MB upload is in flight leaves the upload whole", async () => {
    // given app hello's package is the only object in the shared bucket
    const dir = bigProject(55)
    await deploy(dir, { target: 'lambda' })
    const s3 = new S3Client({ region: 'us-west-2' })
    // and app other has started its multipart upload and sent its first part (S3 lists no object yet)
    const Key = `other/dev/${'ef'.repeat(32)}.zip`
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket(), Key }))
    const part = randomBytes(8 * MB)
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket(), Key, UploadId, PartNumber: 1, Body: part }))

    // when hello is destroyed in the middle of that upload
    const gone = await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(gone.status).toBe('applied')

    // then the bucket is still there, and other's upload completes
    expect(fake.callsOf('DeleteBucket')).toHaveLength(0)
    const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket(), Key, UploadId, PartNumber: 2, Body: part.subarray(0, 1000) }))
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket(),
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    )
    expect([...fake.state.s3.buckets.get(bucket())!.objects.keys()]).toEqual([Key])
  })

  it("function.bucket (the review's input): a file the user put under <app>/<env>/ survives destroy; shipit's packages go, listed by key", async () => {
    // given the user's own bucket, with files of theirs under hello/dev/: one any name, one named like a package
    const mine = {
      'hello/dev/notes.txt': new Uint8Array([1]),
      [`hello/dev/${'0f'.repeat(32)}.zip`]: new Uint8Array([2]),
    }
    fake.state.s3.buckets.set('my-own-bucket', {
      name: 'my-own-bucket',
      region: 'us-west-2',
      tags: null,
      publicAccessBlock: null,
      encryption: null,
      objects: new Map(Object.entries(mine).map(([k, body]) => [k, { body, etag: '"u"', multipart: false, lastModified: new Date() }])),
    })
    const dir = project(APP.replace('  source: ./src', '  source: ./src\n  bucket: my-own-bucket'))
    await deploy(dir, { target: 'lambda' })
    const objects = fake.state.s3.buckets.get('my-own-bucket')!.objects
    const ours = [...objects.keys()].filter((k) => !(k in mine))
    expect(ours).toHaveLength(1)
    // shipit's package carries its tags, written with the object itself
    expect(objects.get(ours[0])!.tags).toEqual({ 'shipit:app': 'hello', 'shipit:env': 'dev' })
    expect(fake.callsOf('PutObject')[0].input.Tagging).toBe('shipit%3Aapp=hello&shipit%3Aenv=dev')

    // when destroying
    const { plan } = await planFor(dir, { target: 'lambda', command: 'destroy' })
    const gone = await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then the plan deletes shipit's package by its key and names each file it keeps
    const del = plan.steps.filter((s) => s.request.service === 's3')
    expect(del.map((s) => s.resource.name)).toEqual([`s3://my-own-bucket/${ours[0]}`])
    expect(del[0].request.input.Delete).toEqual({ Objects: [{ Key: ours[0] }], Quiet: true })
    for (const k of Object.keys(mine)) {
      expect(plan.unchanged).toContainEqual({
        resource: { type: 's3:object', name: `s3://my-own-bucket/${k}` },
        note: 'no shipit tags for this app and env, so not put there by shipit: kept',
      })
    }
    // and afterwards the user's files are there, byte for byte; shipit's package is gone
    expect(gone.status).toBe('applied')
    expect([...objects.keys()].sort()).toEqual(Object.keys(mine).sort())
    for (const [k, body] of Object.entries(mine)) expect(objects.get(k)!.body).toEqual(body)
    expect(fake.callsOf('DeleteBucket')).toHaveLength(0)
  })

  it('a package tagged for another env of the same app, in the user bucket, is not this env’s to delete', async () => {
    const key = `hello/dev/${'aa'.repeat(32)}.zip`
    fake.state.s3.buckets.set('my-own-bucket', {
      name: 'my-own-bucket',
      region: 'us-west-2',
      tags: null,
      publicAccessBlock: null,
      encryption: null,
      objects: new Map([
        [key, { body: new Uint8Array([1]), etag: '"p"', multipart: false, lastModified: new Date(), tags: { 'shipit:app': 'hello', 'shipit:env': 'prod' } }],
      ]),
    })
    const dir = project(APP.replace('  source: ./src', '  source: ./src\n  bucket: my-own-bucket'))
    const { plan } = await planFor(dir, { target: 'lambda', command: 'destroy' })
    expect(plan.steps.filter((s) => s.request.service === 's3')).toEqual([])
    expect(fake.callsOf('GetObjectTagging').map((c) => c.input)).toEqual([{ Bucket: 'my-own-bucket', Key: key, ExpectedBucketOwner: fake.account }])
  })

  it('an upload that fails part-way leaves no parts behind, and the next deploy converges', async () => {
    const dir = bigProject(55)
    // given the third part fails
    fake.failOn('UploadPart', { name: 'InternalError', message: 'We encountered an internal error. Please try again.', httpStatus: 500 }, { nth: 3 })

    // when deploying: the deploy fails, the function is not created, the multipart upload is aborted
    await expect(deploy(dir, { target: 'lambda' })).rejects.toMatchObject({ exitCode: 1 })
    expect(fake.state.lambda.functions.size).toBe(0)
    expect(fake.callsOf('AbortMultipartUpload')).toHaveLength(1)
    expect(fake.state.s3.uploads.size).toBe(0)
    expect(fake.state.s3.buckets.get(bucket())!.objects.size).toBe(0)

    // when deploying again: the bucket is kept as it is, the package uploaded, the function created
    fake.calls.length = 0
    await deploy(dir, { target: 'lambda' })
    expect(fake.callsOf('CreateBucket')).toHaveLength(0)
    expect(fake.state.s3.buckets.get(bucket())!.objects.size).toBe(1)
    expect(fake.state.lambda.functions.get('hello-dev')).toBeDefined()
  })

  it('every S3 request but CreateBucket names the account that must own the bucket, aborted uploads included', async () => {
    const dir = bigProject(55)
    // given an upload that fails at its third part, then a deploy that converges and a destroy
    fake.failOn('UploadPart', { name: 'InternalError', message: 'We encountered an internal error. Please try again.', httpStatus: 500 }, { nth: 3 })
    await expect(deploy(dir, { target: 'lambda' })).rejects.toMatchObject({ exitCode: 1 })
    await deploy(dir, { target: 'lambda' })
    await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then each S3 call carried ExpectedBucketOwner: the caller's account from STS
    const s3 = fake.calls.filter((c) => c.service === 's3')
    const ops = new Set(s3.map((c) => c.operation))
    for (const op of [
      'HeadBucket',
      'ListObjectsV2',
      'PutBucketTagging',
      'CreateMultipartUpload',
      'UploadPart',
      'AbortMultipartUpload',
      'CompleteMultipartUpload',
      'DeleteObjects',
    ])
      expect(ops).toContain(op)
    const without = s3.filter((c) => c.operation !== 'CreateBucket' && c.input.ExpectedBucketOwner !== fake.account)
    expect(without.map((c) => c.operation)).toEqual([])
  })

  it("a look-alike shipit-artifacts bucket of another account, readable and tagged like shipit's, is never trusted", async () => {
    // given another account made shipit's bucket name first, tagged it as shipit does, and lets everyone use it
    fake.state.s3.buckets.set(bucket(), {
      name: bucket(),
      region: 'us-west-2',
      owner: '999999999999',
      tags: { ...ARTIFACTS_BUCKET_TAGS },
      publicAccessBlock: null,
      encryption: null,
      objects: new Map(),
    })
    const dir = bigProject(55)

    // when planning and deploying a package that goes through S3
    const { plan } = await planFor(dir, { target: 'lambda' })

    // then S3 answered 403 to the owner check, and the plan stops, saying why
    expect(plan.blocked).toEqual([
      {
        resource: { type: 's3:bucket', name: bucket() },
        reason: `the name is taken by a bucket of another account than ${fake.account}, or one these credentials cannot read; set function.bucket to a bucket of yours`,
      },
    ])
    await expect(deploy(dir, { target: 'lambda' })).rejects.toMatchObject({ exitCode: 1 })
    expect(fake.mutatingCalls()).toEqual([])
    expect(fake.state.s3.buckets.get(bucket())!.objects.size).toBe(0)
  })

  it('another env of the same app keeps its packages', async () => {
    const dir = project(APP)
    const [dev, prod] = [`hello/dev/${'01'.repeat(32)}.zip`, `hello/prod/${'02'.repeat(32)}.zip`]
    fake.state.s3.buckets.set(bucket(), {
      name: bucket(),
      region: 'us-west-2',
      tags: { ...ARTIFACTS_BUCKET_TAGS },
      publicAccessBlock: null,
      encryption: null,
      objects: new Map([
        [dev, { body: new Uint8Array([1]), etag: '"a"', multipart: false, lastModified: new Date() }],
        [prod, { body: new Uint8Array([2]), etag: '"b"', multipart: false, lastModified: new Date() }],
      ]),
    })
    const { plan } = await planFor(dir, { target: 'lambda', command: 'destroy' })
    expect(plan.steps.map((s) => s.id)).toEqual(['artifacts-objects'])
    expect(plan.steps[0].request.input).toEqual({ Bucket: bucket(), ExpectedBucketOwner: fake.account, Delete: { Objects: [{ Key: dev }], Quiet: true } })
  })

  it('function.bucket: the package goes to the user’s bucket, which shipit never changes nor deletes', async () => {
    // given a bucket of the user's, untagged, and a small package
    fake.state.s3.buckets.set('my-packages', {
      name: 'my-packages',
      region: 'us-west-2',
      tags: null,
      publicAccessBlock: null,
      encryption: null,
      objects: new Map(),
    })
    const dir = project(APP.replace('  source: ./src', '  source: ./src\n  bucket: my-packages'))

    // when deploying and destroying
    await deploy(dir, { target: 'lambda' })
    const key = [...fake.state.s3.buckets.get('my-packages')!.objects.keys()][0]
    expect(key).toMatch(/^hello\/dev\/[0-9a-f]{64}\.zip$/)
    // a package of one part is one PutObject
    expect(fake.callsOf('PutObject')).toHaveLength(1)
    expect(fake.callsOf('CreateMultipartUpload')).toHaveLength(0)
    expect(fake.callsOf('CreateFunction')[0].input.Code).toEqual({ S3Bucket: 'my-packages', S3Key: key })

    // when the code changes, the new package is uploaded first and the function's code points at it
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
    fake.calls.length = 0
    await deploy(dir, { target: 'lambda' })
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['PutObject', 'UpdateFunctionCode', 'PublishVersion', 'UpdateAlias'])
    const newKey = fake.callsOf('PutObject')[0].input.Key
    expect(newKey).not.toBe(key)
    expect(fake.callsOf('UpdateFunctionCode')[0].input).toMatchObject({ S3Bucket: 'my-packages', S3Key: newKey })
    expect(fake.callsOf('UpdateFunctionCode')[0].input.ZipFile).toBeUndefined()
    await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then only the packages were written and removed; the bucket's settings were never touched
    expect(fake.state.s3.buckets.get('my-packages')!.objects.size).toBe(0)
    expect(fake.callsOf('DeleteObjects')[0].input.Delete.Objects).toHaveLength(2)
    const bucketWrites = fake.mutatingCalls().filter((c) => c.service === 's3' && !['PutObject', 'DeleteObjects'].includes(c.operation))
    expect(bucketWrites).toEqual([])
  })

  it('function.bucket that does not exist stops the deploy before any change, saying what to do', async () => {
    const dir = project(APP.replace('  source: ./src', '  source: ./src\n  bucket: not-there'))
    const { plan } = await planFor(dir, { target: 'lambda' })
    expect(plan.blocked).toEqual([
      {
        resource: { type: 's3:bucket', name: 'not-there' },
        reason: 'function.bucket: no such bucket; create it in us-west-2, or remove function.bucket to let shipit make its own',
      },
    ])
    await expect(deploy(dir, { target: 'lambda' })).rejects.toMatchObject({ exitCode: 1 })
    expect(fake.mutatingCalls()).toEqual([])
  })
})
