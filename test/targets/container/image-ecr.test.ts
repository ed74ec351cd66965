import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../../src/aws/clients.js'
import { parseManifest } from '../../../src/manifest/load.js'
import { type ContainerDesired, resolveDesired } from '../../../src/manifest/resolve.js'
import { resolveValue } from '../../../src/plan/execute.js'
import { isLocalRequest, type Ref, type Step } from '../../../src/plan/types.js'
import { checkContainerCli } from '../../../src/targets/image/cli.js'
import { lifecyclePolicy, nothingEcr, type ObservedEcr, observeEcr, planImage, planImageDestroy } from '../../../src/targets/image/ecr.js'
import { runContainerOperation } from '../../../src/targets/image/operations.js'
import { type PreparedImage, prepareImage } from '../../../src/targets/image/prepare.js'
import { PartBuilder } from '../../../src/targets/part.js'
import { useFakeAws } from '../../helpers/fake.js'
import { asContainer } from '../../helpers/plan.js'
import { buildContext, type FakeCliSetup, fakeCli } from './image-helpers.js'

const ctx = { region: 'us-west-2', account: '123456789012', adopt: false }
const REGISTRY = '123456789012.dkr.ecr.us-west-2.amazonaws.com'

function desiredIn(dir: string, options: { env?: string; keepImages?: number; architecture?: string } = {}): ContainerDesired {
  const yaml = `name: web
region: us-west-2
container:
  build: { context: ., args: { NODE_ENV: production } }
  port: 8080
  architecture: ${options.architecture ?? 'x86_64'}
${options.keepImages ? `  keepImages: ${options.keepImages}\n` : ''}environments: { prod: {} }
`
  return asContainer(resolveDesired(parseManifest(yaml, 'app.yaml', {}, dir), { target: 'fargate', env: options.env }))
}

const ids = (steps: Step[]) => steps.map((s) => s.id)

describe('planImage, offline and on fixtures', () => {
  it('plans the repository, its lifecycle policy, a build and a push on a first deploy', async () => {
    const desired = desiredIn(buildContext(), { architecture: 'arm64' })
    const prepared = (await prepareImage(desired)) as PreparedImage
    const b = new PartBuilder(desired, { ...ctx, account: undefined })
    const { image, deps } = planImage(b, nothingEcr(), prepared, b.desired.container)

    expect(ids(b.steps)).toEqual(['ecr-repository', 'ecr-lifecycle', 'image-build', 'image-push'])
    expect(b.steps[0].request).toEqual({
      service: 'ecr',
      operation: 'CreateRepository',
      input: {
        repositoryName: 'shipit/web',
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: [
          { Key: 'shipit:app', Value: 'web' },
          { Key: 'shipit:env:dev', Value: 'uses' },
        ],
      },
    })
    expect(JSON.parse(b.steps[1].request.input.lifecyclePolicyText as string)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'keep the last 20 images (shipit)',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 },
          action: { type: 'expire' },
        },
      ],
    })
    expect(b.steps[2].request).toMatchObject({ service: 'container', operation: 'Build', input: { platform: 'linux/arm64', image: prepared.localImage } })
    expect(b.steps[3]).toMatchObject({
      request: {
        service: 'container',
        operation: 'Push',
        input: { repositoryUri: { ref: 'ecr-repository', output: 'repository.repositoryUri' }, tag: prepared.tag, repositoryName: 'shipit/web' },
      },
      dependsOn: ['image-build', 'ecr-repository'],
    })
    expect(image).toEqual({ ref: 'image-push', output: 'imageUri' })
    expect(deps).toEqual(['image-push'])
  })

  it('passes container.image through untouched', () => {
    const desired = asContainer(resolveDesired(parseManifest('name: web\ncontainer: { image: nginx:1.27 }\n', 'app.yaml', {}, '/app'), { target: 'fargate' }))
    const b = new PartBuilder(desired, ctx)
    expect(planImage(b, nothingEcr(), null, b.desired.container)).toEqual({ image: 'nginx:1.27', deps: [] })
    expect(b.steps).toEqual([])
  })

  it('refuses a repository with shipit’s name but no shipit tags, and adopts it with --adopt', async () => {
    const desired = desiredIn(buildContext())
    const prepared = await prepareImage(desired)
    const foreign: ObservedEcr = {
      repository: {
        name: 'shipit/web',
        arn: 'arn:aws:ecr:us-west-2:123456789012:repository/shipit/web',
        uri: `${REGISTRY}/shipit/web`,
        tags: { team: 'payments' },
        scanOnPush: true,
        tagMutability: 'IMMUTABLE',
        lifecyclePolicy: JSON.stringify(lifecyclePolicy(20)),
      },
      image: null,
    }
    const b = new PartBuilder(desired, ctx)
    planImage(b, foreign, prepared, b.desired.container)
    expect(b.steps).toEqual([])
    expect(b.blocked).toEqual([{ resource: { type: 'ecr:repository', name: 'shipit/web' }, reason: expect.stringMatching(/without shipit tags/) }])

    const adopt = new PartBuilder(desired, { ...ctx, adopt: true })
    planImage(adopt, foreign, prepared, adopt.desired.container)
    expect(ids(adopt.steps)).toEqual(['ecr-repository-tags', 'image-build', 'image-push'])
    expect(adopt.steps[0].reason).toBe('adopt: add shipit tags')
  })

  it('brings a repository of ours back to scan-on-push, immutable tags and the lifecycle policy asked for', async () => {
    const desired = desiredIn(buildContext(), { keepImages: 5 })
    const prepared = (await prepareImage(desired)) as PreparedImage
    const drifted: ObservedEcr = {
      repository: {
        name: 'shipit/web',
        arn: 'arn:aws:ecr:us-west-2:123456789012:repository/shipit/web',
        uri: `${REGISTRY}/shipit/web`,
        tags: { 'shipit:app': 'web', 'shipit:env:dev': 'uses' },
        scanOnPush: false,
        tagMutability: 'MUTABLE',
        lifecyclePolicy: JSON.stringify(lifecyclePolicy(20)),
      },
      image: { tag: prepared.tag, digest: `sha256:${'1'.repeat(64)}` },
    }
    const b = new PartBuilder(desired, ctx)
    const { image } = planImage(b, drifted, prepared, b.desired.container)
    expect(ids(b.steps)).toEqual(['ecr-scanning', 'ecr-tag-mutability', 'ecr-lifecycle'])
    expect(b.steps[2].changes).toEqual([{ path: 'selection.countNumber', before: 20, after: 5 }])
    expect(image).toBe(`${REGISTRY}/shipit/web@sha256:${'1'.repeat(64)}`)
  })
})

describe('images on the in-memory ECR with the fake container CLI', () => {
  const fake = useFakeAws()
  const clients = new AwsClients({ region: 'us-west-2' })
  let cli: FakeCliSetup

  beforeEach(() => {
    fake.reset()
    cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
  })

  /** What the executor will do: AWS steps through the client factory, container steps by runContainerOperation. */
  async function apply(steps: Step[]): Promise<Record<string, Record<string, unknown>>> {
    const outputs: Record<string, Record<string, unknown>> = {}
    // the executor's preflight: once per apply, before the first AWS change
    const ready = await checkContainerCli({ env: cli.env })
    const never = () => {
      throw new Error('no artifacts or secrets here')
    }
    for (const step of steps) {
      const input = (await resolveValue(step.request.input, outputs, { artifact: never, sensitive: never })) as Record<string, any>
      const request = step.request
      outputs[step.id] = isLocalRequest(request)
        ? ((await runContainerOperation(request.operation, input, {
            clients,
            cli: ready,
            env: cli.env,
            log: { tty: false, write: () => {} },
          })) as unknown as Record<string, unknown>)
        : await clients.sendRequest({ ...request, input })
    }
    return outputs
  }

  async function deploy(desired: ContainerDesired) {
    const prepared = await prepareImage(desired)
    const observed = await observeEcr(clients, desired.app, prepared)
    const b = new PartBuilder(desired, ctx)
    const planned = planImage(b, observed, prepared, b.desired.container)
    const outputs = await apply(b.steps)
    const image = typeof planned.image === 'string' ? planned.image : (outputs[(planned.image as Ref).ref]?.imageUri as string)
    return { steps: b.steps, unchanged: b.unchanged, image }
  }

  const builds = () => cli.calls().filter((c) => c.argv[0] === 'build' || c.argv[1] === 'build')
  const pushes = () => cli.calls().filter((c) => c.argv[0] === 'push')

  it('first deploy builds and pushes; the same source again plans nothing and pins the same digest; a change builds once more', async () => {
    const dir = buildContext()
    const first = await deploy(desiredIn(dir))
    expect(ids(first.steps)).toEqual(['ecr-repository', 'ecr-lifecycle', 'image-build', 'image-push'])
    expect(first.image).toMatch(new RegExp(`^${REGISTRY}/shipit/web@sha256:[0-9a-f]{64}$`))
    const repo = fake.state.ecr.repositories.get('shipit/web')
    expect(repo).toMatchObject({ imageTagMutability: 'IMMUTABLE', scanOnPush: true, tags: { 'shipit:app': 'web', 'shipit:env:dev': 'uses' } })
    const images = async () => (await clients.send('ecr', 'DescribeImages', { repositoryName: 'shipit/web' })).imageDetails?.length
    expect(await images()).toBe(1)

    fake.calls.length = 0
    const again = await deploy(desiredIn(dir))
    expect(again.steps).toEqual([])
    expect(again.image).toBe(first.image)
    expect(again.unchanged.map((u) => u.resource.type)).toEqual(['ecr:repository', 'ecr:image'])
    expect(fake.mutatingCalls()).toEqual([])
    expect(builds()).toHaveLength(1)
    expect(pushes()).toHaveLength(1)

    writeFileSync(join(dir, 'server.js'), 'console.log("v2")\n')
    const changed = await deploy(desiredIn(dir))
    expect(ids(changed.steps)).toEqual(['image-build', 'image-push'])
    expect(changed.image).not.toBe(first.image)
    expect(builds()).toHaveLength(2)
    expect(await images()).toBe(2)
  })

  it('observes with reads only', async () => {
    await deploy(desiredIn(buildContext()))
    fake.calls.length = 0
    const desired = desiredIn(buildContext({ 'other.js': '1' }))
    const observed = await observeEcr(clients, 'web', await prepareImage(desired))
    expect(observed.repository?.tags).toEqual({ 'shipit:app': 'web', 'shipit:env:dev': 'uses' })
    expect(observed.image).toBeNull()
    expect(fake.calls.map((c) => c.operation).sort()).toEqual(['DescribeImages', 'DescribeRepositories', 'GetLifecyclePolicy', 'ListTagsForResource'])
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a second environment reuses the image and only tags the repository; destroy deletes it after the last one', async () => {
    const dir = buildContext()
    const dev = await deploy(desiredIn(dir))
    const prod = await deploy(desiredIn(dir, { env: 'prod' }))
    expect(ids(prod.steps)).toEqual(['ecr-repository-tags'])
    expect(prod.image).toBe(dev.image)
    expect(pushes()).toHaveLength(1)

    const destroy = async (env: string) => {
      const desired = desiredIn(dir, { env })
      const b = new PartBuilder(desired, ctx)
      planImageDestroy(b, await observeEcr(clients, 'web', null))
      await apply(b.steps)
      return b
    }
    const devGone = await destroy('dev')
    expect(devGone.steps.map((s) => s.request.operation)).toEqual(['UntagResource'])
    expect(devGone.unchanged).toEqual([{ resource: { type: 'ecr:repository', name: 'shipit/web' }, note: 'kept: environment prod still deploys from it' }])
    expect(fake.state.ecr.repositories.get('shipit/web')?.tags).toEqual({ 'shipit:app': 'web', 'shipit:env:prod': 'uses' })

    const prodGone = await destroy('prod')
    expect(prodGone.steps[0].request).toEqual({ service: 'ecr', operation: 'DeleteRepository', input: { repositoryName: 'shipit/web', force: true } })
    expect(fake.state.ecr.repositories.has('shipit/web')).toBe(false)
  })

  it('destroy keeps a repository shipit did not create', async () => {
    await clients.send('ecr', 'CreateRepository', { repositoryName: 'shipit/web' })
    const b = new PartBuilder(desiredIn(buildContext()), ctx)
    planImageDestroy(b, await observeEcr(clients, 'web', null))
    expect(b.steps).toEqual([])
    expect(b.unchanged[0].note).toBe('not created by shipit (no shipit:app tag): kept')
  })

  it('answers like ECR: not found, not empty without force', async () => {
    const missing = (operation: string, input: Record<string, unknown>) =>
      clients.sendRequest({ service: 'ecr', operation, input }).then(
        () => undefined,
        (e: Error) => `${e.name}: ${e.message}`,
      )
    expect(await missing('DescribeRepositories', { repositoryNames: ['shipit/none'] })).toBe(
      "RepositoryNotFoundException: The repository with name 'shipit/none' does not exist in the registry with id '123456789012'",
    )
    await deploy(desiredIn(buildContext()))
    expect(await missing('DeleteRepository', { repositoryName: 'shipit/web' })).toBe(
      "RepositoryNotEmptyException: The repository with name 'shipit/web' in registry with id '123456789012' cannot be deleted because it still contains images",
    )
    expect(await missing('DescribeImages', { repositoryName: 'shipit/web', imageIds: [{ imageTag: 'nope' }] })).toMatch(
      /^ImageNotFoundException: The image with imageId \{imageDigest:'null', imageTag:'nope'\} does not exist within the repository/,
    )
    await clients.send('ecr', 'CreateRepository', { repositoryName: 'shipit/bare' })
    expect(await missing('GetLifecyclePolicy', { repositoryName: 'shipit/bare' })).toMatch(/^LifecyclePolicyNotFoundException: Lifecycle policy does not exist/)
  })
})
