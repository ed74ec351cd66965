import type {
  CreateExpressGatewayServiceCommandInput,
  DeleteExpressGatewayServiceCommandInput,
  DescribeExpressGatewayServiceCommandOutput,
  ECSExpressGatewayService,
  ExpressGatewayScalingTarget,
  ExpressGatewayServiceConfiguration,
  ExpressGatewayServiceScalingMetric,
  Service,
  Tag,
  UpdateExpressGatewayServiceCommandInput,
} from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { orNullIfMissing } from '../../aws/errors.js'
import { type ExpressSpec, lambdaOnlyHttpFields } from '../../manifest/express.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { createdFields, type FieldChange, isRef, type Ref, type RetryOn, type Step } from '../../plan/types.js'
import { planExecutionRole } from '../execution-role.js'
import { type ObservedRole, observeRole, ROLE_PROPAGATION_SECONDS } from '../iam-role.js'
import type { PartBuilder } from '../part.js'
import { ACCOUNT_PLACEHOLDER, arnPartition, type Outputs } from '../target.js'
import { roleDeleteSteps } from '../teardown.js'
import { Ecs } from './catalogue.js'
import { EXPRESS_DELETED_WAITER, EXPRESS_DEPLOYED_WAITER } from './express-waiters.js'
import type { AwsVpcConfiguration, ExpressNetwork } from './network.js'
import { EXPRESS_CONTAINER_NAME } from './profile.js'
import { revisionOf } from './task-definition.js'

/**
 * `http:` on fargate: an ECS Express Mode service (CreateExpressGatewayService) in front of shipit's
 * own task definition, with the infrastructure role ECS uses for the load balancer, certificate and
 * scaling it manages. Observe, plan, destroy and outputs; the waiters are in express-waiters.ts.
 */

const EXPRESS_POLICY_NAME = 'AmazonECSInfrastructureRoleforExpressGatewayServices'
export const EXPRESS_INFRASTRUCTURE_POLICY = (ctx: { region: string; partition?: string }) =>
  `arn:${arnPartition(ctx)}:iam::aws:policy/service-role/${EXPRESS_POLICY_NAME}`
/**
 * What ECS answers while it cannot assume a just-created infrastructure role. The reference does not
 * list it; these are the answers the Terraform AWS provider retries CreateExpressGatewayService on
 * (internal/service/ecs/express_gateway_service.go). A step retries on one of them: the first.
 */
const INFRASTRUCTURE_ROLE_NOT_READY: Omit<RetryOn, 'seconds'>[] = [
  { errorName: 'AccessDeniedException', messageIncludes: 'Cannot assume role' },
  { errorName: 'AccessDeniedException', messageIncludes: 'is not authorized to perform: sts:AssumeRole' },
  { errorName: 'ClientException', messageIncludes: 'AWS was not able to validate the provided access credentials' },
]

const SCALING_METRIC: Record<ExpressSpec['scaling']['metric'], ExpressGatewayServiceScalingMetric> = {
  cpu: 'AVERAGE_CPU',
  memory: 'AVERAGE_MEMORY',
  requests: 'REQUEST_COUNT_PER_TARGET',
}

// ---- observe -----------------------------------------------------------------------------------

interface ObservedExpressService {
  arn: string
  /** ACTIVE (DRAINING and INACTIVE ones count as gone) */
  status: string
  tags: Record<string, string>
  infrastructureRoleArn?: string
  /** ARN of the service deployment ECS runs now */
  currentDeployment?: string
  /** the newest active configuration: the one a running deployment rolls out */
  taskDefinitionArn?: string
  healthCheckPath?: string
  scaling?: ExpressGatewayScalingTarget
  network?: { subnets: string[]; securityGroups: string[] }
  /** the service revision of the newest configuration */
  revisionArn?: string
  /** the security groups of the load balancer Express made; read only when the tasks use shipit's group */
  loadBalancerGroups?: string[]
  /** https://…ecs.<region>.on.aws */
  url?: string
  /** what `status` shows; changes all the time, so not part of a saved plan's fingerprint */
  live?: { runningCount: number; pendingCount: number; desiredCount: number }
}

export interface ExpressObserved {
  service: ObservedExpressService | null
  /** a service of that name that ECS does not manage as an Express service (CreateService made it) */
  plainService?: { arn: string; tags: Record<string, string> }
  /** an Express service of that name is still being deleted */
  draining?: boolean
  /** the infrastructure role shipit manages; not read when container.infrastructureRole is given (except for destroy) */
  infrastructureRole: ObservedRole | null
}

export const nothingExpress = (): ExpressObserved => ({ service: null, infrastructureRole: null })

const tagMapOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']))

/** The public endpoint of a configuration, as a URL. */
function urlOf(config: ExpressGatewayServiceConfiguration | undefined): string | undefined {
  const endpoint = (config?.ingressPaths ?? []).find((p) => p.accessType === 'PUBLIC')?.endpoint ?? config?.ingressPaths?.[0]?.endpoint
  if (!endpoint) return undefined
  return /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`
}

/** The configuration a deployment rolls out, else the only one: the newest by createdAt. */
function newestConfiguration(service: ECSExpressGatewayService): ExpressGatewayServiceConfiguration | undefined {
  const configs = [...(service.activeConfigurations ?? [])]
  return configs.sort((a, b) => (b.createdAt?.getTime?.() ?? 0) - (a.createdAt?.getTime?.() ?? 0))[0]
}

/** An Express service as DescribeExpressGatewayService returns it, in shipit's terms. Pure. */
function observedExpressService(service: ECSExpressGatewayService, plain?: Service): ObservedExpressService {
  const config = newestConfiguration(service)
  const net = config?.networkConfiguration
  return {
    arn: service.serviceArn ?? '',
    status: service.status?.statusCode ?? 'ACTIVE',
    tags: tagMapOf(service.tags),
    ...(service.infrastructureRoleArn ? { infrastructureRoleArn: service.infrastructureRoleArn } : {}),
    ...(service.currentDeployment ? { currentDeployment: service.currentDeployment } : {}),
    ...(config?.taskDefinitionArn ? { taskDefinitionArn: config.taskDefinitionArn } : {}),
    ...(config?.healthCheckPath ? { healthCheckPath: config.healthCheckPath } : {}),
    ...(config?.scalingTarget ? { scaling: config.scalingTarget } : {}),
    ...(net ? { network: { subnets: [...(net.subnets ?? [])].sort(), securityGroups: [...(net.securityGroups ?? [])].sort() } } : {}),
    ...(config?.serviceRevisionArn ? { revisionArn: config.serviceRevisionArn } : {}),
    ...(urlOf(config) ? { url: urlOf(config) } : {}),
    ...(plain ? { live: { runningCount: plain.runningCount ?? 0, pendingCount: plain.pendingCount ?? 0, desiredCount: plain.desiredCount ?? 0 } } : {}),
  }
}

/**
 * Finds the app's Express service by name: Express services are ECS services (DescribeServices
 * finds them, with `resourceManagementType: ECS`), and DescribeExpressGatewayService takes the ARN
 * that answer gives. Reads only; `forDestroy` also reads a role the manifest says is given.
 */
export async function observeExpress(clients: AwsClients, desired: ContainerDesired, forDestroy = false): Promise<ExpressObserved> {
  const { names } = desired
  const given = desired.express?.infrastructureRole
  const [described, role] = await Promise.all([
    orNullIfMissing(clients.send('ecs', 'DescribeServices', { cluster: names.cluster, services: [names.service], include: ['TAGS'] })),
    given && !forDestroy ? Promise.resolve(null) : observeRole(clients, names.infrastructureRole, false),
  ])
  const services = (described?.services ?? []) as Service[]
  const active = services.find((s) => s.status === 'ACTIVE')
  const draining = services.some((s) => s.status === 'DRAINING' && s.resourceManagementType === 'ECS')
  const observed: ExpressObserved = { service: null, infrastructureRole: role, ...(draining && !active ? { draining } : {}) }
  if (!active?.serviceArn) return observed
  if (active.resourceManagementType !== 'ECS') return { ...observed, plainService: { arn: active.serviceArn, tags: tagMapOf(active.tags) } }
  const out = await orNullIfMissing<DescribeExpressGatewayServiceCommandOutput>(
    clients.send('ecs', 'DescribeExpressGatewayService', { serviceArn: active.serviceArn, include: ['TAGS'] }),
  )
  const service = out?.service && out.service.status?.statusCode === 'ACTIVE' ? observedExpressService(out.service, active) : null
  return { ...observed, service }
}

/**
 * The security groups of the load balancer Express made for a service revision
 * (DescribeServiceRevisions → ecsManagedResources.ingressPaths), by id. One read.
 */
export async function observeLoadBalancerGroups(clients: AwsClients, revisionArn: string): Promise<string[]> {
  const out = await clients.send('ecs', 'DescribeServiceRevisions', { serviceRevisionArns: [revisionArn] })
  const paths = out.serviceRevisions?.[0]?.ecsManagedResources?.ingressPaths ?? []
  const ids = paths.flatMap((p) => [
    ...(p.loadBalancer?.securityGroupIds ?? []),
    // arn:aws:ec2:<region>:<account>:security-group/sg-…
    ...(p.loadBalancerSecurityGroups ?? []).filter((g) => g.status !== 'DELETED' && g.arn).map((g) => (g.arn ?? '').split('/').pop() ?? ''),
  ])
  return [...new Set(ids.filter((id) => id.startsWith('sg-')))].sort()
}

/** What the tasks' network planner needs of the Express service. */
export function expressNetworkOf(observed: ExpressObserved | undefined): ExpressNetwork {
  return { taskGroups: observed?.service?.network?.securityGroups ?? [], loadBalancerGroups: observed?.service?.loadBalancerGroups ?? [] }
}

// ---- task definition ---------------------------------------------------------------------------

/** Express Mode runs a task definition whose container is named `Main`, with one named TCP port mapping. */
export { EXPRESS_CONTAINER_NAME }

const EXPRESS_PORT_NAME = 'http'

/**
 * Adapts a RegisterTaskDefinition input built by registerInput() for Express Mode: the one
 * container is renamed `Main` and its port mapping gets a name. Apply it to the desired spec's
 * request (and compare specs with the container named `Main`, see expressContainerName). Pure.
 */
export function forExpress<T extends Record<string, unknown>>(registerInput: T): T {
  const containers = (registerInput.containerDefinitions ?? []) as Record<string, unknown>[]
  return {
    ...registerInput,
    containerDefinitions: containers.map((c, i) =>
      i > 0
        ? c
        : {
            ...c,
            name: EXPRESS_CONTAINER_NAME,
            portMappings: ((c.portMappings ?? []) as Record<string, unknown>[]).map((p) => ({ ...p, name: EXPRESS_PORT_NAME, protocol: 'tcp' })),
          },
    ),
  }
}

/** The same change on a TaskDefinitionSpec (desiredSpec()), so a live `Main` revision compares equal. */
export function expressContainerName<S extends { app: { name: string } }>(spec: S): S {
  return { ...spec, app: { ...spec.app, name: EXPRESS_CONTAINER_NAME } }
}

// ---- plan --------------------------------------------------------------------------------------

interface ExpressPlanInputs {
  /** the revision to run: its ARN, or a reference to the RegisterTaskDefinition step's taskDefinition.taskDefinitionArn */
  taskDefinition: string | Ref
  /** the awsvpc network the planner computed (subnets, security groups; Express has no public-IP switch) */
  network: AwsVpcConfiguration
  /** steps the service needs first: cluster, log group, execution role, network, task definition */
  prerequisites: string[]
}

const ref = (step: string, output: string): Ref => ({ ref: step, output })
const ecsTagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }))
/** A reference travels in the plan where the API wants a string; the executor puts the value in. */
const deferred = (v: string | Ref): string => v as string

/** `family:revision` → its ARN (the Express API takes ARNs only). */
function taskDefinitionArnOf(td: string | Ref, ctx: { region: string; account?: string; partition?: string }): string | Ref {
  if (isRef(td) || td.startsWith('arn:')) return td
  return `arn:${arnPartition(ctx)}:ecs:${ctx.region}:${ctx.account ?? ACCOUNT_PLACEHOLDER}:task-definition/${td}`
}

/** The ECS scaling target app.yaml asks for. */
function scalingTargetOf(spec: ExpressSpec): Required<ExpressGatewayScalingTarget> {
  return {
    minTaskCount: spec.minTasks,
    maxTaskCount: spec.maxTasks,
    autoScalingMetric: SCALING_METRIC[spec.scaling.metric],
    autoScalingTargetValue: spec.scaling.target,
  }
}

/**
 * The Express service part of a fargate plan with `http:`: the infrastructure role (unless given),
 * then CreateExpressGatewayService, or UpdateExpressGatewayService with what changed. Pure.
 */
export function planExpress(b: PartBuilder<ContainerDesired>, observed: ExpressObserved, inputs: ExpressPlanInputs): void {
  const spec = b.desired.express
  if (!spec) return
  const ignored = lambdaOnlyHttpFields(b.desired.http)
  if (ignored.length) b.warnings.push(`${ignored.join(' and ')} apply to target lambda only: the Express service sends every path to the container`)
  const name = b.desired.names.service
  if (observed.plainService) {
    if (!b.owned(observed.plainService.tags)) b.refuse('ecs:service', name)
    else
      b.blocked.push({
        resource: { type: 'ecs:service', name },
        reason: `runs as a plain ECS service (deployed without http:), and ECS cannot turn a service into an Express service: remove it first with shipit destroy --target fargate, then deploy with http:`,
      })
    return
  }
  if (observed.draining) b.warnings.push(`Express service ${name} from an earlier destroy is still being deleted: creating it again may fail until ECS is done`)
  const role = planInfrastructureRole(b, observed)
  if (!role) return
  const taskDefinition = taskDefinitionArnOf(inputs.taskDefinition, b.ctx)
  if (!observed.service) planExpressCreate(b, spec, { ...inputs, taskDefinition }, role)
  else planExpressUpdate(b, spec, observed.service, { ...inputs, taskDefinition }, role)
}

interface PlannedInfrastructureRole {
  arn: string | Ref
  deps: string[]
  /** made or given its policy in this deploy: ECS may not be able to assume it yet */
  fresh: boolean
}

/** The role ECS uses to manage the load balancer, certificate, security groups and scaling of the service. */
function planInfrastructureRole(b: PartBuilder<ContainerDesired>, observed: ExpressObserved): PlannedInfrastructureRole | null {
  const { desired } = b
  const given = desired.express?.infrastructureRole
  if (given) return { arn: given, deps: [], fresh: false }
  const role = planExecutionRole(b, observed.infrastructureRole, {
    id: 'infrastructure-role',
    name: desired.names.infrastructureRole,
    principal: 'ecs.amazonaws.com',
    trust: { account: b.ctx.account ?? ACCOUNT_PLACEHOLDER },
    description: `Infrastructure role of the Express service ${desired.names.service}, managed by shipit`,
    reason: 'infrastructure role: ECS runs the load balancer, certificate and scaling of the Express service with it',
    managedPolicy: {
      arn: EXPRESS_INFRASTRUCTURE_POLICY(b.ctx),
      name: EXPRESS_POLICY_NAME,
      reason: 'lets ECS manage the load balancer, certificate, security groups and scaling',
    },
    waitUntilExists: true,
  })
  if (role.refused) return null
  return { arn: role.arn, deps: role.deps, fresh: role.created || role.deps.length > 0 }
}

/** Subnets, and security groups only when the tasks use shipit's: with none, Express makes the tasks' group, open to its load balancer alone. */
function networkConfigurationOf(network: AwsVpcConfiguration): { subnets: string[]; securityGroups?: string[] } {
  return { subnets: network.subnets, ...(network.securityGroups.length ? { securityGroups: network.securityGroups.map(deferred) } : {}) }
}

/** The CreateExpressGatewayService request: shipit's task definition by ARN, so no container fields. */
export function createExpressInput(a: {
  serviceName: string
  cluster: string
  infrastructureRoleArn: string | Ref
  taskDefinitionArn: string | Ref
  spec: ExpressSpec
  network: AwsVpcConfiguration
  tags: Record<string, string>
}): CreateExpressGatewayServiceCommandInput {
  return {
    serviceName: a.serviceName,
    cluster: a.cluster,
    infrastructureRoleArn: deferred(a.infrastructureRoleArn),
    taskDefinitionArn: deferred(a.taskDefinitionArn),
    healthCheckPath: a.spec.healthCheckPath,
    scalingTarget: scalingTargetOf(a.spec),
    networkConfiguration: networkConfigurationOf(a.network),
    tags: ecsTagList(a.tags),
  }
}

function expressWait(service: string | Ref, revision: string | Ref | undefined, name: string): Step['wait'] {
  return {
    waiter: EXPRESS_DEPLOYED_WAITER,
    input: { serviceArn: service, ...(revision ? { serviceRevisionArn: revision } : {}) },
    description: `Express service ${name} to finish its canary deployment`,
  }
}

function planExpressCreate(b: PartBuilder, spec: ExpressSpec, inputs: ExpressPlanInputs, role: PlannedInfrastructureRole): void {
  const { desired } = b
  const name = desired.names.service
  const input = createExpressInput({
    serviceName: name,
    cluster: desired.names.cluster,
    infrastructureRoleArn: role.arn,
    taskDefinitionArn: inputs.taskDefinition,
    spec,
    network: inputs.network,
    tags: desired.tags,
  })
  b.add({
    id: 'express-service',
    action: 'create',
    resource: { type: 'ecs:express-service', name },
    reason: `HTTPS URL on *.ecs.${b.ctx.region}.on.aws, ${spec.minTasks}–${spec.maxTasks} tasks`,
    changes: createdFields({
      taskDefinitionArn: inputs.taskDefinition,
      healthCheckPath: spec.healthCheckPath,
      scalingTarget: input.scalingTarget,
      networkConfiguration: input.networkConfiguration,
      infrastructureRoleArn: role.arn,
    }),
    request: Ecs.CreateExpressGatewayService.request({ ...input }),
    ...(role.fresh ? { retry: INFRASTRUCTURE_ROLE_NOT_READY.map((rule) => ({ ...rule, seconds: ROLE_PROPAGATION_SECONDS })) } : {}),
    wait: expressWait(ref('express-service', 'service.serviceArn'), undefined, name),
    dependsOn: [...inputs.prerequisites, ...role.deps],
  })
}

const sameList = (a: string[] | undefined, b: (string | Ref)[]) =>
  !b.some(isRef) && JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b as string[])].sort())

/** Field-level differences between a live Express service and app.yaml, with the update request they need. Pure. */
function expressChanges(
  live: ObservedExpressService,
  spec: ExpressSpec,
  inputs: Pick<ExpressPlanInputs, 'taskDefinition' | 'network'>,
): { changes: FieldChange[]; input: UpdateExpressGatewayServiceCommandInput } {
  const changes: FieldChange[] = []
  const input: UpdateExpressGatewayServiceCommandInput = { serviceArn: live.arn }
  const td = inputs.taskDefinition
  if (isRef(td) || !live.taskDefinitionArn || revisionOf(live.taskDefinitionArn) !== revisionOf(td)) {
    changes.push({ path: 'taskDefinitionArn', before: live.taskDefinitionArn && revisionOf(live.taskDefinitionArn), after: isRef(td) ? td : revisionOf(td) })
    input.taskDefinitionArn = deferred(td)
  }
  if (live.healthCheckPath !== spec.healthCheckPath) {
    changes.push({ path: 'healthCheckPath', before: live.healthCheckPath, after: spec.healthCheckPath })
    input.healthCheckPath = spec.healthCheckPath
  }
  const scaling = scalingTargetOf(spec)
  for (const [k, v] of Object.entries(scaling) as [keyof ExpressGatewayScalingTarget, unknown][]) {
    if (live.scaling?.[k] !== v) changes.push({ path: `scalingTarget.${k}`, before: live.scaling?.[k], after: v })
  }
  if (changes.some((c) => c.path.startsWith('scalingTarget.'))) input.scalingTarget = scaling
  const net = inputs.network
  // no groups wanted: the tasks use the group Express made and owns, whatever its id
  const groupsDiffer = net.securityGroups.length > 0 && !sameList(live.network?.securityGroups, net.securityGroups)
  if (!sameList(live.network?.subnets, net.subnets) || groupsDiffer) {
    const after = networkConfigurationOf(net)
    changes.push({ path: 'networkConfiguration', before: live.network, after })
    input.networkConfiguration = after
  }
  return { changes, input }
}

function planExpressUpdate(b: PartBuilder, spec: ExpressSpec, live: ObservedExpressService, inputs: ExpressPlanInputs, role: PlannedInfrastructureRole): void {
  const name = b.desired.names.service
  const ours = b.owned(live.tags)
  if (!ours && b.refuse('ecs:express-service', name)) return
  if (!ours) {
    b.adopt('express-service-tags', { type: 'ecs:express-service', name }, Ecs.TagResource.request({ resourceArn: live.arn, tags: ecsTagList(b.desired.tags) }))
  }
  if (typeof role.arn === 'string' && live.infrastructureRoleArn && live.infrastructureRoleArn !== role.arn) {
    // UpdateExpressGatewayService has no infrastructureRoleArn, and a live service is never recreated for a field
    b.warnings.push(
      `Express service ${name} keeps infrastructure role ${live.infrastructureRoleArn}: ECS cannot change it on a live service (destroy and deploy again to use ${role.arn})`,
    )
  }
  const { changes, input } = expressChanges(live, spec, inputs)
  if (!changes.length) {
    b.keep('ecs:express-service', name, live.url ?? revisionOf(live.taskDefinitionArn ?? ''))
    return
  }
  b.add({
    id: 'express-service',
    action: 'update',
    resource: { type: 'ecs:express-service', name },
    reason: `${[...new Set(changes.map((c) => c.path.split('.')[0]))].join(', ')} changed: a canary deployment`,
    changes,
    request: Ecs.UpdateExpressGatewayService.request({ ...input }),
    wait: expressWait(live.arn, ref('express-service', 'service.targetConfiguration.serviceRevisionArn'), name),
    dependsOn: [...inputs.prerequisites, ...role.deps, ...b.present('express-service-tags')],
  })
}

// ---- destroy -----------------------------------------------------------------------------------

/**
 * Deletes the Express service (ECS removes the load balancer rules, target groups, certificate,
 * security groups and scaling it made for it) and waits until it is gone; then the infrastructure
 * role, which ECS needs while it deletes. Returns the step ids that other deletions must follow.
 */
export function planExpressDestroy(b: PartBuilder, observed: ExpressObserved): string[] {
  const { names } = b.desired
  const kept = 'kept: no shipit tags for this app and env'
  const after: string[] = []
  const svc = observed.service
  if (svc && b.owned(svc.tags)) {
    const input: DeleteExpressGatewayServiceCommandInput = { serviceArn: svc.arn }
    after.push(
      b.add({
        id: 'express-service',
        action: 'delete',
        resource: { type: 'ecs:express-service', name: names.service },
        reason: 'and the load balancer rules, certificate and scaling ECS made for it',
        request: Ecs.DeleteExpressGatewayService.request({ ...input }),
        wait: { waiter: EXPRESS_DELETED_WAITER, input: { serviceArn: svc.arn }, description: `Express service ${names.service} to be deleted` },
        dependsOn: [],
        okErrors: ['ServiceNotFoundException', 'ServiceNotActiveException', 'ResourceNotFoundException'],
      }),
    )
  } else if (svc) b.keep('ecs:express-service', names.service, kept)

  const role = observed.infrastructureRole
  if (role && b.owned(role.tags)) {
    // the execution role's teardown uses the same step ids: these get their own
    const steps = roleDeleteSteps(names.infrastructureRole, role, after, false)
    const local = new Set(steps.map((s) => s.id))
    const id = (s: string) => (local.has(s) ? `infrastructure-${s}` : s)
    for (const s of steps) b.add({ ...s, id: id(s.id), dependsOn: s.dependsOn.map(id) })
  } else if (role) b.keep('iam:role', names.infrastructureRole, kept)
  return after
}

// ---- outputs -----------------------------------------------------------------------------------

/** URL, service and task counts, from what was observed and, after an apply, the Express step's answer. No calls. */
export function expressOutputs(observed: ExpressObserved, applied: Record<string, Record<string, unknown>> = {}): Outputs {
  const answer = applied['express-service']?.service as (ECSExpressGatewayService & { targetConfiguration?: ExpressGatewayServiceConfiguration }) | undefined
  const url = urlOf(answer?.targetConfiguration) ?? (answer?.activeConfigurations ? urlOf(newestConfiguration(answer)) : undefined) ?? observed.service?.url
  const live = observed.service?.live
  return {
    url,
    expressService: answer?.serviceArn ?? observed.service?.arn,
    runningCount: live?.runningCount,
    pendingCount: live?.pendingCount,
    minTasks: observed.service?.scaling?.minTaskCount,
    maxTasks: observed.service?.scaling?.maxTaskCount,
  }
}

export { EXPRESS_DELETED_WAITER, EXPRESS_DEPLOYED_WAITER }
