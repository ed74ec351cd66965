import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ShipitError } from '../../../src/errors.js'
import { programExpressDeployment } from '../../fakes/ecs-express.js'
import { useFakeAws } from '../../helpers/fake.js'
import { apply, deploy, planFor, rewrite } from './helpers.js'
import { buildContext, type FakeCliSetup, fakeCli } from './image-helpers.js'

/** A web app from source with a URL: container.build and http: on fargate. */
const WEB_APP = `
name: site
region: us-west-2
target: fargate
container:
  build: { context: . }
  port: 8080
  cpu: 256
  memory: 512
  healthCheckPath: /health
http: {}
`

const cliCommands = (cli: FakeCliSetup) => cli.calls().map((c) => c.argv[0])

describe('a web app from source on fargate: build → push → Express service → URL', () => {
  const fake = useFakeAws()
  let cli: FakeCliSetup
  let dir: string

  beforeEach(() => {
    fake.reset()
    cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
    // the fake docker is the only container CLI on PATH
    for (const [k, v] of Object.entries(cli.env)) vi.stubEnv(k, v)
    vi.stubEnv('SHIPIT_CONTAINER_CLI', '')
    dir = buildContext()
    rewrite(dir, WEB_APP)
  })
  afterEach(() => vi.unstubAllEnvs())

  it('deploys: the image is built and pushed, the task definition pins it by digest, the Express service gives an HTTPS URL', async () => {
    // given nothing exists, when deploying
    const outcome = await deploy(dir)

    // then the image was built for linux/amd64 and pushed to ECR shipit/site
    expect(cliCommands(cli)).toEqual(['info', 'build', 'tag', 'login', 'push'])
    const build = cli.calls()[1].argv
    expect(build).toEqual(expect.arrayContaining(['--platform', 'linux/amd64', dir]))
    expect(fake.callsOf('ecr:CreateRepository')[0].input).toMatchObject({ repositoryName: 'shipit/site', imageTagMutability: 'IMMUTABLE' })

    // the task definition runs the pushed digest in a container named Main with a named port
    const register = fake.callsOf('RegisterTaskDefinition')
    expect(register).toHaveLength(1)
    const container = register[0].input.containerDefinitions[0]
    expect(container.name).toBe('Main')
    expect(container.image).toMatch(/^\d{12}\.dkr\.ecr\.us-west-2\.amazonaws\.com\/shipit\/site@sha256:[0-9a-f]{64}$/)
    expect(container.portMappings).toEqual([{ containerPort: 8080, protocol: 'tcp', name: 'http' }])

    // the Express service runs that revision, with the infrastructure role shipit made
    const create = fake.callsOf('CreateExpressGatewayService')
    expect(create).toHaveLength(1)
    expect(create[0].input).toMatchObject({
      serviceName: 'site-dev',
      cluster: 'site-dev',
      taskDefinitionArn: `arn:aws:ecs:us-west-2:${fake.account}:task-definition/site-dev:1`,
      infrastructureRoleArn: `arn:aws:iam::${fake.account}:role/shipit-site-dev-ecs-infra`,
      healthCheckPath: '/health',
    })
    expect(fake.callsOf('CreateService')).toHaveLength(0)

    // and deploy prints the URL
    expect(outcome.status).toBe('applied')
    expect(outcome.outputs.url).toMatch(/^https:\/\/[a-z0-9-]+\.ecs\.us-west-2\.on\.aws/)
  })

  it('redeploys unchanged source with no build, no push and no mutating call', async () => {
    await deploy(dir)
    const cliCallsBefore = cli.calls().length
    fake.calls.length = 0

    const again = await deploy(dir)

    expect(again.status).toBe('no-changes')
    expect(again.plan.steps).toEqual([])
    expect(cli.calls().length).toBe(cliCallsBefore)
    expect(fake.mutatingCalls()).toEqual([])
    expect(again.outputs.url).toMatch(/\.ecs\.us-west-2\.on\.aws/)
  })

  it('a source change makes one build, one push, one new revision and one update of the Express service', async () => {
    await deploy(dir)
    const cliCallsBefore = cli.calls().length
    fake.calls.length = 0

    writeFileSync(join(dir, 'server.js'), 'require("http").createServer((q, s) => s.end("hi again")).listen(8080)\n')
    const second = await deploy(dir)

    const newCalls = cli.calls().slice(cliCallsBefore)
    expect(newCalls.filter((c) => c.argv[0] === 'build')).toHaveLength(1)
    expect(newCalls.filter((c) => c.argv[0] === 'push')).toHaveLength(1)
    expect(fake.callsOf('RegisterTaskDefinition')).toHaveLength(1)
    const update = fake.callsOf('UpdateExpressGatewayService')
    expect(update).toHaveLength(1)
    expect(update[0].input.taskDefinitionArn).toBe(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/site-dev:2`)
    expect(fake.callsOf('CreateExpressGatewayService')).toHaveLength(0)
    expect(second.plan.steps.map((s) => s.id)).toEqual(['image-build', 'image-push', 'task-definition', 'express-service'])
  })

  it('a rolled-back canary fails the deploy with exit 1 and ECS’s reason', async () => {
    await deploy(dir)
    writeFileSync(join(dir, 'server.js'), 'process.exit(1)\n')
    programExpressDeployment(fake.state.ecs, { outcome: 'ROLLBACK', reason: 'Alarm site-dev-5xx in ALARM' })

    const error = (await deploy(dir).catch((e: unknown) => e)) as ShipitError
    expect(error.exitCode).toBe(1)
    expect(error.message).toContain('update ecs:express-service site-dev')
    expect(error.message).toContain('ECS rolled the deployment back')
    expect(error.message).toContain('Alarm site-dev-5xx in ALARM')
  })

  it('a missing container CLI is a clear error before any AWS change', async () => {
    vi.stubEnv('PATH', '/nonexistent')
    const flow = await planFor(dir)
    fake.calls.length = 0

    const error = (await apply(flow).catch((e: unknown) => e)) as ShipitError
    expect(error.code).toBe('ContainerCliNotFound')
    expect(error.message).toContain('none of docker, podman, finch is on PATH')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('destroy removes the Express service, the repository and everything else shipit made', async () => {
    await deploy(dir)
    const flow = await planFor(dir, { command: 'destroy' })
    const ids = flow.plan.steps.map((s) => s.id)
    // Express made the tasks' security group and deletes it with the service: shipit made none
    expect(ids).toEqual(expect.arrayContaining(['express-service', 'infrastructure-role', 'role', 'ecr-repository', 'cluster', 'log-group']))
    expect(ids).not.toContain('security-group')
    expect(flow.plan.blocked).toEqual([])
    await apply(flow)

    // then a second destroy finds nothing to remove
    const after = await planFor(dir, { command: 'destroy' })
    expect(after.plan.steps).toEqual([])
    expect(fake.state.ecr.repositories.size).toBe(0)
    expect(fake.callsOf('DeleteExpressGatewayService')).toHaveLength(1)
    expect(fake.callsOf('DeleteService')).toHaveLength(0)
  })
})
