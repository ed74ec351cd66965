/**
 * ECS Express Mode in the in-memory fake: Create/Update/Delete/DescribeExpressGatewayService and
 * DescribeServiceDeployments, modelled on @aws-sdk/client-ecs 3.1164's types and the ECS API
 * reference. An Express service is also an ordinary service record (DescribeServices finds it, with
 * `resourceManagementType: ECS`; TagResource works on its ARN). Each deployment walks the canary's
 * lifecycle stages, one per DescribeServiceDeployments read, then ends SUCCESSFUL, or rolled back
 * when the test programmed a failed canary (programExpressDeployment).
 * Error codes follow the reference; messages the reference does not give are the fake's own words,
 * except those the Terraform AWS provider matches on ("Cannot assume role", "Resource not found",
 * "Cannot perform this operation on a service in INACTIVE status").
 */
import type { FakeContext } from './context.js'
import { awsError, clone, type Handlers } from './core.js'
import { addSecurityGroup } from './ec2.js'
import type { EcsState, EcsTaskDefinitionRecord } from './ecs.js'
import { provisionExpressLoadBalancer, removeExpressTargetGroup } from './elbv2.js'
import { roleTrustStatus } from './iam.js'

type Rec = Record<string, any>
type Tag = { key: string; value: string }

export type ExpressDeploymentOutcome = { outcome: 'SUCCESSFUL' } | { outcome: 'ROLLBACK'; reason?: string } | { outcome: 'IN_PROGRESS' }

interface ExpressRecord {
  infrastructureRoleArn: string
  /** the load balancer's security group Express made (it admits 80 and 443 from anywhere) */
  loadBalancerGroup: string
  /** the tasks' group Express made when the create named none (it admits the container port from the load balancer's group only) */
  serviceGroup?: string
  /** newest last */
  configurations: Rec[]
  currentDeployment?: string
  createdAt: Date
  updatedAt: Date
  host: string
  /** the shared load balancer, its HTTPS listener, and the rule and target group Express made for the service (test/fakes/elbv2.ts) */
  elb: { loadBalancer: string; listener: string; rule: string; targetGroup: string }
  /** DescribeExpressGatewayService reads left while DRAINING */
  drainingReads: number
}

interface DeploymentRecord {
  deployment: Rec
  serviceArn: string
  /** the configuration being rolled out, and the one it replaces */
  target: Rec
  source?: Rec
  stage: number
  outcome: ExpressDeploymentOutcome
}

interface ExpressState {
  services: Map<string, ExpressRecord>
  /** every configuration by its service revision ARN, for DescribeServiceRevisions */
  revisions: Map<string, { serviceArn: string; configuration: Rec }>
  deployments: Map<string, DeploymentRecord>
  next?: ExpressDeploymentOutcome
}

/** Per fake ECS state (fake.reset() makes a new one, and so a new Express state). */
const states = new WeakMap<EcsState, ExpressState>()
function expressState(ecs: EcsState): ExpressState {
  let s = states.get(ecs)
  if (!s) {
    s = { services: new Map(), deployments: new Map(), revisions: new Map() }
    states.set(ecs, s)
  }
  return s
}

/** Program how the next Express deployment ends (consumed by the next Create or Update). */
export function programExpressDeployment(ecs: EcsState, outcome: ExpressDeploymentOutcome): void {
  expressState(ecs).next = outcome
}

/** The canary's lifecycle stages, in order (ServiceDeploymentLifecycleStage). */
export const EXPRESS_STAGES = [
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const
const CANARY_STAGE = EXPRESS_STAGES.indexOf('TEST_TRAFFIC_SHIFT')
const DRAINING_READS = 2

export interface ExpressModelDeps {
  cluster(ref: string | undefined): Rec
  taskDef(ref: string | undefined): EcsTaskDefinitionRecord | undefined
  checkTags(tags: Tag[] | undefined): void
}

const TD_EXCLUSIVE = ['primaryContainer', 'executionRoleArn', 'taskRoleArn', 'cpu', 'memory', 'cpuArchitecture'] as const
const METRICS = ['AVERAGE_CPU', 'AVERAGE_MEMORY', 'REQUEST_COUNT_PER_TARGET']

export function expressHandlers(ctx: FakeContext, deps: ExpressModelDeps): Handlers {
  const ecs = () => ctx.state.ecs
  const xs = () => expressState(ecs())
  const prefix = () => `arn:aws:ecs:${ctx.region}:${ctx.account}`
  const invalid = (message: string) => awsError('ecs', 'InvalidParameterException', message)
  const now = () => ctx.now()

  function checkTaskDefinition(arn: unknown): Rec {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw invalid('taskDefinitionArn must be the full ARN of a task definition.')
    const r = deps.taskDef(arn)
    if (r?.taskDefinition.status !== 'ACTIVE') throw awsError('ecs', 'ClientException', 'TaskDefinition not found.')
    const td = r.taskDefinition
    const main = (td.containerDefinitions ?? []).find((c: Rec) => c.name === 'Main')
    const ports: Rec[] = main?.portMappings ?? []
    if (!main || ports.length !== 1 || !ports[0].containerPort || !ports[0].name || (ports[0].protocol ?? 'tcp') !== 'tcp') {
      throw invalid('The task definition must have a container named Main with a single TCP port mapping that includes a container port and port name.')
    }
    if (!(td.requiresCompatibilities ?? []).includes('FARGATE')) throw invalid('The task definition must have FARGATE compatibility.')
    return td
  }

  function checkConfig(input: Rec): void {
    if (input.taskDefinitionArn !== undefined) {
      const both = TD_EXCLUSIVE.filter((k) => input[k] !== undefined)
      if (both.length) throw invalid(`If you provide a task definition ARN, you cannot also specify ${both.join(', ')}.`)
      checkTaskDefinition(input.taskDefinitionArn)
    }
    if (input.healthCheckPath !== undefined && !/^\/\S*$/.test(input.healthCheckPath)) throw invalid('The health check path must start with a forward slash.')
    const s = input.scalingTarget
    if (s) {
      if (s.autoScalingMetric !== undefined && !METRICS.includes(s.autoScalingMetric)) throw invalid(`Invalid autoScalingMetric: ${s.autoScalingMetric}.`)
      if (s.minTaskCount !== undefined && s.maxTaskCount !== undefined && s.minTaskCount > s.maxTaskCount)
        throw invalid('minTaskCount must be less than or equal to maxTaskCount.')
    }
  }

  function checkRole(arn: unknown): void {
    if (typeof arn !== 'string' || !arn) throw invalid('infrastructureRoleArn is required.')
    if (roleTrustStatus(ctx, arn, 'ecs.amazonaws.com') !== 'ok') {
      throw awsError('ecs', 'AccessDeniedException', `Cannot assume role ${arn}: it does not exist or does not trust ecs.amazonaws.com.`)
    }
  }

  function configurationOf(input: Rec, base: Rec | undefined, svc: Rec): Rec {
    const td = deps.taskDef(input.taskDefinitionArn ?? base?.taskDefinitionArn)?.taskDefinition
    const main = (td?.containerDefinitions ?? []).find((c: Rec) => c.name === 'Main')
    return {
      serviceRevisionArn: `${prefix()}:service-revision/${String(svc.clusterArn).split('/').pop()}/${svc.serviceName}/${ctx.ids.digits(19)}`,
      taskDefinitionArn: td?.taskDefinitionArn,
      executionRoleArn: td?.executionRoleArn,
      cpu: td?.cpu,
      memory: td?.memory,
      healthCheckPath: input.healthCheckPath ?? base?.healthCheckPath ?? '/ping',
      networkConfiguration: clone(input.networkConfiguration ?? base?.networkConfiguration ?? { subnets: [], securityGroups: [] }),
      primaryContainer: main ? { image: main.image, containerPort: main.portMappings?.[0]?.containerPort } : undefined,
      scalingTarget: {
        minTaskCount: 1,
        maxTaskCount: 20,
        autoScalingMetric: 'AVERAGE_CPU',
        autoScalingTargetValue: 60,
        ...(base?.scalingTarget ?? {}),
        ...(input.scalingTarget ?? {}),
      },
      ingressPaths: [{ accessType: 'PUBLIC', endpoint: xs().services.get(svc.serviceArn)?.host }],
      createdAt: now(),
    }
  }

  /**
   * The groups Express makes with a service: the load balancer's, and the tasks' when the request
   * names none. (The reference says Express provisions security groups; the rules are the fake's
   * reading of "only the load balancer reaches the tasks".)
   */
  function provisionGroups(input: Rec, port: number | undefined): { loadBalancerGroup: string; serviceGroup?: string } {
    const subnet = ctx.state.ec2.subnets.get(input.networkConfiguration?.subnets?.[0])
    const vpcId: string = subnet?.VpcId ?? [...ctx.state.ec2.vpcs.values()].find((v) => v.IsDefault)?.VpcId ?? ''
    const anywhere = [80, 443].map((p) => ({ IpProtocol: 'tcp', FromPort: p, ToPort: p, CidrIpv4: '0.0.0.0/0' }))
    const loadBalancerGroup = addSecurityGroup(ctx, { name: `ecs-express-lb-${ctx.ids.hex(8)}`, vpcId, ingress: anywhere })
    if (input.networkConfiguration?.securityGroups?.length || port === undefined) return { loadBalancerGroup }
    const fromLb = [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, ReferencedGroupInfo: { GroupId: loadBalancerGroup, UserId: ctx.account } }]
    return { loadBalancerGroup, serviceGroup: addSecurityGroup(ctx, { name: `ecs-express-svc-${ctx.ids.hex(8)}`, vpcId, ingress: fromLb }) }
  }

  /** The configuration as Express reports it: the tasks' group it made stands in the network configuration. */
  function withGroups(config: Rec, rec: ExpressRecord): Rec {
    const net = config.networkConfiguration
    if (net.securityGroups?.length || !rec.serviceGroup) return config
    return { ...config, networkConfiguration: { ...net, securityGroups: [rec.serviceGroup] } }
  }

  function startDeployment(svc: Rec, rec: ExpressRecord, target: Rec, source: Rec | undefined): void {
    const arn = `${prefix()}:service-deployment/${String(svc.clusterArn).split('/').pop()}/${svc.serviceName}/${ctx.ids.hex(22)}`
    const outcome = xs().next ?? { outcome: 'SUCCESSFUL' }
    xs().next = undefined
    const deployment: Rec = {
      serviceDeploymentArn: arn,
      serviceArn: svc.serviceArn,
      clusterArn: svc.clusterArn,
      createdAt: now(),
      startedAt: now(),
      updatedAt: now(),
      targetServiceRevision: {
        arn: target.serviceRevisionArn,
        requestedTaskCount: target.scalingTarget.minTaskCount,
        runningTaskCount: 0,
        pendingTaskCount: 0,
      },
      sourceServiceRevisions: source ? [{ arn: source.serviceRevisionArn, runningTaskCount: svc.runningCount }] : [],
      status: 'IN_PROGRESS',
      lifecycleStage: EXPRESS_STAGES[0],
      deploymentConfiguration: { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 3 }, bakeTimeInMinutes: 3 },
    }
    xs().deployments.set(arn, { deployment, serviceArn: svc.serviceArn, target, source, stage: 0, outcome })
    xs().revisions.set(target.serviceRevisionArn, { serviceArn: svc.serviceArn, configuration: target })
    rec.currentDeployment = arn
    rec.configurations.push(target)
  }

  /** One step of a deployment's lifecycle per read. */
  function advance(d: DeploymentRecord): void {
    const dep = d.deployment
    if (dep.status !== 'IN_PROGRESS' || d.outcome.outcome === 'IN_PROGRESS') return
    const rec = xs().services.get(d.serviceArn)
    const svc = ecs().services.get(d.serviceArn)
    if (!rec || !svc) return
    dep.updatedAt = now()
    if (d.outcome.outcome === 'ROLLBACK' && d.stage >= CANARY_STAGE) {
      const reason = d.outcome.reason ?? 'CloudWatch alarm for 4xx and 5xx errors went into ALARM during the canary.'
      dep.status = d.source ? 'ROLLBACK_SUCCESSFUL' : 'STOPPED'
      dep.statusReason = reason
      dep.finishedAt = now()
      if (d.source) dep.rollback = { reason, startedAt: now(), serviceRevisionArn: d.source.serviceRevisionArn }
      dep.alarms = { status: 'TRIGGERED', alarmNames: [`${svc.serviceName}-5xx`], triggeredAlarmNames: [`${svc.serviceName}-5xx`] }
      rec.configurations = rec.configurations.filter((c) => c !== d.target)
      return
    }
    d.stage += 1
    if (d.stage < EXPRESS_STAGES.length) {
      dep.lifecycleStage = EXPRESS_STAGES[d.stage]
      return
    }
    dep.status = 'SUCCESSFUL'
    dep.finishedAt = now()
    rec.configurations = [d.target]
    svc.taskDefinition = d.target.taskDefinitionArn
    svc.desiredCount = d.target.scalingTarget.minTaskCount
    svc.runningCount = svc.desiredCount
    dep.targetServiceRevision.runningTaskCount = svc.runningCount
  }

  function expressOut(svc: Rec, rec: ExpressRecord, withTags: boolean): Rec {
    return {
      cluster: svc.clusterArn,
      serviceName: svc.serviceName,
      serviceArn: svc.serviceArn,
      infrastructureRoleArn: rec.infrastructureRoleArn,
      status: { statusCode: svc.status },
      currentDeployment: rec.currentDeployment,
      activeConfigurations: clone(rec.configurations.map((c) => withGroups(c, rec))),
      ...(withTags ? { tags: clone(svc.tags ?? []) } : {}),
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
    }
  }

  function lookup(arn: unknown): { svc: Rec; rec: ExpressRecord } {
    if (typeof arn !== 'string' || !arn) throw invalid('serviceArn is required.')
    const svc = ecs().services.get(arn)
    const rec = xs().services.get(arn)
    if (svc && !rec) throw invalid(`The service ${arn} is not an Express service.`)
    if (!svc || !rec) throw awsError('ecs', 'ServiceNotFoundException', 'Service not found.')
    return { svc, rec }
  }

  return {
    CreateExpressGatewayService: (input) => {
      checkRole(input.infrastructureRoleArn)
      if (input.taskDefinitionArn === undefined && !input.primaryContainer?.image)
        throw invalid('primaryContainer.image is required when taskDefinitionArn is not given.')
      const c = deps.cluster(input.cluster)
      const name: string = input.serviceName ?? `express-${ctx.ids.hex(8)}`
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalid('Service name can only contain letters, numbers, hyphens and underscores, up to 255 characters.')
      const arn = `${prefix()}:service/${c.clusterName}/${name}`
      const existing = ecs().services.get(arn)
      if (existing && existing.status !== 'INACTIVE') throw invalid('Creation of service was not idempotent.')
      checkConfig(input)
      deps.checkTags(input.tags)
      const svc: Rec = {
        serviceArn: arn,
        serviceName: name,
        clusterArn: c.clusterArn,
        status: 'ACTIVE',
        desiredCount: 0,
        runningCount: 0,
        pendingCount: 0,
        launchType: 'FARGATE',
        resourceManagementType: 'ECS',
        deployments: [],
        events: [],
        createdAt: now(),
        tags: clone(input.tags ?? []),
      }
      ecs().services.set(arn, svc)
      const port = deps.taskDef(input.taskDefinitionArn)?.taskDefinition.containerDefinitions?.[0]?.portMappings?.[0]?.containerPort
      const host = `${name.toLowerCase().slice(0, 40)}-${ctx.ids.hex(8)}.ecs.${ctx.region}.on.aws`
      const rec: ExpressRecord = {
        ...provisionGroups(input, port),
        infrastructureRoleArn: input.infrastructureRoleArn,
        configurations: [],
        createdAt: now(),
        updatedAt: now(),
        host,
        elb: provisionExpressLoadBalancer(ctx, name, host),
        drainingReads: DRAINING_READS,
      }
      xs().services.set(arn, rec)
      startDeployment(svc, rec, configurationOf(input, undefined, svc), undefined)
      return { service: expressOut(svc, rec, true) }
    },

    UpdateExpressGatewayService: (input) => {
      const { svc, rec } = lookup(input.serviceArn)
      if (svc.status === 'INACTIVE') throw awsError('ecs', 'ServiceNotActiveException', 'Cannot perform this operation on a service in INACTIVE status.')
      if (svc.status === 'DRAINING') throw awsError('ecs', 'ServiceNotActiveException', 'Service is in DRAINING status.')
      checkConfig(input)
      const current = rec.configurations[rec.configurations.length - 1]
      const target = configurationOf(input, current, svc)
      rec.updatedAt = now()
      startDeployment(svc, rec, target, current)
      return {
        service: {
          serviceArn: svc.serviceArn,
          cluster: svc.clusterArn,
          serviceName: svc.serviceName,
          status: { statusCode: svc.status },
          targetConfiguration: clone(target),
          createdAt: rec.createdAt,
          updatedAt: rec.updatedAt,
        },
      }
    },

    DescribeExpressGatewayService: (input) => {
      if (typeof input.serviceArn !== 'string' || !input.serviceArn) throw invalid('serviceArn is required.')
      const svc = ecs().services.get(input.serviceArn)
      const rec = xs().services.get(input.serviceArn)
      if (!svc || !rec) throw awsError('ecs', 'ResourceNotFoundException', 'Resource not found.')
      if (svc.status === 'DRAINING' && --rec.drainingReads <= 0) svc.status = 'INACTIVE'
      return { service: expressOut(svc, rec, Boolean(input.include?.includes('TAGS'))) }
    },

    DeleteExpressGatewayService: (input) => {
      const { svc, rec } = lookup(input.serviceArn)
      if (svc.status === 'INACTIVE') throw awsError('ecs', 'ServiceNotActiveException', 'Cannot perform this operation on a service in INACTIVE status.')
      if (svc.status === 'DRAINING') throw awsError('ecs', 'ServiceNotActiveException', 'Service is in DRAINING status.')
      // a target group a rule still sends to cannot be deleted (ResourceInUse): Express's delete fails like ELBv2's would
      const users = [...ctx.state.elbv2.rules.values()].filter(
        (r) => r.RuleArn !== rec.elb.rule && (r.Actions ?? []).some((a: Rec) => a.TargetGroupArn === rec.elb.targetGroup),
      )
      if (users.length) {
        throw invalid(`Target group '${rec.elb.targetGroup}' is currently in use by a listener or a rule (${users.map((r) => r.RuleArn).join(', ')})`)
      }
      svc.status = 'DRAINING'
      // ECS removes what it made for the service
      for (const g of [rec.loadBalancerGroup, rec.serviceGroup]) if (g) ctx.state.ec2.securityGroups.delete(g)
      removeExpressTargetGroup(ctx, rec.elb.rule, rec.elb.targetGroup)
      svc.desiredCount = 0
      svc.runningCount = 0
      rec.updatedAt = now()
      return { service: expressOut(svc, rec, true) }
    },

    DescribeServiceRevisions: (input) => {
      const arns: string[] = input.serviceRevisionArns ?? []
      if (!arns.length) throw invalid('serviceRevisionArns must not be empty.')
      if (arns.length > 20) throw invalid('serviceRevisionArns can have at most 20 items.')
      const serviceRevisions: Rec[] = []
      const failures: Rec[] = []
      for (const arn of arns) {
        const r = xs().revisions.get(arn)
        const rec = r && xs().services.get(r.serviceArn)
        const svc = r && ecs().services.get(r.serviceArn)
        if (!r || !rec || !svc) {
          failures.push({ arn, reason: 'MISSING' })
          continue
        }
        const c = withGroups(r.configuration, rec)
        const sgArn = (id: string) => `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group/${id}`
        const managed = (arn: string) => ({ arn, status: 'ACTIVE', updatedAt: rec.updatedAt })
        serviceRevisions.push({
          serviceRevisionArn: arn,
          serviceArn: svc.serviceArn,
          clusterArn: svc.clusterArn,
          taskDefinition: c.taskDefinitionArn,
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: clone(c.networkConfiguration.subnets ?? []), securityGroups: clone(c.networkConfiguration.securityGroups ?? []) },
          },
          createdAt: c.createdAt,
          ecsManagedResources: {
            ingressPaths: [
              {
                accessType: 'PUBLIC',
                endpoint: rec.host,
                listener: managed(rec.elb.listener),
                rule: managed(rec.elb.rule),
                targetGroups: [managed(rec.elb.targetGroup)],
                loadBalancer: {
                  arn: rec.elb.loadBalancer,
                  status: 'ACTIVE',
                  updatedAt: rec.updatedAt,
                  scheme: 'internet-facing',
                  subnetIds: clone(c.networkConfiguration.subnets ?? []),
                  securityGroupIds: [rec.loadBalancerGroup],
                },
                loadBalancerSecurityGroups: [managed(sgArn(rec.loadBalancerGroup))],
              },
            ],
            ...(rec.serviceGroup ? { serviceSecurityGroups: [managed(sgArn(rec.serviceGroup))] } : {}),
          },
        })
      }
      return { serviceRevisions, failures }
    },

    DescribeServiceDeployments: (input) => {
      const arns: string[] = input.serviceDeploymentArns ?? []
      if (!arns.length) throw invalid('serviceDeploymentArns must not be empty.')
      if (arns.length > 20) throw invalid('serviceDeploymentArns can have at most 20 items.')
      const serviceDeployments: Rec[] = []
      const failures: Rec[] = []
      for (const arn of arns) {
        const d = xs().deployments.get(arn)
        if (!d) {
          failures.push({ arn, reason: 'MISSING' })
          continue
        }
        advance(d)
        serviceDeployments.push(clone(d.deployment))
      }
      return { serviceDeployments, failures }
    },
  }
}
