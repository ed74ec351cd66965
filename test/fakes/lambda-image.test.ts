import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeAws, type FakeAws } from './aws.js'

const config = { region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})
const DIGEST_1 = `sha256:${'1'.repeat(64)}`
const DIGEST_2 = `sha256:${'2'.repeat(64)}`

let fake: FakeAws
let registry: string
let role: string
const lambda = () => new LambdaClient(config)
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error) => e,
  )

/** An ECR repository with two images, pushed the way the fake container CLI records pushes. */
async function repositoryWithImages(): Promise<void> {
  await new ECRClient(config).send(new CreateRepositoryCommand({ repositoryName: 'shipit/web' }))
  const log = join(mkdtempSync(join(tmpdir(), 'shipit-pushes-')), 'pushed.jsonl')
  const push = (tag: string, digest: string) => JSON.stringify({ registry, repository: 'shipit/web', tag, digest, size: 1234 })
  writeFileSync(log, `${push('a', DIGEST_1)}\n${push('b', DIGEST_2)}\n`)
  fake.watchContainerPushes(log)
}

beforeEach(async () => {
  fake = createFakeAws()
  registry = `${fake.account}.dkr.ecr.us-west-2.amazonaws.com`
  const created = await new IAMClient(config).send(new CreateRoleCommand({ RoleName: 'fn', AssumeRolePolicyDocument: TRUST }))
  role = created.Role?.Arn as string
  await repositoryWithImages()
})
afterEach(() => fake.restore())

const image = (input: Record<string, unknown> = {}) =>
  new CreateFunctionCommand({ FunctionName: 'web', Role: role, PackageType: 'Image', Code: { ImageUri: `${registry}/shipit/web@${DIGEST_1}` }, ...input })

describe('Lambda image functions in the fake, as Lambda words them', () => {
  it('creates one from an ECR image by digest: Pending while the image is optimized, then Code.ImageUri and ResolvedImageUri', async () => {
    const created = await lambda().send(image())
    expect(created).toMatchObject({ PackageType: 'Image', State: 'Pending', CodeSha256: '1'.repeat(64) })
    expect(created).not.toHaveProperty('Runtime')
    const read = await lambda().send(new GetFunctionCommand({ FunctionName: 'web' }))
    expect(read.Configuration?.State).toBe('Active')
    expect(read.Code).toEqual({ RepositoryType: 'ECR', ImageUri: `${registry}/shipit/web@${DIGEST_1}`, ResolvedImageUri: `${registry}/shipit/web@${DIGEST_1}` })
  })

  it('refuses a runtime or handler with PackageType Image', async () => {
    const e = await failure(lambda().send(image({ Runtime: 'nodejs22.x', Handler: 'index.handler' })))
    expect(e).toMatchObject({
      name: 'InvalidParameterValueException',
      message: `Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.`,
    })
  })

  it('refuses an image that is not in ECR of this account and region, or not an ECR image at all', async () => {
    const unknown = `${registry}/shipit/web@sha256:${'9'.repeat(64)}`
    expect(await failure(lambda().send(image({ Code: { ImageUri: unknown } })))).toMatchObject({
      name: 'InvalidParameterValueException',
      message: `Source image ${unknown} does not exist. Provide a valid source image.`,
    })
    const elsewhere = `${registry.replace('us-west-2', 'eu-west-1')}/shipit/web@${DIGEST_1}`
    expect(await failure(lambda().send(image({ Code: { ImageUri: elsewhere } })))).toMatchObject({
      message: `Source image ${elsewhere} does not exist. Provide a valid source image.`,
    })
    const pub = 'public.ecr.aws/nginx/nginx:1.27'
    expect(await failure(lambda().send(image({ Code: { ImageUri: pub } })))).toMatchObject({
      message: `Source image ${pub} is not valid. Provide a valid source image.`,
    })
  })

  it('UpdateFunctionCode takes a new ImageUri (InProgress until read), never a zip; a zip function takes no ImageUri', async () => {
    await lambda().send(image())
    await lambda().send(new GetFunctionCommand({ FunctionName: 'web' }))
    const updated = await lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'web', ImageUri: `${registry}/shipit/web:b` }))
    expect(updated).toMatchObject({ LastUpdateStatus: 'InProgress', CodeSha256: '2'.repeat(64) })
    const read = await lambda().send(new GetFunctionCommand({ FunctionName: 'web' }))
    expect(read.Code?.ResolvedImageUri).toBe(`${registry}/shipit/web@${DIGEST_2}`)
    expect(await failure(lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'web', ZipFile: new Uint8Array([1]) })))).toMatchObject({
      name: 'InvalidParameterValueException',
    })
  })

  it('reserves concurrency, keeping 100 of the account unreserved', async () => {
    await lambda().send(image())
    await lambda().send(new PutFunctionConcurrencyCommand({ FunctionName: 'web', ReservedConcurrentExecutions: 5 }))
    expect((await lambda().send(new GetFunctionCommand({ FunctionName: 'web' }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 5 })
    expect(await failure(lambda().send(new PutFunctionConcurrencyCommand({ FunctionName: 'web', ReservedConcurrentExecutions: 950 })))).toMatchObject({
      message: "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    })
    await lambda().send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'web' }))
    expect((await lambda().send(new GetFunctionCommand({ FunctionName: 'web' }))).Concurrency).toBeUndefined()
  })
})
