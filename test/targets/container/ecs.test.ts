import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { polling } from '../../../src/aws/waiters.js'
import { ShipitError } from '../../../src/errors.js'
import { createFakeAws, type FakeAws } from '../../fakes/aws.js'
import { deploy, fakeCredentials, planFor, project, rewrite } from './helpers.js'

const ECS_SERVICE = `
name: hello-ecs
region: us-west-2
container:
  image: public.ecr.aws/docker/library/busybox:stable
  command: ["sh", "-c", "echo hello from ECS && sleep 3600"]
  cpu: 256
  memory: 512
  mode: service
  count: 1
  cluster: myECSCluster
`

describe('ecs target (EC2 launch type) against the in-memory AWS', () => {
  let fake: FakeAws
  beforeAll(() => {
    fakeCredentials()
    polling.intervalMs = 0
  })
  afterEach(() => fake.restore())

  it('a cluster without container instances blocks the plan, and apply fails before any change', async () => {
    fake = createFakeAws({ containerInstances: 0 })
    const dir = project(ECS_SERVICE)
    const flow = await planFor(dir, { target: 'ecs' })
    expect(flow.plan.blocked).toHaveLength(1)
    expect(flow.plan.blocked[0].resource).toEqual({ type: 'ecs:cluster', name: 'myECSCluster' })
    expect(flow.plan.blocked[0].reason).toContain('cluster myECSCluster does not exist yet, so it has no EC2 container instances')
    // said once, as the reason of the block, not again as a warning
    expect(flow.plan.warnings.join('\n')).not.toContain('no EC2 container instances')

    const err = (await deploy(dir, { target: 'ecs' }).catch((e: unknown) => e)) as ShipitError
    expect(err).toBeInstanceOf(ShipitError)
    expect(err.exitCode).toBe(1)
    expect(err.message).toContain('blocked by ecs:cluster myECSCluster')
    expect((err.details as { blocked: { reason: string }[] }).blocked[0].reason).toContain('has no EC2 container instances')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('count 0 is the "create-cluster" deploy: cluster and everything else, nothing running; then instances, then tasks', async () => {
    fake = createFakeAws({ containerInstances: 0 })
    const dir = project(ECS_SERVICE.replace('count: 1', 'count: 0'))

    // when deploying with count 0
    const first = await deploy(dir, { target: 'ecs' })
    expect(first.status).toBe('applied')
    expect(first.plan.blocked).toEqual([])
    expect(fake.callsOf('CreateCluster')[0].input).toMatchObject({ clusterName: 'myECSCluster' })
    expect(fake.callsOf('RegisterTaskDefinition')[0].input).toMatchObject({ requiresCompatibilities: ['EC2'], networkMode: 'awsvpc' })
    expect(fake.callsOf('CreateService')[0].input).toMatchObject({
      launchType: 'EC2',
      desiredCount: 0,
      networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED' } },
    })

    // when instances join and the count goes up, the service scales on them
    fake.registerContainerInstances('myECSCluster', 1)
    rewrite(dir, ECS_SERVICE)
    fake.calls.length = 0
    const second = await deploy(dir, { target: 'ecs' })
    expect(second.plan.blocked).toEqual([])
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateService'])
    expect(fake.callsOf('UpdateService')[0].input).toEqual({ cluster: 'myECSCluster', service: 'hello-ecs-dev', desiredCount: 1 })
    const service = [...fake.state.ecs.services.values()][0]
    expect(service.runningCount).toBe(1)

    // destroy keeps the cluster while instances are registered in it
    const gone = await deploy(dir, { target: 'ecs', command: 'destroy' })
    expect(gone.plan.steps.map((s) => s.request.operation)).not.toContain('DeleteCluster')
    expect(gone.plan.unchanged.find((u) => u.resource.type === 'ecs:cluster')?.note).toContain('1 EC2 container instance registered')
  })

  it('a cluster made by hand is used as it is and never deleted', async () => {
    fake = createFakeAws({ containerInstances: 1 })
    // given the article's `aws ecs create-cluster --cluster-name myECSCluster`, with an instance registered
    await new ECSClient({ region: 'us-west-2' }).send(new CreateClusterCommand({ clusterName: 'myECSCluster' }))
    const dir = project(ECS_SERVICE)
    const first = await deploy(dir, { target: 'ecs' })
    expect(first.plan.steps.map((s) => s.request.operation)).not.toContain('CreateCluster')
    expect(first.plan.unchanged.find((u) => u.resource.type === 'ecs:cluster')?.note).toBe('not created by shipit: used as it is, never changed or deleted')
    const gone = await deploy(dir, { target: 'ecs', command: 'destroy' })
    expect(gone.plan.steps.map((s) => s.request.operation)).not.toContain('DeleteCluster')
    expect([...fake.state.ecs.clusters.values()].map((c) => c.status)).toEqual(['ACTIVE'])
  })

  it('assignPublicIp is refused for the ecs target (exit 3)', async () => {
    fake = createFakeAws({ containerInstances: 1 })
    const err = (await planFor(project(`${ECS_SERVICE}  network: { assignPublicIp: true }\n`), { target: 'ecs' }).catch((e: unknown) => e)) as ShipitError
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('PublicIpUnsupported')
  })
})
