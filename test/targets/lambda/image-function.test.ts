import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LAMBDA_WEB_ADAPTER } from '../../../src/targets/image/lambda-adapter.js'
import { useFakeAws } from '../../helpers/fake.js'
import { apply, deploy, planFor } from '../container/helpers.js'
import { type FakeCliSetup, fakeCli } from '../container/image-helpers.js'

const EXAMPLE = join(import.meta.dirname, '../../../examples/hello-web')
const ADAPTER_COPY = `COPY --from=${LAMBDA_WEB_ADAPTER.repository}:${LAMBDA_WEB_ADAPTER.version}@${LAMBDA_WEB_ADAPTER.digest} /lambda-adapter /opt/extensions/lambda-adapter`
const IMAGE_BY_DIGEST = /^\d{12}\.dkr\.ecr\.us-west-2\.amazonaws\.com\/shipit\/hello-web@sha256:[0-9a-f]{64}$/

/** A copy of examples/hello-web to deploy (and change). */
function helloWeb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-hello-web-'))
  cpSync(EXAMPLE, dir, { recursive: true })
  return dir
}

const lambda = { target: 'lambda' as const }

/** GetFunction of the live alias, as a user's own SDK call would see it. */
const liveFunction = () =>
  new LambdaClient({ region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }).send(
    new GetFunctionCommand({ FunctionName: 'hello-web-dev', Qualifier: 'live' }),
  )

describe('hello-web on --target lambda: an image function with the Lambda Web Adapter', () => {
  const fake = useFakeAws()
  let cli: FakeCliSetup
  let dir: string

  beforeEach(() => {
    fake.reset()
    cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
    for (const [k, v] of Object.entries(cli.env)) vi.stubEnv(k, v)
    vi.stubEnv('SHIPIT_CONTAINER_CLI', '')
    dir = helloWeb()
  })
  afterEach(() => vi.unstubAllEnvs())

  it('deploys: the image with the adapter is built and pushed, the function runs it by digest behind an HTTP API, and the URL is printed', async () => {
    // given nothing exists, when deploying hello-web to lambda
    const outcome = await deploy(dir, lambda)

    // then one build, for the container's architecture, from a generated Dockerfile outside the app's tree
    const builds = cli.builds()
    expect(builds).toHaveLength(1)
    const [build] = builds
    expect(build.file.startsWith(dir)).toBe(false)
    expect(build.context).toBe(dir)
    expect(cli.calls().find((c) => c.argv.includes('--platform'))?.argv).toEqual(expect.arrayContaining(['--platform', 'linux/arm64', '--provenance=false']))
    // the user's Dockerfile, then the adapter and where it finds the server
    const lines = (build.dockerfile ?? '').trimEnd().split('\n')
    expect(lines.slice(0, 6)).toEqual(readFileSync(join(EXAMPLE, 'Dockerfile'), 'utf8').trimEnd().split('\n'))
    expect(lines.slice(-2)).toEqual([ADAPTER_COPY, 'ENV AWS_LWA_PORT="8080" AWS_LWA_READINESS_CHECK_PATH="/health"'])
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).not.toContain('lambda-adapter')

    // one push to the app's repository, and the function made from it by digest, with no runtime nor handler
    expect(cli.calls().filter((c) => c.argv[0] === 'push')).toHaveLength(1)
    expect(fake.callsOf('ecr:CreateRepository')[0].input).toMatchObject({ repositoryName: 'shipit/hello-web' })
    const create = fake.callsOf('CreateFunction')
    expect(create).toHaveLength(1)
    expect(create[0].input).toMatchObject({ FunctionName: 'hello-web-dev', PackageType: 'Image', MemorySize: 512, Architectures: ['arm64'] })
    expect(create[0].input.Code.ImageUri).toMatch(IMAGE_BY_DIGEST)
    expect(create[0].input).not.toHaveProperty('Runtime')
    expect(create[0].input).not.toHaveProperty('Handler')

    // the live alias serves a version of it, and the same HTTP API as zip functions answers at the URL
    const fn = await liveFunction()
    expect(fn.Code).toMatchObject({ RepositoryType: 'ECR', ImageUri: create[0].input.Code.ImageUri, ResolvedImageUri: create[0].input.Code.ImageUri })
    expect(fake.callsOf('CreateApi')).toHaveLength(1)
    expect(outcome.status).toBe('applied')
    expect(outcome.outputs.url).toMatch(/^https:\/\/[a-z0-9]+\.execute-api\.us-west-2\.amazonaws\.com\/$/)
    expect(outcome.outputs.imageUri).toBe(create[0].input.Code.ImageUri)
  })

  it('redeploys unchanged source with no build, no push and zero writes', async () => {
    await deploy(dir, lambda)
    const cliCalls = cli.calls().length
    fake.calls.length = 0

    const { plan } = await planFor(dir, lambda)
    expect(plan.steps).toEqual([])
    expect(plan.unchanged.map((u) => u.resource.type)).toContain('ecr:image')
    await apply({ ...(await planFor(dir, lambda)) })
    expect(
      cli
        .calls()
        .slice(cliCalls)
        .map((c) => c.argv[0]),
    ).toEqual([])
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('updates on a source change: one build, one push, UpdateFunctionCode with the new digest, a new version, the alias moved; rollback goes back', async () => {
    await deploy(dir, lambda)
    const before = fake.callsOf('CreateFunction')[0].input.Code.ImageUri
    writeFileSync(join(dir, 'server.js'), `${readFileSync(join(dir, 'server.js'), 'utf8')}\n// v2\n`)
    fake.calls.length = 0
    const builds = cli.builds().length

    const outcome = await deploy(dir, lambda)

    expect(cli.builds().length - builds).toBe(1)
    expect(fake.callsOf('UpdateFunctionCode')).toHaveLength(1)
    const update = fake.callsOf('UpdateFunctionCode')[0].input
    expect(update.ImageUri).toMatch(IMAGE_BY_DIGEST)
    expect(update.ImageUri).not.toBe(before)
    expect(fake.callsOf('PublishVersion')).toHaveLength(1)
    expect(fake.callsOf('UpdateAlias')[0].input).toMatchObject({ Name: 'live', FunctionVersion: '2' })
    expect(fake.callsOf('CreateFunction')).toHaveLength(0)
    expect(outcome.outputs.imageUri).toBe(update.ImageUri)

    // rollback moves the alias back to the version of the first image
    const rollback = await planFor(dir, { ...lambda, command: 'rollback' })
    await apply(rollback)
    const live = await liveFunction()
    expect(live.Configuration?.Version).toBe('1')
    expect(live.Code?.ImageUri).toBe(before)
  })

  it('destroys the function, its API and role, and the repository when nothing else deploys from it', async () => {
    await deploy(dir, lambda)
    fake.calls.length = 0
    await deploy(dir, { ...lambda, command: 'destroy' })
    expect(fake.callsOf('DeleteFunction')).toHaveLength(1)
    expect(fake.callsOf('DeleteApi')).toHaveLength(1)
    expect(fake.callsOf('ecr:DeleteRepository')[0]?.input).toMatchObject({ repositoryName: 'shipit/hello-web', force: true })
  })

  it('on fargate and lambda at once (a move): destroying one target keeps the repository the other runs from', async () => {
    await deploy(dir)
    await deploy(dir, lambda)
    fake.calls.length = 0
    const destroy = await planFor(dir, { command: 'destroy' })
    expect(destroy.plan.steps.map((s) => s.id)).not.toContain('ecr-repository')
    expect(destroy.plan.unchanged).toContainEqual(expect.objectContaining({ resource: { type: 'ecr:repository', name: 'shipit/hello-web' } }))
    await apply(destroy)
    expect(fake.callsOf('ecr:DeleteRepository')).toHaveLength(0)
    // the function still runs its image: a redeploy on lambda builds nothing and leaves the function, alias and repository as they are
    // (the log group /shipit/<app>/<env> is one per env, shared by both targets: fargate's destroy removed it, lambda makes it again)
    const { plan } = await planFor(dir, lambda)
    expect(plan.steps.map((s) => s.resource.type)).toEqual(['logs:log-group', 'logs:retention'])
  })

  it('function: overrides memory, timeout and reserved concurrency (a put, then a delete when removed; no new version)', async () => {
    writeFileSync(join(dir, 'app.yaml'), `${readFileSync(join(dir, 'app.yaml'), 'utf8')}function: { memory: 1024, timeout: 20, reservedConcurrency: 5 }\n`)
    await deploy(dir, lambda)
    expect(fake.callsOf('CreateFunction')[0].input).toMatchObject({ MemorySize: 1024, Timeout: 20 })
    expect(fake.callsOf('PutFunctionConcurrency')[0].input).toEqual({ FunctionName: 'hello-web-dev', ReservedConcurrentExecutions: 5 })
    writeFileSync(join(dir, 'app.yaml'), readFileSync(join(dir, 'app.yaml'), 'utf8').replace(', reservedConcurrency: 5', ''))
    fake.calls.length = 0
    await deploy(dir, lambda)
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['DeleteFunctionConcurrency'])
  })

  it('an image ECR holds above 10 GB is refused before any change', async () => {
    await deploy(dir, lambda)
    for (const image of fake.state.ecr.repositories.get('shipit/hello-web')?.images ?? []) image.imageSizeInBytes = 11 * 1024 ** 3
    const { plan } = await planFor(dir, lambda)
    expect(plan.blocked).toContainEqual({
      resource: { type: 'ecr:image', name: expect.stringMatching(/^shipit\/hello-web:lambda-/) },
      reason: expect.stringMatching(/^is 11\.0 GiB in ECR \(compressed\); Lambda runs images of at most 10 GB/),
    })
  })

  it('a build above 10 GB fails before its push and before any change to the function', async () => {
    vi.stubEnv('FAKE_DOCKER_IMAGE_SIZE', String(11 * 1024 ** 3))
    const err = await deploy(dir, lambda).catch((e: Error & { exitCode?: number }) => e)
    expect(err).toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/is 11\.0 GiB; Lambda runs images of at most 10\.0 GiB \(uncompressed\): nothing was pushed/),
    })
    expect(cli.calls().filter((c) => c.argv[0] === 'push')).toEqual([])
    expect(fake.callsOf('CreateFunction')).toEqual([])
  })

  it('the same example still deploys to fargate', async () => {
    const outcome = await deploy(dir)
    expect(outcome.status).toBe('applied')
    expect(fake.callsOf('CreateExpressGatewayService')).toHaveLength(1)
    expect(cli.builds()[0].dockerfile).not.toContain('lambda-adapter')
  })
})
