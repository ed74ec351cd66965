import type { ServiceDeployment } from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../../src/aws/clients.js'
import type { ServiceName } from '../../../src/aws/services.js'
import type { ShipitError } from '../../../src/errors.js'
import { expressDeploymentVerdict, waitForExpressDeleted, waitForExpressDeployment } from '../../../src/targets/container/express-waiters.js'
import { programExpressDeployment } from '../../fakes/ecs-express.js'
import { useFakeAws } from '../../helpers/fake.js'

/** A call whose answer the test reads loosely (the fake's answers, not the SDK's optional types). */
const sendAny = (c: AwsClients, service: ServiceName, operation: string, input: Record<string, unknown>): Promise<any> =>
  c.sendRequest({ service, operation, input })

const REVISION = 'arn:aws:ecs:us-west-2:123456789012:service-revision/web-dev/web-dev/1'
const deployment = (d: Partial<ServiceDeployment>): ServiceDeployment => ({ targetServiceRevision: { arn: REVISION }, ...d })

describe('expressDeploymentVerdict', () => {
  it('is done when the deployment of the wanted revision is SUCCESSFUL', () => {
    expect(expressDeploymentVerdict(deployment({ status: 'SUCCESSFUL' }), REVISION, 1)).toEqual({ state: 'done' })
  })

  it('reports the canary phase while in progress', () => {
    expect(expressDeploymentVerdict(deployment({ status: 'IN_PROGRESS', lifecycleStage: 'TEST_TRAFFIC_SHIFT' }), REVISION, 1)).toEqual({
      state: 'waiting',
      phase: 'IN_PROGRESS, canary: shifting test traffic',
    })
  })

  it('fails on a rollback with ECS’s reason and the alarms that fired', () => {
    const v = expressDeploymentVerdict(
      deployment({
        status: 'ROLLBACK_IN_PROGRESS',
        statusReason: 'alarm triggered',
        rollback: { reason: 'alarm triggered' },
        alarms: { triggeredAlarmNames: ['web-5xx'] },
      }),
      REVISION,
      1,
    )
    expect(v).toEqual({ state: 'failed', reason: 'ECS rolled the deployment back (ROLLBACK_IN_PROGRESS): alarm triggered; alarms in ALARM: web-5xx' })
  })

  it('waits a few polls for a deployment of another revision, then fails', () => {
    const other = deployment({ status: 'IN_PROGRESS', targetServiceRevision: { arn: 'arn:…/other' } })
    expect(expressDeploymentVerdict(other, REVISION, 1).state).toBe('waiting')
    expect(expressDeploymentVerdict(other, REVISION, 5)).toEqual({
      state: 'failed',
      reason: 'ECS is not deploying the new configuration (its current deployment rolls out other)',
    })
  })
})

describe('Express waiters on the fake', () => {
  const fake = useFakeAws()
  let clients: AwsClients
  let serviceArn: string

  beforeEach(async () => {
    fake.reset()
    clients = new AwsClients({ region: 'us-west-2' })
    await sendAny(clients, 'ecs', 'CreateCluster', { clusterName: 'web-dev' })
    await sendAny(clients, 'iam', 'CreateRole', {
      RoleName: 'infra',
      AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    })
  })

  async function create(): Promise<void> {
    const out = await sendAny(clients, 'ecs', 'CreateExpressGatewayService', {
      serviceName: 'web-dev',
      cluster: 'web-dev',
      infrastructureRoleArn: 'arn:aws:iam::123456789012:role/infra',
      primaryContainer: { image: 'public.ecr.aws/nginx/nginx:1.27', containerPort: 80 },
    })
    serviceArn = out.service.serviceArn
  }

  it('calls back with each canary phase and the time spent, then passes', async () => {
    await create()
    const phases: string[] = []
    await waitForExpressDeployment(clients, { serviceArn }, { deadline: Date.now() + 10_000, progress: (what) => phases.push(what) })
    expect(phases[0]).toMatch(/^IN_PROGRESS, (starting the new tasks|new tasks started), \d+s$/)
    expect(phases.some((p) => p.startsWith('IN_PROGRESS, bake time'))).toBe(true)
  })

  it('times out with the phase it was in, exit 1', async () => {
    programExpressDeployment(fake.state.ecs, { outcome: 'IN_PROGRESS' })
    await create()
    const err = (await waitForExpressDeployment(clients, { serviceArn }, { deadline: Date.now() - 1 }).catch((e) => e)) as ShipitError
    expect(err.code).toBe('WaitTimeout')
    expect(err.exitCode).toBe(1)
    expect(err.message).toMatch(/waiting for Express service web-dev to deploy \(IN_PROGRESS, starting the new tasks\)/)
  })

  it('a failed first deployment ends STOPPED and fails with the reason', async () => {
    programExpressDeployment(fake.state.ecs, { outcome: 'ROLLBACK', reason: 'tasks failed their health checks on /health' })
    await create()
    const err = (await waitForExpressDeployment(clients, { serviceArn }, { deadline: Date.now() + 10_000 }).catch((e) => e)) as ShipitError
    expect(err.code).toBe('DeploymentFailed')
    expect(err.message).toContain('the deployment ended STOPPED: tasks failed their health checks on /health')
  })

  it('waits through DRAINING until the deleted service is INACTIVE', async () => {
    await create()
    await sendAny(clients, 'ecs', 'DeleteExpressGatewayService', { serviceArn })
    await waitForExpressDeleted(clients, { serviceArn }, { deadline: Date.now() + 10_000 })
    const out = await sendAny(clients, 'ecs', 'DescribeExpressGatewayService', { serviceArn })
    expect(out.service.status.statusCode).toBe('INACTIVE')
    expect(fake.callsOf('DescribeExpressGatewayService').length).toBeGreaterThanOrEqual(2)
  })
})

describe('the fake’s Express Gateway operations follow the API reference', () => {
  const fake = useFakeAws()
  let clients: AwsClients

  beforeEach(async () => {
    fake.reset()
    clients = new AwsClients({ region: 'us-west-2' })
    await sendAny(clients, 'ecs', 'CreateCluster', { clusterName: 'web-dev' })
  })

  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: Error) => `${e.name}: ${e.message}`,
    )

  it('refuses a role ECS cannot assume, and a task definition without a Main container and a named port', async () => {
    const infra = 'arn:aws:iam::123456789012:role/missing'
    expect(await errorOf(sendAny(clients, 'ecs', 'CreateExpressGatewayService', { infrastructureRoleArn: infra, cluster: 'web-dev' }))).toMatch(
      /^AccessDeniedException: Cannot assume role/,
    )
    await sendAny(clients, 'iam', 'CreateRole', {
      RoleName: 'infra',
      AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    })
    const td = await sendAny(clients, 'ecs', 'RegisterTaskDefinition', {
      family: 'plain',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'nginx', portMappings: [{ containerPort: 80 }] }],
    })
    const base = { infrastructureRoleArn: 'arn:aws:iam::123456789012:role/infra', cluster: 'web-dev', serviceName: 'web-dev' }
    expect(await errorOf(sendAny(clients, 'ecs', 'CreateExpressGatewayService', { ...base, taskDefinitionArn: td.taskDefinition.taskDefinitionArn }))).toMatch(
      /^InvalidParameterException: The task definition must have a container named Main/,
    )
    expect(
      await errorOf(sendAny(clients, 'ecs', 'CreateExpressGatewayService', { ...base, taskDefinitionArn: td.taskDefinition.taskDefinitionArn, cpu: '256' })),
    ).toBe('InvalidParameterException: If you provide a task definition ARN, you cannot also specify cpu.')
  })

  it('answers unknown services with ECS’s not-found errors and finds Express services with DescribeServices', async () => {
    const arn = 'arn:aws:ecs:us-west-2:123456789012:service/web-dev/nope'
    expect(await errorOf(sendAny(clients, 'ecs', 'DescribeExpressGatewayService', { serviceArn: arn }))).toBe('ResourceNotFoundException: Resource not found.')
    expect(await errorOf(sendAny(clients, 'ecs', 'UpdateExpressGatewayService', { serviceArn: arn }))).toBe('ServiceNotFoundException: Service not found.')
    expect(await errorOf(sendAny(clients, 'ecs', 'DeleteExpressGatewayService', { serviceArn: arn }))).toBe('ServiceNotFoundException: Service not found.')
    await sendAny(clients, 'iam', 'CreateRole', {
      RoleName: 'infra',
      AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    })
    await sendAny(clients, 'ecs', 'CreateExpressGatewayService', {
      infrastructureRoleArn: 'arn:aws:iam::123456789012:role/infra',
      cluster: 'web-dev',
      serviceName: 'web-dev',
      primaryContainer: { image: 'nginx' },
    })
    const described = await sendAny(clients, 'ecs', 'DescribeServices', { cluster: 'web-dev', services: ['web-dev'] })
    expect(described.services[0].resourceManagementType).toBe('ECS')
    const { service } = await sendAny(clients, 'ecs', 'DeleteExpressGatewayService', { serviceArn: described.services[0].serviceArn })
    expect(service.status.statusCode).toBe('DRAINING')
    expect(await errorOf(sendAny(clients, 'ecs', 'DeleteExpressGatewayService', { serviceArn: described.services[0].serviceArn }))).toBe(
      'ServiceNotActiveException: Service is in DRAINING status.',
    )
  })
})
