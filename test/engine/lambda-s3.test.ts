import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
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

  it("destroy deletes this app's packages, and the bucket only once no other app's package remains", async () => {
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
    expect(fake.state.s3.buckets.has(bucket())).toBe(true)
    expect(fake.callsOf('DeleteBucket')).toHaveLength(0)
    expect(gone.plan.unchanged).toContainEqual({ resource: { type: 's3:bucket', name: bucket() }, note: "other apps' packages remain: kept" })

    // given the other app's package is gone, and this app's env had left another package
    b.objects.delete('other/dev/0123.zip')
    b.objects.set('hello/dev/abcd.zip', { body: new Uint8Array([2]), etag: '"y"', multipart: false, lastModified: new Date() })

    // when destroying again
    const again = await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then the package and the bucket are deleted
    expect(again.plan.steps.map((s) => s.id)).toEqual(['artifacts-objects', 'artifacts-bucket'])
    expect(fake.state.s3.buckets.has(bucket())).toBe(false)
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

  it('another env of the same app keeps the bucket too', async () => {
    const dir = project(APP)
    fake.state.s3.buckets.set(bucket(), {
      name: bucket(),
      region: 'us-west-2',
      tags: { ...ARTIFACTS_BUCKET_TAGS },
      publicAccessBlock: null,
      encryption: null,
      objects: new Map([
        ['hello/dev/1.zip', { body: new Uint8Array([1]), etag: '"a"', multipart: false, lastModified: new Date() }],
        ['hello/prod/2.zip', { body: new Uint8Array([2]), etag: '"b"', multipart: false, lastModified: new Date() }],
      ]),
    })
    const { plan } = await planFor(dir, { target: 'lambda', command: 'destroy' })
    expect(plan.steps.map((s) => s.id)).toEqual(['artifacts-objects'])
    expect(plan.steps[0].request.input).toEqual({ Bucket: bucket(), Delete: { Objects: [{ Key: 'hello/dev/1.zip' }], Quiet: true } })
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
