import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../../src/aws/clients.js'
import { ExitCode, type ShipitError } from '../../../src/errors.js'
import { checkContainerCli, detectContainerCli } from '../../../src/targets/image/cli.js'
import { contextHash, type Platform } from '../../../src/targets/image/context.js'
import {
  type BuildInput,
  buildImage,
  buildPlatformOf,
  containerRunbook,
  type PushInput,
  pushedDigest,
  pushImage,
  runContainerOperation,
} from '../../../src/targets/image/operations.js'
import { useFakeAws } from '../../helpers/fake.js'
import { binDir, buildContext, fakeCli } from './image-helpers.js'

async function failure(run: () => unknown): Promise<ShipitError> {
  try {
    await run()
  } catch (err) {
    return err as ShipitError
  }
  throw new Error('expected a failure')
}

describe('detectContainerCli', () => {
  it('takes docker, else podman, else finch, whatever their order on PATH', () => {
    const docker = binDir('docker')
    const podman = binDir('podman')
    const finch = binDir('finch')
    expect(detectContainerCli({ PATH: `${finch}:${podman}:${docker}` })).toEqual({ path: join(docker, 'docker'), kind: 'docker' })
    expect(detectContainerCli({ PATH: `${finch}:${podman}` })).toEqual({ path: join(podman, 'podman'), kind: 'podman' })
    expect(detectContainerCli({ PATH: finch })).toEqual({ path: join(finch, 'finch'), kind: 'finch' })
  })

  it('takes SHIPIT_CONTAINER_CLI first, as a name on PATH or a path', () => {
    const both = `${binDir('docker')}:${binDir('finch')}`
    expect(detectContainerCli({ PATH: both, SHIPIT_CONTAINER_CLI: 'finch' }).kind).toBe('finch')
    const podman = join(binDir('podman'), 'podman')
    expect(detectContainerCli({ PATH: both, SHIPIT_CONTAINER_CLI: podman })).toEqual({ path: podman, kind: 'podman' })
  })

  it('refuses a SHIPIT_CONTAINER_CLI that is not there as invalid input (exit 3)', async () => {
    const err = await failure(() => detectContainerCli({ PATH: binDir('docker'), SHIPIT_CONTAINER_CLI: 'nerdctl' }))
    expect(err.exitCode).toBe(ExitCode.Invalid)
    expect(err.message).toBe('SHIPIT_CONTAINER_CLI=nerdctl: no such executable on PATH')
  })

  it('says what to install when there is no container CLI at all (exit 1)', async () => {
    const err = await failure(() => detectContainerCli({ PATH: binDir() }))
    expect(err.exitCode).toBe(ExitCode.Failure)
    expect(err.message).toBe('container.build needs a container CLI, and none of docker, podman, finch is on PATH')
    expect(err.suggestions.join('\n')).toMatch(/install Docker.*\n.*SHIPIT_CONTAINER_CLI.*\n.*container\.image/)
  })
})

describe('checkContainerCli (the preflight)', () => {
  it('answers with the daemon architecture', async () => {
    const cli = fakeCli({ env: { FAKE_DOCKER_ARCH: 'aarch64' } })
    expect(await checkContainerCli({ env: cli.env })).toMatchObject({ kind: 'docker', serverArch: 'arm64' })
    expect(cli.calls().map((c) => c.argv)).toEqual([['info', '--format', '{{json .}}']])
  })

  it('fails clearly when the daemon is stopped', async () => {
    const cli = fakeCli({ env: { FAKE_DOCKER_DAEMON: 'stopped' } })
    const err = await failure(() => checkContainerCli({ env: cli.env }))
    expect(err.code).toBe('ContainerDaemonDown')
    expect(err.exitCode).toBe(ExitCode.Failure)
    expect(err.message).toBe(
      'docker cannot reach its daemon: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    )
    expect(err.suggestions).toContain('nothing was changed on AWS; run the deploy again once it answers')
  })

  it('needs buildx for a docker cross-build, and not for podman', async () => {
    const docker = fakeCli({ env: { FAKE_DOCKER_NO_BUILDX: '1' } })
    expect((await failure(() => checkContainerCli({ env: docker.env, crossBuildTo: 'arm64' }))).code).toBe('BuildxMissing')
    expect(await checkContainerCli({ env: docker.env, crossBuildTo: 'amd64' })).toMatchObject({ serverArch: 'amd64' })
    const podman = fakeCli({ names: ['podman'], env: { FAKE_DOCKER_NO_BUILDX: '1' } })
    expect(await checkContainerCli({ env: podman.env, crossBuildTo: 'arm64' })).toMatchObject({ kind: 'podman' })
  })
})

describe('build, login and push with the container CLI', () => {
  const fake = useFakeAws()
  const clients = new AwsClients({ region: 'us-west-2' })
  let repositoryUri: string

  beforeEach(async () => {
    fake.reset()
    const created = await clients.send('ecr', 'CreateRepository', { repositoryName: 'shipit/web', imageTagMutability: 'IMMUTABLE' })
    repositoryUri = created.repository?.repositoryUri ?? ''
  })

  async function buildInput(platform: Platform, files: Record<string, string> = {}): Promise<BuildInput> {
    const context = buildContext(files)
    const inputs = { context, dockerfile: join(context, 'Dockerfile'), args: { NODE_ENV: 'production' }, platform }
    const hash = await contextHash(inputs)
    return { ...inputs, image: `shipit/web:${hash.tag}`, contextSha256: hash.sha256 }
  }

  it('builds natively with --platform, cross-builds with buildx --load (per container.architecture)', async () => {
    const cli = fakeCli()
    const ctx = { clients, env: cli.env, log: { tty: false, write: () => {} } }
    const amd = await buildInput('linux/amd64')
    const arm = await buildInput('linux/arm64')
    await buildImage(amd, ctx)
    await buildImage(arm, ctx)
    const builds = cli.calls().filter((c) => c.argv[0] !== 'info' && c.argv[1] !== 'version')
    expect(builds.map((c) => c.argv)).toEqual([
      ['build', '--platform', 'linux/amd64', '--file', amd.dockerfile, '--tag', amd.image, '--build-arg', 'NODE_ENV=production', amd.context],
      [
        'buildx',
        'build',
        '--load',
        '--platform',
        'linux/arm64',
        '--file',
        arm.dockerfile,
        '--tag',
        arm.image,
        '--build-arg',
        'NODE_ENV=production',
        arm.context,
      ],
    ])
    expect(builds.every((c) => c.stdinBytes === 0)).toBe(true)
  })

  it('pushes with the ECR token on stdin only, and returns the pushed digest pinned in the URI', async () => {
    const cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
    const written: string[] = []
    const ctx = { clients, env: cli.env, log: { tty: true, write: (s: string) => written.push(s) } }
    const input = await buildInput('linux/amd64')
    await runContainerOperation('Build', input, ctx)
    const tag = input.image.split(':')[1]
    const pushed = await runContainerOperation('Push', { image: input.image, repositoryUri, repositoryName: 'shipit/web', tag }, ctx)

    // the digest the fake CLI printed (`<tag>: digest: sha256:… size: 1234`) and recorded
    const digest = JSON.parse(readFileSync(cli.pushLog, 'utf8')).digest
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(pushed).toEqual({ imageDigest: digest, imageUri: `${repositoryUri}@${digest}`, imageTag: tag })
    // the fake ECR now has the image under its hash tag
    const described = await clients.send('ecr', 'DescribeImages', { repositoryName: 'shipit/web', imageIds: [{ imageTag: tag }] })
    expect(described.imageDetails?.[0].imageDigest).toBe(digest)

    const password = fake.state.ecr.password ?? ''
    expect(password.length).toBeGreaterThan(20)
    const login = cli.calls().find((c) => c.argv[0] === 'login')
    expect(login).toEqual({ cli: 'docker', argv: ['login', '--username', 'AWS', '--password-stdin', repositoryUri.split('/')[0]], stdinBytes: password.length })
    const token = Buffer.from(`AWS:${password}`).toString('base64')
    for (const text of [JSON.stringify(cli.calls()), cli.files(), written.join(''), JSON.stringify(pushed)]) {
      expect(text).not.toContain(password)
      expect(text).not.toContain(token)
    }
    // on a TTY the build streams as it runs
    expect(written.join('')).toContain('naming to docker.io/shipit/web:')
  })

  it('collapses a failed build in CI to its last lines, in the error', async () => {
    const cli = fakeCli({ env: { FAKE_DOCKER_FAIL_BUILD: '1' } })
    const written: string[] = []
    const err = await failure(async () =>
      buildImage(await buildInput('linux/amd64'), { clients, env: cli.env, log: { tty: false, write: (s) => written.push(s) } }),
    )
    expect(err.code).toBe('ImageBuildFailed')
    expect(err.exitCode).toBe(ExitCode.Failure)
    expect(err.message).toMatch(/^building shipit\/web:\w+ failed \(docker exited with 1\)\n/)
    expect(err.message).toContain('ERROR: failed to solve: process "/bin/sh -c npm ci"')
    expect(err.message).toContain('#40 RUN step 40')
    expect(err.message).not.toContain('#5 RUN step 5\n') // older lines are left out
    expect(written).toEqual([])
  })

  it('refuses to build a context that changed since the plan (exit 4)', async () => {
    const cli = fakeCli()
    const input = await buildInput('linux/amd64')
    writeFileSync(join(String(input.context), 'server.js'), 'changed')
    const err = await failure(() => buildImage(input, { clients, env: cli.env }))
    expect(err.exitCode).toBe(ExitCode.StalePlan)
    expect(cli.calls().filter((c) => c.argv[0] === 'build')).toEqual([])
  })

  it('a push without a prior build fails with the CLI’s own words', async () => {
    const cli = fakeCli()
    const push: PushInput = { image: 'shipit/web:0123456789abcdef', repositoryUri, repositoryName: 'shipit/web', tag: '0123456789abcdef' }
    const err = await failure(() => pushImage(push, { clients, env: cli.env }))
    expect(err.message).toBe(
      'docker tag shipit/web:0123456789abcdef ' +
        `${repositoryUri}:0123456789abcdef failed: Error response from daemon: No such image: shipit/web:0123456789abcdef`,
    )
  })
})

describe('the runbook of the local operations', () => {
  it('writes the build and the push as docker and aws commands', () => {
    const build = containerRunbook(
      {
        operation: 'Build',
        input: {
          context: '/src/web',
          dockerfile: '/src/web/Dockerfile',
          args: { GREETING: 'hello world' },
          target: 'runtime',
          platform: 'linux/arm64',
          image: 'shipit/web:0123456789abcdef',
          contextSha256: 'ab',
        },
      },
      'us-west-2',
    )
    expect(build).toEqual([
      "docker build --platform linux/arm64 --file /src/web/Dockerfile --tag shipit/web:0123456789abcdef --build-arg 'GREETING=hello world' --target runtime /src/web",
    ])
    const push = containerRunbook(
      {
        operation: 'Push',
        input: {
          image: 'shipit/web:0123456789abcdef',
          repositoryUri: { ref: 'ecr-repository', output: 'repository.repositoryUri' },
          repositoryName: 'shipit/web',
          tag: '0123456789abcdef',
        },
      },
      'us-west-2',
    )
    expect(push).toEqual([
      'aws ecr get-login-password --region us-west-2 | docker login --username AWS --password-stdin <registry of <ecr-repository.repository.repositoryUri>>',
      'docker tag shipit/web:0123456789abcdef <ecr-repository.repository.repositoryUri>:0123456789abcdef',
      'docker push <ecr-repository.repository.repositoryUri>:0123456789abcdef',
      "# the digest to pin: aws ecr describe-images --repository-name shipit/web --image-ids imageTag=0123456789abcdef --query 'imageDetails[0].imageDigest' --output text --region us-west-2",
    ])
  })

  it('reads the digest from docker push output, and nothing from output without one (podman)', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    expect(pushedDigest(`The push refers to repository [r]\n0123: digest: ${digest} size: 1234\n`)).toBe(digest)
    expect(pushedDigest('Copying blob sha256:abc\nWriting manifest to image destination\n')).toBeUndefined()
  })

  it('finds the platform a plan builds for, for the preflight', () => {
    const step = (service: string, operation: string, input: Record<string, unknown>) => ({ request: { service, operation, input } })
    expect(buildPlatformOf([step('ecr', 'CreateRepository', {}), step('container', 'Build', { platform: 'linux/arm64' })])).toBe('linux/arm64')
    expect(buildPlatformOf([step('ecs', 'RegisterTaskDefinition', {})])).toBeUndefined()
  })
})
