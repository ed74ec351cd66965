import type { CreateExpressGatewayServiceCommandInput, UpdateExpressGatewayServiceCommandInput } from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../../src/aws/clients.js'
import type { ServiceName } from '../../../src/aws/services.js'
import type { ContainerDesired } from '../../../src/manifest/resolve.js'
import { executePlan } from '../../../src/plan/execute.js'
import { cliCommand } from '../../../src/plan/render.js'
import type { Plan, Step } from '../../../src/plan/types.js'
import { CONTAINER_CATALOGUE } from '../../../src/targets/container/catalogue.js'
import {
  createExpressInput,
  EXPRESS_DEPLOYED_WAITER,
  EXPRESS_INFRASTRUCTURE_POLICY,
  type ExpressObserved,
  expressContainerName,
  expressOutputs,
  forExpress,
  observeExpress,
  planExpress,
  planExpressDestroy,
} from '../../../src/targets/container/express.js'
import { planOfSteps } from '../../helpers/plan.js'
import '../../../src/targets/container/express-waiters.js'
import type { AwsVpcConfiguration } from '../../../src/targets/container/network.js'
import { FARGATE_PROFILE } from '../../../src/targets/container/profile.js'
import { desiredSpec, registerInput } from '../../../src/targets/container/task-definition.js'
import { NOT_OURS, PartBuilder } from '../../../src/targets/part.js'
import type { PlanContext, PlanPart } from '../../../src/targets/target.js'
import { silentReporter } from '../../../src/ui/reporter.js'
import { programExpressDeployment } from '../../fakes/ecs-express.js'
import { useFakeAws } from '../../helpers/fake.js'
import { desiredFrom } from './helpers.js'

/** A call whose answer the test reads loosely (the fake's answers, not the SDK's optional types). */
const sendAny = (c: AwsClients, service: ServiceName, operation: string, input: Record<string, unknown>): Promise<any> =>
  c.sendRequest({ service, operation, input })

const WEB = `
name: web
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 8080
  healthCheckPath: /health
http: {}
`
const REGION = 'us-west-2'
const ACCOUNT = '123456789012'
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/exec`
const NETWORK: AwsVpcConfiguration = { subnets: ['subnet-0b', 'subnet-0a'], securityGroups: ['sg-0web'], assignPublicIp: 'ENABLED' }
const planContext: PlanContext = { region: REGION, account: ACCOUNT, adopt: false }

const planDocument = (steps: Step[]): Plan => planOfSteps(steps, { app: 'web', target: 'fargate', region: REGION })

describe('ECS Express Mode (http: on fargate)', () => {
  const fake = useFakeAws()
  let clients: AwsClients

  beforeEach(async () => {
    fake.reset()
    clients = new AwsClients({ region: REGION })
    await sendAny(clients, 'ecs', 'CreateCluster', { clusterName: 'web-dev' })
  })

  /** shipit's task definition, adapted for Express Mode, registered: its ARN */
  async function registerTaskDefinition(d: ContainerDesired): Promise<string> {
    const spec = expressContainerName(desiredSpec(d, FARGATE_PROFILE, REGION, EXEC_ROLE))
    const out = await sendAny(clients, 'ecs', 'RegisterTaskDefinition', forExpress(registerInput(spec, d.tags)))
    return out.taskDefinition.taskDefinitionArn
  }

  function plan(d: ContainerDesired, observed: ExpressObserved, taskDefinition: string, ctx: PlanContext = planContext): PlanPart {
    const b = new PartBuilder(d, ctx)
    planExpress(b, observed, { taskDefinition, network: NETWORK, prerequisites: [] })
    return b.part()
  }

  function destroy(d: ContainerDesired, observed: ExpressObserved): PlanPart {
    const b = new PartBuilder(d, planContext)
    planExpressDestroy(b, observed)
    return b.part()
  }

  const apply = (steps: Step[]) =>
    executePlan(planDocument(steps), {
      clients,
      reporter: silentReporter,
      catalogue: CONTAINER_CATALOGUE,
      artifact: async () => new Uint8Array(),
      sensitive: () => '',
      timeoutSeconds: 30,
      sleep: async () => {},
    })

  async function deployed(yaml = WEB) {
    const d = desiredFrom(yaml)
    const td = await registerTaskDefinition(d)
    const result = await apply(plan(d, await observeExpress(clients, d), td).steps)
    expect(result.error?.message).toBeUndefined()
    return { d, td, result }
  }

  it('plans the infrastructure role and CreateExpressGatewayService with shipit’s task definition by ARN', async () => {
    const d = desiredFrom(WEB)
    const td = await registerTaskDefinition(d)
    const part = plan(d, await observeExpress(clients, d), td)
    expect(part.steps.map((s) => `${s.action} ${s.request.operation}`)).toEqual([
      'create CreateRole',
      'create AttachRolePolicy',
      'create CreateExpressGatewayService',
    ])
    const [role, policy, service] = part.steps
    expect(JSON.parse(role.request.input.AssumeRolePolicyDocument as string).Statement[0].Principal).toEqual({ Service: 'ecs.amazonaws.com' })
    expect(role.request.input.RoleName).toBe('shipit-web-dev-ecs-infra')
    expect(policy.request.input.PolicyArn).toBe('arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices')
    expect(service.request.input).toEqual({
      serviceName: 'web-dev',
      cluster: 'web-dev',
      infrastructureRoleArn: { ref: 'infrastructure-role', output: 'Role.Arn' },
      taskDefinitionArn: td,
      healthCheckPath: '/health',
      scalingTarget: { minTaskCount: 1, maxTaskCount: 3, autoScalingMetric: 'AVERAGE_CPU', autoScalingTargetValue: 60 },
      networkConfiguration: { subnets: ['subnet-0b', 'subnet-0a'], securityGroups: ['sg-0web'] },
      tags: [
        { key: 'shipit:app', value: 'web' },
        { key: 'shipit:env', value: 'dev' },
        { key: 'shipit:target', value: 'fargate' },
      ],
    })
    // with a task definition ARN the API refuses the container, role and size fields
    for (const field of ['primaryContainer', 'executionRoleArn', 'taskRoleArn', 'cpu', 'memory', 'cpuArchitecture']) {
      expect(service.request.input).not.toHaveProperty(field)
    }
    expect(service.retry).toContainEqual({ errorName: 'AccessDeniedException', messageIncludes: 'Cannot assume role', seconds: 90 })
    expect(service.wait?.waiter).toBe(EXPRESS_DEPLOYED_WAITER)
    expect(service.dependsOn).toEqual(['infrastructure-role', 'infrastructure-role-policy'])
  })

  it('builds requests that are the SDK’s input types', () => {
    const d = desiredFrom(WEB)
    const spec = d.express
    if (!spec) throw new Error('no express spec')
    const input = createExpressInput({
      serviceName: 'web-dev',
      cluster: 'web-dev',
      infrastructureRoleArn: `arn:aws:iam::${ACCOUNT}:role/infra`,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web-dev:1`,
      spec,
      network: NETWORK,
      tags: d.tags,
    }) satisfies CreateExpressGatewayServiceCommandInput
    const update = { serviceArn: 'arn', healthCheckPath: '/', scalingTarget: input.scalingTarget } satisfies UpdateExpressGatewayServiceCommandInput
    expect(input.infrastructureRoleArn).toMatch(/role\/infra$/)
    expect(update.scalingTarget?.autoScalingMetric).toBe('AVERAGE_CPU')
  })

  it('prints the create step as aws ecs create-express-gateway-service with nested structures as JSON', async () => {
    const d = desiredFrom(WEB)
    const td = await registerTaskDefinition(d)
    const service = plan(d, await observeExpress(clients, d), td).steps[2]
    const line = cliCommand(service, REGION)
    expect(line).toMatch(/^aws ecs create-express-gateway-service --service-name web-dev --cluster web-dev /)
    expect(line).toContain(`--infrastructure-role-arn '<infrastructure-role.Role.Arn>'`)
    expect(line).toContain(`--task-definition-arn ${td}`)
    expect(line).toContain(`--scaling-target '{"minTaskCount":1,"maxTaskCount":3,"autoScalingMetric":"AVERAGE_CPU","autoScalingTargetValue":60}'`)
    expect(line).toContain(`--network-configuration '{"subnets":["subnet-0b","subnet-0a"],"securityGroups":["sg-0web"]}'`)
    expect(line).toMatch(/--region us-west-2$/)
  })

  it('creates the service, waits for its canary and gives the HTTPS URL; the same app again plans nothing', async () => {
    const { d, result } = await deployed()
    const url = expressOutputs(await observeExpress(clients, d), result.outputs).url
    expect(url).toMatch(/^https:\/\/web-dev-[0-9a-f]+\.ecs\.us-west-2\.on\.aws$/)

    const before = fake.mutatingCalls().length
    const observed = await observeExpress(clients, d)
    expect(observed.service?.url).toBe(url)
    expect(observed.service?.live).toEqual({ runningCount: 1, pendingCount: 0, desiredCount: 1 })
    const again = plan(d, observed, observed.service?.taskDefinitionArn as string)
    expect(again.steps).toEqual([])
    expect(again.unchanged.map((u) => u.resource.type)).toEqual(['iam:role', 'ecs:express-service'])
    expect(fake.mutatingCalls().length).toBe(before)
    expect(fake.callsOf('DescribeServiceDeployments').length).toBeGreaterThan(1)
  })

  it('a changed health-check path is one UpdateExpressGatewayService with that field only', async () => {
    const { td } = await deployed()
    const d = desiredFrom(WEB.replace('/health', '/ready'))
    const observed = await observeExpress(clients, d)
    const part = plan(d, observed, td)
    expect(part.steps).toHaveLength(1)
    const [step] = part.steps
    expect(step.request.operation).toBe('UpdateExpressGatewayService')
    expect(step.request.input).toEqual({ serviceArn: observed.service?.arn, healthCheckPath: '/ready' })
    expect(step.changes).toEqual([{ path: 'healthCheckPath', before: '/health', after: '/ready' }])
    const result = await apply(part.steps)
    expect(result.ok).toBe(true)
    expect((await observeExpress(clients, d)).service?.healthCheckPath).toBe('/ready')
  })

  it('changed scaling is one update with the whole scaling target, field by field in the plan', async () => {
    const { td } = await deployed()
    const d = desiredFrom(
      `${WEB}  `.replace('healthCheckPath: /health', 'healthCheckPath: /health\n  maxTasks: 6\n  scaling: { metric: requests, target: 500 }'),
    )
    const part = plan(d, await observeExpress(clients, d), td)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['UpdateExpressGatewayService'])
    expect(part.steps[0].request.input.scalingTarget).toEqual({
      minTaskCount: 1,
      maxTaskCount: 6,
      autoScalingMetric: 'REQUEST_COUNT_PER_TARGET',
      autoScalingTargetValue: 500,
    })
    expect(part.steps[0].changes?.map((c) => c.path)).toEqual([
      'scalingTarget.maxTaskCount',
      'scalingTarget.autoScalingMetric',
      'scalingTarget.autoScalingTargetValue',
    ])
  })

  it('a new revision updates the service in place (never delete and recreate) and waits for the new revision’s deployment', async () => {
    const { d } = await deployed()
    const td2 = await registerTaskDefinition(desiredFrom(WEB.replace('nginx:1.27', 'nginx:1.28')))
    const part = plan(d, await observeExpress(clients, d), td2)
    expect(part.steps.map((s) => s.request.operation)).toEqual(['UpdateExpressGatewayService'])
    expect(part.steps[0].changes).toEqual([{ path: 'taskDefinitionArn', before: 'web-dev:1', after: 'web-dev:2' }])
    expect(part.steps[0].wait?.input.serviceRevisionArn).toEqual({ ref: 'express-service', output: 'service.targetConfiguration.serviceRevisionArn' })
    expect((await apply(part.steps)).ok).toBe(true)
    expect((await observeExpress(clients, d)).service?.taskDefinitionArn).toBe(td2)
    expect(fake.callsOf('DeleteExpressGatewayService')).toHaveLength(0)
  })

  it('a rolled-back canary fails the deploy, exit 1, with ECS’s reason', async () => {
    const { d } = await deployed()
    const td2 = await registerTaskDefinition(desiredFrom(WEB.replace('nginx:1.27', 'nginx:broken')))
    programExpressDeployment(fake.state.ecs, { outcome: 'ROLLBACK', reason: 'Alarm web-dev-5xx in ALARM: 4xx+5xx errors above 1%' })
    const result = await apply(plan(d, await observeExpress(clients, d), td2).steps)
    expect(result.ok).toBe(false)
    expect(result.error?.exitCode).toBe(1)
    expect(result.error?.message).toContain('ECS rolled the deployment back (ROLLBACK_SUCCESSFUL): Alarm web-dev-5xx in ALARM: 4xx+5xx errors above 1%')
    // the service keeps serving the revision it had
    expect((await observeExpress(clients, d)).service?.taskDefinitionArn).toMatch(/web-dev:1$/)
  })

  it('retries the create while ECS cannot assume the just-made infrastructure role yet', async () => {
    const d = desiredFrom(WEB)
    const td = await registerTaskDefinition(d)
    fake.failOn(
      'CreateExpressGatewayService',
      { name: 'AccessDeniedException', message: 'Cannot assume role arn:aws:iam::123456789012:role/shipit-web-dev-ecs-infra' },
      { times: 2 },
    )
    const result = await apply(plan(d, await observeExpress(clients, d), td).steps)
    expect(result.ok).toBe(true)
    expect(fake.callsOf('CreateExpressGatewayService')).toHaveLength(3)
  })

  it('refuses a service or infrastructure role with shipit’s name but not its tags', async () => {
    const d = desiredFrom(WEB)
    const td = await registerTaskDefinition(d)
    await sendAny(clients, 'iam', 'CreateRole', { RoleName: 'shipit-web-dev-ecs-infra', AssumeRolePolicyDocument: ECS_TRUST })
    await sendAny(clients, 'ecs', 'CreateExpressGatewayService', {
      serviceName: 'web-dev',
      cluster: 'web-dev',
      infrastructureRoleArn: `arn:aws:iam::${ACCOUNT}:role/shipit-web-dev-ecs-infra`,
      taskDefinitionArn: td,
    })
    const part = plan(d, await observeExpress(clients, d), td)
    expect(part.steps).toEqual([])
    expect(part.blocked).toEqual([{ resource: { type: 'iam:role', name: 'shipit-web-dev-ecs-infra' }, reason: NOT_OURS }])

    const given = desiredFrom(WEB.replace('healthCheckPath: /health', `healthCheckPath: /health\n  infrastructureRole: arn:aws:iam::${ACCOUNT}:role/theirs`))
    const theirs = plan(given, await observeExpress(clients, given), td)
    expect(theirs.blocked).toEqual([{ resource: { type: 'ecs:express-service', name: 'web-dev' }, reason: NOT_OURS }])
    expect(destroy(d, await observeExpress(clients, d)).steps).toEqual([])
  })

  it('blocks a plain ECS service of the same name: ECS cannot turn it into an Express service', async () => {
    const d = desiredFrom(WEB)
    const td = await registerTaskDefinition(d)
    const subnet = (await sendAny(clients, 'ec2', 'DescribeSubnets', {})).Subnets[0].SubnetId
    await sendAny(clients, 'ecs', 'CreateService', {
      cluster: 'web-dev',
      serviceName: 'web-dev',
      taskDefinition: td,
      desiredCount: 0,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
      tags: [
        { key: 'shipit:app', value: 'web' },
        { key: 'shipit:env', value: 'dev' },
      ],
    })
    const part = plan(d, await observeExpress(clients, d), td)
    expect(part.steps).toEqual([])
    expect(part.blocked[0].reason).toMatch(/plain ECS service .* shipit destroy --target fargate/)
  })

  it('destroy deletes the Express service, waits until it is gone, then the infrastructure role', async () => {
    const { d } = await deployed()
    const part = destroy(d, await observeExpress(clients, d, true))
    expect(part.steps.map((s) => `${s.id}: ${s.request.operation}`)).toEqual([
      'express-service: DeleteExpressGatewayService',
      'infrastructure-role-policy-0: DetachRolePolicy',
      'infrastructure-role: DeleteRole',
    ])
    expect(part.steps[1].request.input.PolicyArn).toBe(EXPRESS_INFRASTRUCTURE_POLICY({ region: REGION }))
    expect(part.steps[2].dependsOn).toEqual(['infrastructure-role-policy-0', 'express-service'])
    const result = await apply(part.steps)
    expect(result.ok).toBe(true)
    const after = await observeExpress(clients, d, true)
    expect(after.service).toBeNull()
    expect(after.infrastructureRole).toBeNull()
    expect(fake.callsOf('DescribeExpressGatewayService').length).toBeGreaterThan(1)
  })

  it('warns that http.routes and http.cors do nothing on fargate', async () => {
    const d = desiredFrom(WEB.replace('http: {}', 'http: { routes: ["GET /"], cors: { allowOrigins: ["*"] } }').replace('target: fargate', 'target: lambda'), {
      target: 'fargate',
    })
    const part = plan(d, { service: null, infrastructureRole: null }, 'arn:aws:ecs:us-west-2:123456789012:task-definition/web-dev:1')
    expect(part.warnings).toEqual(['http.routes and http.cors apply to target lambda only: the Express service sends every path to the container'])
  })
})

const ECS_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})
