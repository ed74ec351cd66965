import type { UpdateServiceCommandInput } from '@aws-sdk/client-ecs'
import { invalid } from '../../errors.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { createdFields, type FieldChange, type Plannable, type Ref, type RetryOn, type Step } from '../../plan/types.js'
import { type PlannedRole, planExecutionRole } from '../execution-role.js'
import { nothingEcr, planImage, planImageDestroy } from '../image/ecr.js'
import { planLogGroup, planLogGroupDelete } from '../log-group.js'
import { PartBuilder } from '../part.js'
import { NO_SCHEDULE } from '../schedule/observe.js'
import { planSchedule, planScheduleDelete } from '../schedule/plan.js'
import { taskScheduleRun } from '../schedule/runs.js'
import { secretAccess, trackedFor } from '../secret-versions.js'
import { SENSITIVE_KEYS_TAG, sensitiveKeysRecord } from '../sensitive-keys.js'
import { ACCOUNT_PLACEHOLDER, arnPartition, type PlanContext, type PlanPart, type Prepared } from '../target.js'
import { roleDeleteSteps } from '../teardown.js'
import { Ec2, Ecs } from './catalogue.js'
import { expressContainerName, expressNetworkOf, forExpress, nothingExpress, planExpress, planExpressDestroy } from './express.js'
import { type AwsVpcConfiguration, planNetwork } from './network.js'
import type { ContainerObserved } from './observe.js'
import { containerNameOf, EC2_PROFILE, FARGATE_PROFILE, type LaunchProfile, STARTED_BY } from './profile.js'
import { firstUseRetries } from './propagation.js'
import { createChanges, desiredSpec, registerInput, revisionOf, specChanges } from './task-definition.js'
import { SERVICE_DEPLOYED_WAITER, TASKS_STOPPED_WAITER } from './waiters.js'

export const TASK_EXECUTION_POLICY = (ctx: { region: string; partition?: string }) =>
  `arn:${arnPartition(ctx)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`
/** RunTask starts at most this many tasks per call. */
const RUN_TASK_MAX_COUNT = 10
/** Tag of a revision shipit registered: the revision the service ran before (`family:revision`). */
export const PREVIOUS_TAG = 'shipit:previous'

/** ECS wants tags as [{key, value}] (lowercase), unlike IAM and EC2. */
export const ecsTagList = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }))
const ref = (step: string, output: string): Ref => ({ ref: step, output })
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The steps from what exists to what app.yaml asks for, for either launch profile. Pure. */
export function planContainer(
  profile: LaunchProfile,
  desired: ContainerDesired,
  observed: ContainerObserved,
  ctx: PlanContext,
  prepared: Pick<Prepared, 'image'> = {},
): PlanPart {
  const spec = desired.container
  if (spec.mode === 'task' && spec.count > RUN_TASK_MAX_COUNT) {
    throw invalid('TooManyTasks', `container.count ${spec.count}: RunTask starts at most ${RUN_TASK_MAX_COUNT} tasks at a time`, [
      `set count to ${RUN_TASK_MAX_COUNT} or fewer, or use mode: service for a long-running group of tasks`,
    ])
  }
  const b = new PartBuilder<ContainerDesired>(desired, ctx)
  const clusterDeps = planCluster(b, observed)
  checkCapacity(b, profile, observed)
  const logDeps = planLogGroup(b, observed.logGroup, 'the tasks log here (awslogs driver)')
  const role = planTaskExecutionRole(b, observed)
  const network = planNetwork(b, profile, observed.network, observed.offline, desired.express ? expressNetworkOf(observed.express) : undefined)
  const image = planImage(b, observed.ecr ?? nothingEcr(), prepared.image ?? null, desired.container)
  const td = planTaskDefinition(b, profile, observed, role.arn, image)
  const prerequisites = [...clusterDeps, ...logDeps, ...role.deps, ...network.deps, ...td.deps]
  // the first service or task after shipit made its role or cluster waits out IAM propagation (./propagation.ts)
  const firstUse = { createdRole: role.created ? desired.names.taskExecutionRole : undefined, clusterCreated: clusterDeps.length > 0 }
  if (desired.express) {
    planExpress(b, observed.express ?? nothingExpress(), { taskDefinition: td.taskDefinition, network: network.awsvpc, prerequisites })
  } else if (observed.service?.express) {
    b.blocked.push({
      resource: { type: 'ecs:service', name: desired.names.service },
      reason: `runs as an Express service (deployed with http:), and ECS cannot turn it into a plain service: put http: back, or remove it first with shipit destroy --target ${profile.target}`,
    })
  } else if (spec.mode === 'service') planService(b, profile, observed, td.taskDefinition, network.awsvpc, prerequisites, firstUse)
  else if (!desired.schedule) planRun(b, profile, observed, td.taskDefinition, network.awsvpc, prerequisites, firstUse)
  // with schedule: the schedule runs the task; the deploy registers it and points the schedule at it
  const scheduled = desired.schedule && spec.mode === 'task' && !desired.express
  const run = scheduled
    ? taskScheduleRun(b.ctx, desired, { taskDefinition: td.taskDefinition, launchType: profile.launchType, awsvpc: network.awsvpc, after: prerequisites })
    : undefined
  planSchedule(b, observed.schedule ?? NO_SCHEDULE, run)
  return b.part()
}

function planCluster(b: PartBuilder<ContainerDesired>, observed: ContainerObserved): string[] {
  const { desired } = b
  const name = desired.names.cluster
  const asked = desired.container?.insights
  const insights = asked ? 'enabled' : 'disabled'
  const cluster = observed.cluster
  if (!cluster) {
    return [
      b.add({
        id: 'cluster',
        action: 'create',
        resource: { type: 'ecs:cluster', name },
        changes: [{ path: 'settings.containerInsights', after: insights }],
        request: Ecs.CreateCluster.request({ clusterName: name, tags: ecsTagList(desired.tags), settings: [{ name: 'containerInsights', value: insights }] }),
        dependsOn: [],
      }),
    ]
  }
  if (!b.owned(cluster.tags)) {
    // running tasks in a cluster does not change it: a cluster made by hand (as in `aws ecs create-cluster`) is used as it is
    if (b.ctx.adopt) {
      b.adopt('cluster-tags', { type: 'ecs:cluster', name }, Ecs.TagResource.request({ resourceArn: cluster.arn, tags: ecsTagList(desired.tags) }))
    } else b.keep('ecs:cluster', name, 'not created by shipit: used as it is, never changed or deleted')
    return []
  }
  if (asked !== undefined && cluster.insights !== insights) {
    b.add({
      id: 'cluster-settings',
      action: 'update',
      resource: { type: 'ecs:cluster', name },
      changes: [{ path: 'settings.containerInsights', before: cluster.insights, after: insights }],
      request: Ecs.UpdateClusterSettings.request({ cluster: name, settings: [{ name: 'containerInsights', value: insights }] }),
      dependsOn: [],
    })
  } else b.keep('ecs:cluster', name)
  return []
}

/** The ecs target places tasks on EC2 instances: without any, nothing it would start can run. */
function checkCapacity(b: PartBuilder<ContainerDesired>, profile: LaunchProfile, observed: ContainerObserved): void {
  const spec = b.desired.container
  if (!profile.needsContainerInstances || !spec || spec.count === 0) return
  const name = b.desired.names.cluster
  if (observed.offline) {
    b.warnings.push(
      `--target ${profile.target} places tasks on EC2 container instances registered in cluster ${name}; offline, shipit cannot check that it has any`,
    )
    return
  }
  if ((observed.cluster?.containerInstances ?? 0) > 0) return
  const why = observed.cluster
    ? `cluster ${name} has no registered EC2 container instances`
    : `cluster ${name} does not exist yet, so it has no EC2 container instances`
  const what = spec.mode === 'service' ? `the service's ${plural(spec.count, 'task')}` : plural(spec.count, 'task')
  b.blocked.push({
    resource: { type: 'ecs:cluster', name },
    reason: `${why}, so ${what} could not be placed. Register instances (an ECS-optimized AMI with ECS_CLUSTER=${name} in /etc/ecs/ecs.config) and deploy again; deploy with container.count: 0 to create the cluster and everything else without running anything; or use --target fargate`,
  })
}

/** The role ECS uses to pull the image, write logs and read secrets for the tasks, unless container.executionRole is given. */
function planTaskExecutionRole(b: PartBuilder<ContainerDesired>, observed: ContainerObserved): PlannedRole {
  const { desired } = b
  const given = desired.container.executionRole
  if (given) {
    if (Object.keys(desired.secrets).length) {
      const access = secretAccess(desired, trackedFor(desired, observed.secrets, b.ctx))
      b.warnings.push(
        `container.executionRole is yours: grant it ssm:GetParameters / secretsmanager:GetSecretValue on ${access.arns.join(', ')}${access.kmsKeys.length ? `, and kms:Decrypt on ${access.kmsKeys.join(', ')}` : ''}`,
      )
    }
    return { arn: given, deps: [], grants: [], created: false }
  }
  return planExecutionRole(b, observed.role, {
    name: desired.names.taskExecutionRole,
    principal: 'ecs-tasks.amazonaws.com',
    // ECS documents both keys for roles ecs-tasks assumes: the account, and any ECS resource of it in this region
    trust: {
      account: b.ctx.account ?? ACCOUNT_PLACEHOLDER,
      sourceArn: `arn:${arnPartition(b.ctx)}:ecs:${b.ctx.region}:${b.ctx.account ?? ACCOUNT_PLACEHOLDER}:*`,
    },
    description: `Task execution role of ${desired.names.family}, managed by shipit`,
    reason: 'task execution role: pulls the image, writes logs',
    managedPolicy: { arn: TASK_EXECUTION_POLICY(b.ctx), name: 'AmazonECSTaskExecutionRolePolicy', reason: 'lets ECS pull the image and write the logs' },
    secretsReason: 'lets ECS read the secrets for the tasks',
    secretAccess: secretAccess(desired, trackedFor(desired, observed.secrets, b.ctx)),
    waitUntilExists: true,
  })
}

/** The revision to run: the latest ACTIVE one when it is what app.yaml says, else a new one. */
function planTaskDefinition(
  b: PartBuilder<ContainerDesired>,
  profile: LaunchProfile,
  observed: ContainerObserved,
  executionRoleArn: string | Ref,
  image: { image: string | Ref; deps: string[] },
): { taskDefinition: string | Ref; deps: string[] } {
  const { desired } = b
  const family = desired.names.family
  const spec = desiredSpec(desired, profile, b.ctx.region, executionRoleArn, image.image, trackedFor(desired, observed.secrets, b.ctx))
  // Express Mode runs the container named Main, with a named port
  const want = desired.express ? expressContainerName(spec) : spec
  const live = observed.taskDefinition
  const ours = live && b.owned(live.tags)
  if (live && !ours && b.refuse('ecs:task-definition', family)) return { taskDefinition: `${family}:${live.revision}`, deps: [] }
  const changes: FieldChange[] = live ? specChanges(live.spec, want) : createChanges(want)
  if (live && ours && changes.length === 0) {
    b.keep('ecs:task-definition', `${family}:${live.revision}`)
    return { taskDefinition: `${family}:${live.revision}`, deps: [] }
  }
  const changed = [...new Set(changes.map((c) => c.path.replace(/^(app\.(environment|secrets))\..*/, '$1')))]
  // the revision the service runs now is recorded on the new one: `shipit rollback` goes back to it
  const running = observed.service && b.owned(observed.service.tags) ? revisionOf(observed.service.taskDefinition) : undefined
  // the names of its secret values (never the values): a later plan hides them even once app.yaml stops marking them secret
  const record = sensitiveKeysRecord(desired)
  const tags = { ...desired.tags, ...(running ? { [PREVIOUS_TAG]: running } : {}), ...(record ? { [SENSITIVE_KEYS_TAG]: record } : {}) }
  b.add({
    id: 'task-definition',
    action: live ? 'update' : 'create',
    resource: { type: 'ecs:task-definition', name: family },
    reason: live
      ? `new revision after ${family}:${live.revision}${changes.length ? `: ${changed.join(', ')} changed` : ' (adopt: with shipit tags)'}`
      : 'revision 1',
    changes,
    request: Ecs.RegisterTaskDefinition.request(desired.express ? forExpress(registerInput(want, tags)) : registerInput(want, tags)),
    dependsOn: image.deps,
  })
  return { taskDefinition: ref('task-definition', 'taskDefinition.taskDefinitionArn'), deps: ['task-definition'] }
}

type FirstUse = Omit<Parameters<typeof firstUseRetries>[0], 'drainingService'>

const DEPLOYMENT_CONFIGURATION = {
  deploymentCircuitBreaker: { enable: true, rollback: true },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
}

function sameNetwork(observed: ObservedNetworkConfiguration | undefined, wanted: AwsVpcConfiguration): boolean {
  if (!observed) return false
  if (wanted.securityGroups.some((g) => typeof g !== 'string')) return false
  return (
    JSON.stringify(observed.subnets) === JSON.stringify([...wanted.subnets].sort()) &&
    JSON.stringify(observed.securityGroups) === JSON.stringify([...(wanted.securityGroups as string[])].sort()) &&
    observed.assignPublicIp === wanted.assignPublicIp
  )
}
type ObservedNetworkConfiguration = NonNullable<NonNullable<ContainerObserved['service']>['network']>

/** What the service planners share: where the service runs and what it waits for. */
interface ServiceInputs {
  profile: LaunchProfile
  taskDefinition: string | Ref
  awsvpc: AwsVpcConfiguration
  prerequisites: string[]
}

function serviceDeployed(b: PartBuilder<ContainerDesired>, taskDefinition: string | Ref): NonNullable<Step['wait']> {
  const { cluster, service } = b.desired.names
  return {
    waiter: SERVICE_DEPLOYED_WAITER,
    input: { cluster, service, taskDefinition },
    description: `service ${service} to finish its deployment (rollout COMPLETED)`,
  }
}

function planService(
  b: PartBuilder<ContainerDesired>,
  profile: LaunchProfile,
  observed: ContainerObserved,
  taskDefinition: string | Ref,
  awsvpc: AwsVpcConfiguration,
  prerequisites: string[],
  firstUse: FirstUse,
): void {
  const inputs: ServiceInputs = { profile, taskDefinition, awsvpc, prerequisites }
  const svc = observed.service
  if (!svc) {
    planServiceCreate(b, inputs, observed, firstUse)
    return
  }
  const name = b.desired.names.service
  const ours = b.owned(svc.tags)
  if (!ours && b.refuse('ecs:service', name)) return
  if (svc.launchType && svc.launchType !== profile.launchType) {
    const other = profile.target === 'fargate' ? EC2_PROFILE.target : FARGATE_PROFILE.target
    b.blocked.push({
      resource: { type: 'ecs:service', name },
      reason: `runs with launch type ${svc.launchType}, and ECS cannot change the launch type of a service to ${profile.launchType}: remove it first with shipit destroy --target ${other}`,
    })
    return
  }
  if (!ours) {
    b.adopt('service-tags', { type: 'ecs:service', name }, Ecs.TagResource.request({ resourceArn: svc.arn, tags: ecsTagList(b.desired.tags) }))
  }
  planServiceUpdate(b, inputs, svc)
}

function planServiceCreate(b: PartBuilder<ContainerDesired>, inputs: ServiceInputs, observed: ContainerObserved, firstUse: FirstUse): void {
  const { desired } = b
  const { profile, taskDefinition, awsvpc } = inputs
  const spec = desired.container
  const name = desired.names.service
  if (observed.serviceDraining) b.warnings.push(`service ${name} of an earlier deploy is still DRAINING: CreateService waits until ECS has removed it`)
  const retry = firstUseRetries({ ...firstUse, drainingService: observed.serviceDraining ? name : undefined })
  b.add({
    id: 'service',
    action: 'create',
    resource: { type: 'ecs:service', name },
    reason: `${plural(spec.count, 'task')} on ${profile.launchType}`,
    changes: createdFields({
      taskDefinition,
      desiredCount: spec.count,
      launchType: profile.launchType,
      'networkConfiguration.awsvpcConfiguration': awsvpc,
      'deploymentConfiguration.deploymentCircuitBreaker': DEPLOYMENT_CONFIGURATION.deploymentCircuitBreaker,
    }),
    request: Ecs.CreateService.request({
      cluster: desired.names.cluster,
      serviceName: name,
      taskDefinition,
      desiredCount: spec.count,
      launchType: profile.launchType,
      networkConfiguration: { awsvpcConfiguration: awsvpc },
      deploymentConfiguration: DEPLOYMENT_CONFIGURATION,
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
      tags: ecsTagList(desired.tags),
    }),
    wait: serviceDeployed(b, taskDefinition),
    ...(retry ? { retry } : {}),
    dependsOn: inputs.prerequisites,
  })
}

type ObservedService = NonNullable<ContainerObserved['service']>

/** UpdateService with only what changed, guarded by a re-read of the task definition it planned from. */
function planServiceUpdate(b: PartBuilder<ContainerDesired>, { taskDefinition, awsvpc, prerequisites }: ServiceInputs, svc: ObservedService): void {
  const spec = b.desired.container
  const { cluster, service: name } = b.desired.names
  const changes: FieldChange[] = []
  const input: Plannable<UpdateServiceCommandInput> = { cluster, service: name }
  if (typeof taskDefinition !== 'string' || revisionOf(svc.taskDefinition) !== revisionOf(taskDefinition)) {
    changes.push({ path: 'taskDefinition', before: revisionOf(svc.taskDefinition), after: taskDefinition })
    input.taskDefinition = taskDefinition
  }
  if (svc.desiredCount !== spec.count) {
    changes.push({ path: 'desiredCount', before: svc.desiredCount, after: spec.count })
    input.desiredCount = spec.count
  }
  if (!sameNetwork(svc.network, awsvpc)) {
    changes.push({ path: 'networkConfiguration.awsvpcConfiguration', before: svc.network, after: awsvpc })
    input.networkConfiguration = { awsvpcConfiguration: awsvpc }
  }
  if (!svc.rollsBack) {
    changes.push({
      path: 'deploymentConfiguration.deploymentCircuitBreaker',
      before: { enable: false },
      after: DEPLOYMENT_CONFIGURATION.deploymentCircuitBreaker,
    })
    input.deploymentConfiguration = DEPLOYMENT_CONFIGURATION
  }
  if (!changes.length) {
    b.keep('ecs:service', name, `${revisionOf(svc.taskDefinition)}, ${plural(svc.desiredCount, 'task')}`)
    return
  }
  b.add({
    id: 'service',
    action: 'update',
    resource: { type: 'ecs:service', name },
    reason: `${changes.map((c) => c.path.split('.')[0]).join(', ')} changed`,
    changes,
    request: Ecs.UpdateService.request(input),
    // ECS has no revision check on UpdateService: re-read the service right before, and refuse if another deploy moved it
    precondition: {
      request: Ecs.DescribeServices.request({ cluster, services: [name] }),
      path: 'services.0.taskDefinition',
      equals: svc.taskDefinition,
      what: `the task definition of service ${name}`,
    },
    wait: serviceDeployed(b, changes.some((c) => c.path === 'taskDefinition') ? taskDefinition : svc.taskDefinition),
    dependsOn: [...prerequisites, ...b.present('service-tags')],
  })
}

/** mode: task — the article's run-task: run the revision, wait until the tasks stop, fail with their exit code. */
function planRun(
  b: PartBuilder<ContainerDesired>,
  profile: LaunchProfile,
  observed: ContainerObserved,
  taskDefinition: string | Ref,
  awsvpc: AwsVpcConfiguration,
  prerequisites: string[],
  firstUse: FirstUse,
): void {
  const { desired } = b
  const spec = desired.container
  if (observed.service && b.owned(observed.service.tags)) {
    b.warnings.push(`service ${desired.names.service} from an earlier deploy in mode: service keeps running; shipit destroy removes it`)
  }
  if (spec.count === 0) {
    b.warnings.push('container.count is 0: the task definition is registered, no task is run')
    return
  }
  const still = observed.tasks ?? []
  if (still.length) {
    const ids = still.map((t) => t.split('/').pop()).join(', ')
    b.warnings.push(
      `${plural(still.length, 'task')} started by an earlier deploy still ${still.length === 1 ? 'runs' : 'run'} (${ids}); this deploy starts ${plural(spec.count, 'more task')}`,
    )
  }
  addRunStep(b, profile, { taskDefinition, awsvpc, count: spec.count, prerequisites, retry: firstUseRetries(firstUse) })
}

interface RunStepSpec {
  taskDefinition: string | Ref
  awsvpc: AwsVpcConfiguration
  count: number
  /** shipit run: the container's command instead of the image's */
  command?: string[]
  prerequisites: string[]
  /** propagation retries, when the role or cluster is created by the same plan */
  retry?: RetryOn[]
}

/** RunTask of the app's tasks, awaited until they stop (streaming the log of a single task); the step of mode: task and of `shipit run`. */
export function addRunStep(b: PartBuilder<ContainerDesired>, profile: LaunchProfile, run: RunStepSpec): void {
  const { desired } = b
  const { count, taskDefinition } = run
  const overrides = run.command?.length ? { overrides: { containerOverrides: [{ name: containerNameOf(desired), command: run.command }] } } : {}
  b.add({
    id: 'run',
    action: 'run',
    resource: { type: 'ecs:task', name: desired.names.family },
    reason: `${plural(count, 'task')} on ${profile.launchType}, waited for until ${count === 1 ? 'it stops' : 'they stop'}`,
    changes: [
      { path: 'taskDefinition', after: taskDefinition },
      { path: 'count', after: count },
      ...(run.command?.length ? [{ path: 'overrides.command', after: run.command }] : []),
    ],
    request: Ecs.RunTask.request({
      cluster: desired.names.cluster,
      taskDefinition,
      launchType: profile.launchType,
      count,
      networkConfiguration: { awsvpcConfiguration: run.awsvpc },
      startedBy: STARTED_BY,
      tags: ecsTagList(desired.tags),
      propagateTags: 'TASK_DEFINITION',
      ...overrides,
    }),
    wait: {
      waiter: TASKS_STOPPED_WAITER,
      input: {
        cluster: desired.names.cluster,
        tasks: ref('run', 'tasks'),
        failures: ref('run', 'failures'),
        logGroup: desired.names.logGroup,
        ...(desired.express ? { container: containerNameOf(desired) } : {}),
      },
      description: count === 1 ? 'the task to run and stop' : `the ${count} tasks to run and stop`,
    },
    ...(run.retry ? { retry: run.retry } : {}),
    dependsOn: run.prerequisites,
  })
}

// ---- destroy -----------------------------------------------------------------------------------

const KEPT = 'kept: no shipit tags for this app and env'

/** Everything shipit created for this app and env, removed in dependency order; nothing without its tags. */
export function planContainerDestroy(desired: ContainerDesired, observed: ContainerObserved, ctx: PlanContext): PlanPart {
  const b = new PartBuilder<ContainerDesired>(desired, ctx)
  const { names } = desired
  // the Express service is an ECS service too: DeleteExpressGatewayService removes it and what ECS made for it
  const expressSteps = observed.express ? planExpressDestroy(b, observed.express) : []
  const serviceSteps = observed.express?.service ? expressSteps : [...expressSteps, ...planServiceDestroy(b, observed)]
  // the schedule goes first: no new task starts while the running ones are stopped
  const scheduleSteps = planScheduleDelete(b, observed.schedule ?? NO_SCHEDULE, [])
  const taskSteps = planTasksDestroy(b, observed, [...serviceSteps, ...scheduleSteps])
  const after = [...serviceSteps, ...taskSteps]
  planSecurityGroupsDestroy(b, observed, after)
  planLogGroupDelete(b, observed.logGroup, after)
  const role = observed.role
  if (role && b.owned(role.tags)) {
    for (const step of roleDeleteSteps(names.taskExecutionRole, role, after, role.secretsPolicy !== null)) b.add(step)
  } else if (role) b.keep('iam:role', names.taskExecutionRole, KEPT)
  if (observed.ecr) planImageDestroy(b, observed.ecr)
  planClusterDestroy(b, observed, after)
  return b.part()
}

/** A plain ECS service: scaled to zero, then deleted. */
function planServiceDestroy(b: PartBuilder<ContainerDesired>, observed: ContainerObserved): string[] {
  const { names } = b.desired
  const cluster = names.cluster
  const svc = observed.service
  const serviceSteps: string[] = []
  if (svc && b.owned(svc.tags)) {
    if (svc.desiredCount > 0) {
      b.add({
        id: 'service-scale',
        action: 'update',
        resource: { type: 'ecs:service', name: names.service },
        reason: 'stop its tasks',
        changes: [{ path: 'desiredCount', before: svc.desiredCount, after: 0 }],
        request: Ecs.UpdateService.request({ cluster, service: names.service, desiredCount: 0 }),
        dependsOn: [],
        okErrors: ['ServiceNotFoundException', 'ServiceNotActiveException'],
      })
    }
    serviceSteps.push(
      b.add({
        id: 'service',
        action: 'delete',
        resource: { type: 'ecs:service', name: names.service },
        request: Ecs.DeleteService.request({ cluster, service: names.service, force: true }),
        wait: { waiter: 'ServicesInactive', input: { cluster, services: [names.service] }, description: `service ${names.service} to be inactive` },
        dependsOn: b.present('service-scale'),
        okErrors: ['ServiceNotFoundException', 'ServiceNotActiveException'],
      }),
    )
  } else if (svc) b.keep('ecs:service', names.service, KEPT)
  return serviceSteps
}

/** Tasks shipit ran that still run, stopped; then every revision of the family shipit registered, deregistered. */
function planTasksDestroy(b: PartBuilder<ContainerDesired>, observed: ContainerObserved, serviceSteps: string[]): string[] {
  const { names } = b.desired
  const cluster = names.cluster
  const revisions = observed.revisions ?? (observed.taskDefinition ? [observed.taskDefinition] : [])
  const familyOurs = revisions.some((r) => b.owned(r.tags))
  const taskSteps: string[] = []
  if (familyOurs) {
    for (const task of observed.tasks ?? []) {
      const id = task.split('/').pop() ?? task
      taskSteps.push(
        b.add({
          id: `task ${id}`,
          action: 'delete',
          resource: { type: 'ecs:task', name: id },
          reason: 'started by shipit (mode: task), still running',
          request: Ecs.StopTask.request({ cluster, task, reason: 'shipit destroy' }),
          wait: { waiter: 'TasksStopped', input: { cluster, tasks: [task] }, description: `task ${id} to stop` },
          dependsOn: [],
        }),
      )
    }
  }
  for (const r of [...revisions].sort((x, y) => x.revision - y.revision)) {
    const name = `${names.family}:${r.revision}`
    if (!b.owned(r.tags)) {
      b.keep('ecs:task-definition', name, KEPT)
      continue
    }
    b.add({
      id: `task-definition ${name}`,
      action: 'delete',
      resource: { type: 'ecs:task-definition', name },
      reason: 'deregistered (ECS keeps INACTIVE revisions readable)',
      request: Ecs.DeregisterTaskDefinition.request({ taskDefinition: name }),
      dependsOn: [...serviceSteps, ...taskSteps],
    })
  }
  return taskSteps
}

function planSecurityGroupsDestroy(b: PartBuilder<ContainerDesired>, observed: ContainerObserved, after: string[]): void {
  const { names } = b.desired
  const groups = observed.network.securityGroups
  for (const g of groups) {
    if (!b.owned(g.tags)) {
      b.keep('ec2:security-group', `${names.securityGroup} (${g.id})`, KEPT)
      continue
    }
    b.add({
      id: groups.length === 1 ? 'security-group' : `security-group ${g.id}`,
      action: 'delete',
      resource: { type: 'ec2:security-group', name: `${names.securityGroup} (${g.id})` },
      request: Ec2.DeleteSecurityGroup.request({ GroupId: g.id }),
      // the network interfaces of stopped tasks are released a little after the tasks stop
      retry: { errorName: 'DependencyViolation', seconds: 300 },
      dependsOn: after,
      okErrors: ['InvalidGroup.NotFound'],
    })
  }
}

/** The cluster, when shipit made it and nothing else runs in it. `after`: the steps that empty it. */
function planClusterDestroy(b: PartBuilder<ContainerDesired>, observed: ContainerObserved, after: string[]): void {
  const cluster = b.desired.names.cluster
  const c = observed.cluster
  if (c && b.owned(c.tags)) {
    const others = c.activeServices - (b.present('service', 'express-service').length ? 1 : 0)
    if (c.containerInstances > 0) {
      b.keep(
        'ecs:cluster',
        cluster,
        `kept: ${plural(c.containerInstances, 'EC2 container instance')} registered; deregister them (terminate the instances), then destroy again`,
      )
    } else if (others > 0) {
      b.keep('ecs:cluster', cluster, `kept: ${plural(others, 'other service')} in it`)
    } else {
      b.add({
        id: 'cluster',
        action: 'delete',
        resource: { type: 'ecs:cluster', name: cluster },
        request: Ecs.DeleteCluster.request({ cluster }),
        // a service deleted by an earlier, interrupted destroy may still be draining
        retry: { errorName: 'ClusterContainsServicesException', seconds: 300 },
        dependsOn: after,
        okErrors: ['ClusterNotFoundException'],
      })
    }
  } else if (c) b.keep('ecs:cluster', cluster, 'not created by shipit: kept')
}
