import { describe, expect, it } from 'vitest'
import { renderRunbook } from '../../../src/plan/runbook.js'
import type { Artifact } from '../../../src/plan/types.js'
import {
  ARTIFACTS_BUCKET_TAGS,
  artifactKey,
  artifactsBucketName,
  type ObservedArtifactStore,
  packageMayNeedS3,
  planArtifactUpload,
  storeLocation,
} from '../../../src/targets/lambda/artifacts.js'
import { lambdaTarget } from '../../../src/targets/lambda/index.js'
import type { LambdaObserved } from '../../../src/targets/lambda/observe.js'
import { planLambda } from '../../../src/targets/lambda/plan.js'
import { PartBuilder } from '../../../src/targets/part.js'
import type { Target } from '../../../src/targets/target.js'
import { desiredFrom, LAMBDA_YAML, planDocument } from '../../helpers/plan.js'

const ACCOUNT = '123456789012'
const MB = 1024 * 1024
const desired = desiredFrom(LAMBDA_YAML)
const artifact: Artifact = { artifact: 'zip', source: 'src', sha256: 'ab'.repeat(32), size: 60 * MB }
const BUCKET = artifactsBucketName(ACCOUNT, 'us-west-2')

function store(over: Partial<ObservedArtifactStore> = {}): ObservedArtifactStore {
  return {
    bucket: BUCKET,
    managed: true,
    exists: true,
    forbidden: false,
    region: 'us-west-2',
    tags: { ...ARTIFACTS_BUCKET_TAGS },
    publicAccessBlocked: true,
    encrypted: true,
    keys: [],
    owner: ACCOUNT,
    ...over,
  }
}

function plan(observed: ObservedArtifactStore | null, options: { region?: string; adopt?: boolean; d?: typeof desired } = {}) {
  const d = options.d ?? desired
  const region = options.region ?? 'us-west-2'
  const b = new PartBuilder(d, { region, account: ACCOUNT, adopt: options.adopt ?? false })
  const planned = planArtifactUpload(b, observed, storeLocation(d, ACCOUNT, region), artifact)
  return { planned, part: b.part(), ops: b.steps.map((s) => s.request.operation) }
}

describe('the package bucket and upload, planned', () => {
  it('a bucket name per account and region, at most 63 characters', () => {
    expect(artifactsBucketName(ACCOUNT, 'us-west-2')).toBe('shipit-artifacts-123456789012-us-west-2')
    expect(artifactsBucketName(ACCOUNT, 'ap-southeast-7-some-very-long-future-region-name').length).toBeLessThanOrEqual(63)
    expect(artifactsBucketName(ACCOUNT, 'ap-southeast-7-some-very-long-future-region-name')).not.toMatch(/[-.]$/)
  })

  it('nothing there: bucket created in the region, tagged, public access blocked, encrypted, then the upload', () => {
    const { planned, part, ops } = plan(null)
    expect(ops).toEqual(['CreateBucket', 'PutBucketTagging', 'PutPublicAccessBlock', 'PutBucketEncryption', 'UploadArtifact'])
    expect(part.steps[0].request.input).toEqual({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } })
    const upload = part.steps.at(-1)!
    expect(upload.request.input).toEqual({
      Bucket: BUCKET,
      Key: artifactKey('hello', 'dev', artifact.sha256),
      Body: artifact,
      ExpectedBucketOwner: ACCOUNT,
      Tagging: 'shipit%3Aapp=hello&shipit%3Aenv=dev',
    })
    expect(upload.dependsOn).toEqual(['artifacts-bucket', 'artifacts-bucket-tags', 'artifacts-bucket-public-access', 'artifacts-bucket-encryption'])
    expect(planned).toEqual({ code: { S3Bucket: BUCKET, S3Key: `hello/dev/${artifact.sha256}.zip` }, deps: ['artifact-upload'], blocked: false })
  })

  it('in us-east-1 CreateBucket names no location constraint (S3 refuses it there)', () => {
    const { part } = plan(null, { region: 'us-east-1' })
    expect(part.steps[0].request.input).toEqual({ Bucket: artifactsBucketName(ACCOUNT, 'us-east-1') })
  })

  it('bucket in line and the package uploaded before: no step', () => {
    const { part, planned } = plan(store({ keys: [artifactKey('hello', 'dev', artifact.sha256)] }))
    expect(part.steps).toEqual([])
    expect(planned.deps).toEqual([])
    expect(part.unchanged.map((u) => u.resource.type)).toEqual(['s3:bucket', 's3:object'])
  })

  it('a bucket left without its public access block or encryption (an interrupted deploy) is brought in line', () => {
    expect(plan(store({ publicAccessBlocked: false, encrypted: false })).ops).toEqual(['PutPublicAccessBlock', 'PutBucketEncryption', 'UploadArtifact'])
  })

  it('a bucket with shipit’s name but not its tags is refused; --adopt tags it, keeping its tags', () => {
    const untagged = store({ tags: { team: 'x' } })
    const refused = plan(untagged)
    expect(refused.planned.blocked).toBe(true)
    expect(refused.part.blocked[0].resource).toEqual({ type: 's3:bucket', name: BUCKET })
    const adopted = plan(untagged, { adopt: true })
    expect(adopted.ops).toEqual(['PutBucketTagging', 'UploadArtifact'])
    expect(adopted.part.steps[0].request.input).toEqual({
      Bucket: BUCKET,
      ExpectedBucketOwner: ACCOUNT,
      Tagging: { TagSet: [{ Key: 'team', Value: 'x' }, ...Object.entries(ARTIFACTS_BUCKET_TAGS).map(([Key, Value]) => ({ Key, Value }))] },
    })
  })

  it('the name taken by another account is blocked with what to do', () => {
    const { part } = plan(store({ exists: false, forbidden: true }))
    expect(part.blocked[0].reason).toMatch(/set function.bucket/)
    expect(part.steps).toEqual([])
  })

  it("function.bucket in another region is blocked: Lambda reads code only from its own region's buckets", () => {
    const d = desiredFrom(LAMBDA_YAML.replace('  source: ./src', '  source: ./src\n  bucket: my-packages'))
    const { part } = plan(store({ bucket: 'my-packages', managed: false, tags: {}, region: 'eu-west-1' }), { d })
    expect(part.blocked).toEqual([
      {
        resource: { type: 's3:bucket', name: 'my-packages' },
        reason: "function.bucket is in eu-west-1: Lambda reads code only from a bucket in the function's region (us-west-2)",
      },
    ])
  })

  it('whether observe must read the bucket is decided from the listing with an upper bound of the zip size', () => {
    expect(packageMayNeedS3([{ path: 'a.bin', size: 49 * MB }])).toBe(false)
    expect(packageMayNeedS3([{ path: 'a.bin', size: 50 * MB }])).toBe(true)
  })

  it('the function is created from S3, after the upload, and the runbook uploads with aws s3api put-object, tagged, to the expected owner', () => {
    const prepared = { artifacts: new Map([['function', { artifact, bytes: new Uint8Array(), needsS3: true }]]) }
    const target = lambdaTarget as Target<unknown>
    const part = planLambda(desired, target.nothing(desired) as LambdaObserved, prepared, { region: 'us-west-2', account: ACCOUNT, adopt: false })
    const fn = part.steps.find((s) => s.id === 'function')!
    expect(fn.request.input.Code).toEqual({ S3Bucket: BUCKET, S3Key: `hello/dev/${artifact.sha256}.zip` })
    expect(fn.dependsOn).toContain('artifact-upload')
    const plan = planDocument(desired, target, part, {}, ACCOUNT)
    const script = renderRunbook(plan, { catalogue: lambdaTarget.catalogue })
    expect(script).toContain(
      `aws s3api put-object --bucket ${BUCKET} --key hello/dev/${artifact.sha256}.zip --body "\${HERE}/function.zip" --content-type application/zip --expected-bucket-owner ${ACCOUNT} --tagging 'shipit%3Aapp=hello&shipit%3Aenv=dev' --region "$REGION" >/dev/null`,
    )
  })
})
