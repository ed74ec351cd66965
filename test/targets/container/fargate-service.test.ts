import { beforeEach, describe, expect, it } from 'vitest'
import { ShipitError } from '../../../src/errors.js'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, FARGATE_SERVICE, isRead, planFor, project, rewrite } from './helpers.js'

const TAGS = { 'shipit:app': 'web', 'shipit:env': 'dev', 'shipit:target': 'fargate' }
const DEFAULT_SUBNETS = ['subnet-0defaulta', 'subnet-0defaultb', 'subnet-0defaultc']

describe('fargate service against the in-memory AWS', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('deploy → redeploy (no mutating call) → image change (one revision + UpdateService) → destroy', async () => {
    const dir = project(FARGATE_SERVICE)

    // given nothing exists, when deploying
    const first = await deploy(dir)
    expect(first.status).toBe('applied')

    // then the cluster, the service and everything it needs exist, tagged
    const cluster = fake.state.ecs.clusters.get(`arn:aws:ecs:us-west-2:${fake.account}:cluster/web-dev`)!
    expect(cluster.status).toBe('ACTIVE')
    expect(cluster.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }])
    expect(Object.fromEntries(cluster.tags.map((t: { key: string; value: string }) => [t.key, t.value]))).toEqual(TAGS)

    const register = fake.callsOf('RegisterTaskDefinition')
    expect(register).toHaveLength(1)
    expect(register[0].input).toEqual({
      family: 'web-dev',
      executionRoleArn: `arn:aws:iam::${fake.account}:role/shipit-web-dev-task-exec`,
      networkMode: 'awsvpc',
      containerDefinitions: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          cpu: 256,
          memory: 512,
          essential: true,
          portMappings: [{ containerPort: 80, protocol: 'tcp' }],
          environment: [{ name: 'LOG_LEVEL', value: 'info' }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/shipit/web/dev', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'shipit' },
          },
        },
      ],
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      tags: Object.entries(TAGS).map(([key, value]) => ({ key, value })),
    })

    const sg = [...fake.state.ec2.securityGroups.values()].find((g) => g.GroupName === 'shipit-web-dev')!
    expect(sg.VpcId).toBe('vpc-0default')
    expect(sg.rules.filter((r) => !r.IsEgress).map((r) => [r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4])).toEqual([['tcp', 80, 80, '0.0.0.0/0']])

    const create = fake.callsOf('CreateService')[0].input
    expect(create).toMatchObject({
      cluster: 'web-dev',
      serviceName: 'web-dev',
      taskDefinition: `arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:1`,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: DEFAULT_SUBNETS, securityGroups: [sg.GroupId], assignPublicIp: 'ENABLED' } },
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
    })
    const service = fake.state.ecs.services.get(`arn:aws:ecs:us-west-2:${fake.account}:service/web-dev/web-dev`)!
    expect(service.runningCount).toBe(2)
    expect(fake.state.iam.roles.size).toBe(1)
    expect(fake.state.logs.logGroups.get('/shipit/web/dev')?.retentionInDays).toBe(14)
    expect(first.outputs).toMatchObject({
      cluster: 'web-dev',
      service: 'web-dev',
      revision: 1,
      taskDefinition: `arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:1`,
    })

    // when deploying again with nothing changed
    fake.calls.length = 0
    const second = await deploy(dir)
    // then nothing is sent but a few reads
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])
    expect(fake.calls.every((c) => isRead(c.operation))).toBe(true)
    expect(fake.calls.length).toBeLessThanOrEqual(10)
    expect(second.plan.unchanged.map((u) => u.resource.type)).toEqual(
      expect.arrayContaining(['ecs:cluster', 'ecs:service', 'ecs:task-definition', 'ec2:security-group', 'iam:role', 'logs:log-group']),
    )

    // when the image changes
    rewrite(dir, FARGATE_SERVICE.replace('nginx:1.27', 'nginx:1.28'))
    fake.calls.length = 0
    const third = await deploy(dir)
    // then one new revision, and the service moves to it
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['RegisterTaskDefinition', 'UpdateService'])
    expect(fake.callsOf('UpdateService')[0].input).toEqual({
      cluster: 'web-dev',
      service: 'web-dev',
      taskDefinition: `arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:2`,
    })
    expect(third.plan.steps.find((s) => s.id === 'task-definition')?.changes).toEqual([
      { path: 'app.image', before: 'public.ecr.aws/nginx/nginx:1.27', after: 'public.ecr.aws/nginx/nginx:1.28' },
    ])
    expect(third.outputs.revision).toBe(2)
    expect(service.taskDefinition).toBe(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:2`)

    // when destroying
    const gone = await deploy(dir, { command: 'destroy' })
    expect(gone.status).toBe('applied')
    // then nothing of ours is left
    expect([...fake.state.ecs.services.values()].filter((s) => s.status !== 'INACTIVE')).toEqual([])
    expect([...fake.state.ecs.clusters.values()].filter((c) => c.status !== 'INACTIVE')).toEqual([])
    expect([...fake.state.ecs.taskDefinitions.values()].filter((r) => r.taskDefinition.status === 'ACTIVE')).toEqual([])
    expect([...fake.state.ecs.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED')).toEqual([])
    expect([...fake.state.ec2.securityGroups.values()].map((g) => g.GroupName)).toEqual(['default'])
    expect(fake.state.iam.roles.size).toBe(0)
    expect(fake.state.logs.logGroups.has('/shipit/web/dev')).toBe(false)
    expect(gone.plan.steps.map((s) => s.request.operation)).toEqual([
      'UpdateService',
      'DeleteService',
      'DeregisterTaskDefinition',
      'DeregisterTaskDefinition',
      'DeleteSecurityGroup',
      'DeleteLogGroup',
      'DetachRolePolicy',
      'DeleteRole',
      'DeleteCluster',
    ])

    // and a plan afterwards creates it all again
    const again = await planFor(dir)
    expect(again.plan.steps.map((s) => s.request.operation)).toEqual([
      'CreateCluster',
      'CreateLogGroup',
      'PutRetentionPolicy',
      'CreateRole',
      'AttachRolePolicy',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'RegisterTaskDefinition',
      'CreateService',
    ])
  })

  it('plan and dry-run send only reads', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    rewrite(dir, FARGATE_SERVICE.replace('count: 2', 'count: 3').replace('nginx:1.27', 'nginx:1.28'))
    fake.calls.length = 0
    const { plan } = await planFor(dir)
    expect(fake.calls.length).toBeGreaterThan(0)
    expect(fake.calls.filter((c) => !isRead(c.operation))).toEqual([])
    const update = plan.steps.find((s) => s.id === 'service')!
    expect(update.changes?.map((c) => c.path)).toEqual(['taskDefinition', 'desiredCount'])
    expect(update.request.input).toEqual({
      cluster: 'web-dev',
      service: 'web-dev',
      taskDefinition: { ref: 'task-definition', output: 'taskDefinition.taskDefinitionArn' },
      desiredCount: 3,
    })
    // the destroy plan reads too, and only reads
    fake.calls.length = 0
    await planFor(dir, { command: 'destroy' })
    expect(fake.calls.filter((c) => !isRead(c.operation))).toEqual([])
  })

  it('a failed rollout that ECS rolled back fails the deploy with the reason, never reports success', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    // given the next deployment's tasks fail to start
    fake.state.ecs.nextRollout = 'FAILED'
    fake.state.ecs.rolloutFailureReason = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found'
    rewrite(dir, FARGATE_SERVICE.replace('nginx:1.27', 'nginx:does-not-exist'))
    // when deploying
    const err = await deploy(dir).catch((e: unknown) => e)
    // then the deploy fails (exit 1) saying what ECS said
    expect(err).toBeInstanceOf(ShipitError)
    const e = err as ShipitError
    expect(e.exitCode).toBe(1)
    expect(e.code).toBe('DeploymentFailed')
    expect(e.message).toContain('ECS rolled the deployment of web-dev:2 back to web-dev:1')
    expect(e.message).toContain('circuit breaker')
    expect(e.message).toContain('CannotPullContainerError')
    // and the service still runs the previous revision
    const service = fake.state.ecs.services.get(`arn:aws:ecs:us-west-2:${fake.account}:service/web-dev/web-dev`)!
    expect(service.taskDefinition).toBe(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:1`)
  })

  it('a first deployment that fails (nothing to roll back to) fails the deploy', async () => {
    const dir = project(FARGATE_SERVICE)
    fake.state.ecs.nextRollout = 'FAILED'
    const err = (await deploy(dir).catch((e: unknown) => e)) as ShipitError
    expect(err.code).toBe('DeploymentFailed')
    expect(err.message).toContain('the deployment of web-dev:1 failed')
  })

  it('a service without shipit tags blocks the plan unless --adopt', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    const service = fake.state.ecs.services.get(`arn:aws:ecs:us-west-2:${fake.account}:service/web-dev/web-dev`)!
    service.tags = []
    const { plan } = await planFor(dir)
    expect(plan.blocked.map((b) => `${b.resource.type} ${b.resource.name}`)).toEqual(['ecs:service web-dev'])
    const adopted = await planFor(dir, { adopt: true })
    expect(adopted.plan.blocked).toEqual([])
    expect(adopted.plan.steps.map((s) => s.request.operation)).toEqual(['TagResource'])
  })
  it('secret env values reach the task definition, and an unchanged secret makes no change on redeploy', async () => {
    const yaml = FARGATE_SERVICE.replace('  LOG_LEVEL: info', '  LOG_LEVEL: info\n  API_KEY: { value: "${env:API_KEY}", secret: true }')
    const dir = project(yaml)
    await deploy(dir, { vars: { API_KEY: 'canary-secret-one' } })
    const env = fake.callsOf('RegisterTaskDefinition')[0].input.containerDefinitions[0].environment
    expect(env).toEqual([
      { name: 'API_KEY', value: 'canary-secret-one' },
      { name: 'LOG_LEVEL', value: 'info' },
    ])
    fake.calls.length = 0
    const again = await deploy(dir, { vars: { API_KEY: 'canary-secret-one' } })
    expect(again.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])
    const rotated = await planFor(dir, { vars: { API_KEY: 'canary-secret-two' } })
    expect(rotated.plan.steps.map((s) => s.request.operation)).toEqual(['RegisterTaskDefinition', 'UpdateService'])
    expect(JSON.stringify(rotated.plan)).not.toContain('canary-secret')
  })
})
