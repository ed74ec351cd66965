export type { ObservedRole } from '../iam-role.js'

import type { DescribeTaskDefinitionCommandOutput, Tag, Task, TaskDefinition } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName, isNotFound, orNullIfMissing } from '../../aws/errors.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import type { DomainObserved } from '../domain/observe.js'
import { type ObservedRole, observeRole } from '../iam-role.js'
import { nothingEcr, type ObservedEcr, observeEcr } from '../image/ecr.js'
import { hashBuild, type ListedBuild, listBuild, type PreparedImage } from '../image/prepare.js'
import { type ObservedLogGroup, observeLogGroup } from '../log-group.js'
import { type ObservedSchedule, observeSchedule } from '../schedule/observe.js'
import { observeSecrets, type TrackedSecret } from '../secret-versions.js'
import { hiddenLiveKeys, SENSITIVE_KEYS_TAG } from '../sensitive-keys.js'
import { type ObserveContext, partitionOfArn } from '../target.js'
import { type ExpressObserved, nothingExpress, observeExpress, observeLoadBalancerGroups } from './express.js'
import { type ObservedNetwork, observeNetwork } from './network.js'
import { STARTED_BY } from './profile.js'
import { describedSpec, liveEnvironment, type TaskDefinitionSpec } from './task-definition.js'

interface ObservedCluster {
  arn: string
  tags: Record<string, string>
  /** EC2 container instances registered (the ecs target needs at least one) */
  containerInstances: number
  /** ACTIVE services in the cluster, ours included */
  activeServices: number
  /** the containerInsights setting */
  insights?: string
}

export interface ObservedService {
  arn: string
  tags: Record<string, string>
  taskDefinition: string
  desiredCount: number
  launchType?: string
  network?: { subnets: string[]; securityGroups: string[]; assignPublicIp: string }
  /** deployment circuit breaker with rollback is on */
  rollsBack: boolean
  /** an Express Mode service (resourceManagementType ECS): CreateExpressGatewayService made it */
  express?: true
  /** what `status` shows; changes all the time, so not part of a saved plan's fingerprint */
  live?: {
    runningCount: number
    pendingCount: number
    deployments: { status?: string; taskDefinition?: string; rolloutState?: string; rolloutStateReason?: string; running?: number; desired?: number }[]
  }
}

interface ObservedTaskDefinition {
  arn: string
  revision: number
  tags: Record<string, string>
  spec: TaskDefinitionSpec
}

/** What exists of one app and env on ECS, EC2, IAM and CloudWatch Logs. */
export interface ContainerObserved {
  /** planned without reading AWS */
  offline: boolean
  account?: string
  /** the account's partition, from a resource's or the caller's ARN */
  partition?: string
  cluster: ObservedCluster | null
  /** an ACTIVE service with shipit's name (DRAINING and INACTIVE ones count as gone) */
  service: ObservedService | null
  /** no ACTIVE one, but a service with that name deleted earlier is still DRAINING: ECS refuses the name until it is INACTIVE */
  serviceDraining?: boolean
  /** the family's latest ACTIVE revision */
  taskDefinition: ObservedTaskDefinition | null
  network: ObservedNetwork
  /** the task execution role shipit manages (not read when container.executionRole is given, except for destroy) */
  role: ObservedRole | null
  logGroup: ObservedLogGroup | null
  /** destroy only: the family's ACTIVE revisions */
  revisions?: { arn: string; revision: number; tags: Record<string, string> }[]
  /** destroy only: tasks shipit started (RunTask) of this family that still run */
  tasks?: string[]
  /** container.build (or destroy): the app's ECR repository and whether the source's image is in it */
  ecr?: ObservedEcr
  /** deploy: the secrets tracked by version, as read (src/targets/secret-versions.ts) */
  secrets?: TrackedSecret[]
  /** http: on fargate (or destroy on fargate): the Express service and its infrastructure role */
  express?: ExpressObserved
  /** http.domain on fargate: certificate, zones, records and the Express listener's side (src/targets/container/express-domain.ts) */
  domain?: DomainObserved
  /** `schedule:` (or one left from an earlier deploy): its group, schedule and role; absent offline */
  schedule?: ObservedSchedule
}

export function nothingObserved(desired?: ContainerDesired): ContainerObserved {
  return {
    offline: true,
    cluster: null,
    service: null,
    taskDefinition: null,
    network: { subnets: [], securityGroups: [] },
    role: null,
    logGroup: null,
    ...(desired?.container.build ? { ecr: nothingEcr() } : {}),
    ...(desired?.express ? { express: nothingExpress() } : {}),
  }
}

const listedBuilds = new WeakMap<ContainerDesired, Promise<ListedBuild | null>>()
const preparedImages = new WeakMap<ContainerDesired, Promise<PreparedImage | null>>()

/** The build context listed and checked, once per resolved app: prepare awaits it before observe starts. */
export function listedBuildOf(desired: ContainerDesired): Promise<ListedBuild | null> {
  let listed = listedBuilds.get(desired)
  if (!listed) {
    listed = listBuild(desired)
    listedBuilds.set(desired, listed)
  }
  return listed
}

/**
 * The build context's hash, computed once per resolved app: prepare (for the plan) and observe (for
 * the image tag to look up in ECR) run at the same time and share it.
 */
export function preparedImageOf(desired: ContainerDesired): Promise<PreparedImage | null> {
  let prepared = preparedImages.get(desired)
  if (!prepared) {
    prepared = listedBuildOf(desired).then((listed) => listed && hashBuild(desired, listed))
    preparedImages.set(desired, prepared)
  }
  return prepared
}

/** The ECR and Express Mode parts of what exists: read only when the app builds its image or has a URL, and for destroy. */
async function observeExtras(ctx: ObserveContext, desired: ContainerDesired, forDestroy: boolean): Promise<Pick<ContainerObserved, 'ecr' | 'express'>> {
  const withEcr = Boolean(desired.container.build) || forDestroy
  const withExpress = Boolean(desired.express) || (forDestroy && desired.target === 'fargate')
  const [ecr, express] = await Promise.all([
    withEcr ? observeEcr(ctx.clients, desired.app, forDestroy ? null : await preparedImageOf(desired)) : undefined,
    withExpress ? observeExpress(ctx.clients, desired, forDestroy) : undefined,
  ])
  return { ...(ecr ? { ecr } : {}), ...(express ? { express } : {}) }
}

/** ECS answers a family without ACTIVE revisions with a ClientException, not a not-found error. */
const noTaskDefinition = (err: unknown) =>
  awsErrorName(err) === 'ClientException' && /unable to describe task definition|does not exist/i.test((err as Error).message ?? '')

export const ecsTags = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? '']))

/** Read what exists for this app and env: only Describe/List/Get calls, independent ones at once. */
export async function observeContainer(ctx: ObserveContext, desired: ContainerDesired): Promise<ContainerObserved> {
  const { clients } = ctx
  const spec = desired.container
  if (!spec) throw new Error('container target without a container section')
  const names = desired.names
  const forDestroy = ctx.command === undefined || ctx.command === 'destroy'

  const [clusters, services, td, network, role, logGroup, revisions, tasks, extras, secrets, schedule] = await Promise.all([
    clients.send('ecs', 'DescribeClusters', { clusters: [names.cluster], include: ['TAGS', 'SETTINGS'] }),
    orNullIfMissing(clients.send('ecs', 'DescribeServices', { cluster: names.cluster, services: [names.service], include: ['TAGS'] })),
    orNullIfMissing<DescribeTaskDefinitionCommandOutput>(
      clients.send('ecs', 'DescribeTaskDefinition', { taskDefinition: names.family, include: ['TAGS'] }),
      noTaskDefinition,
    ),
    observeNetwork(clients, desired),
    spec.executionRole && !forDestroy ? Promise.resolve(null) : observeRole(clients, names.taskExecutionRole),
    observeLogGroup(clients, names.logGroup, ctx.command === 'deploy' ? desired.logRetentionDays : undefined),
    forDestroy ? observeRevisions(clients, names.family) : Promise.resolve(undefined),
    // a one-off deploy looks for the tasks of an earlier one that still run: a re-run says it starts another
    forDestroy || (spec.mode === 'task' && ctx.command === 'deploy') ? observeTasks(clients, names.cluster, names.family) : Promise.resolve(undefined),
    observeExtras(ctx, desired, forDestroy),
    // a deploy (and its plan) reads the versions of the secrets; a missing one stops it here
    ctx.command === 'deploy' ? observeSecrets(clients, desired, ctx) : Promise.resolve(undefined),
    observeSchedule(clients, desired, forDestroy ? 'destroy' : ctx.command),
  ])

  const c = (clusters.clusters ?? []).find((x) => x.status !== 'INACTIVE')
  const s = (services?.services ?? []).find((x) => x.status === 'ACTIVE')
  const draining = !s && (services?.services ?? []).some((x) => x.status === 'DRAINING')
  const t = td?.taskDefinition?.status === 'ACTIVE' ? td.taskDefinition : undefined
  const net = s?.networkConfiguration?.awsvpcConfiguration
  const observed: ContainerObserved = {
    offline: false,
    ...(draining ? { serviceDraining: true } : {}),
    cluster: c
      ? {
          arn: c.clusterArn ?? '',
          tags: ecsTags(c.tags),
          containerInstances: c.registeredContainerInstancesCount ?? 0,
          activeServices: c.activeServicesCount ?? 0,
          insights: c.settings?.find((x) => x.name === 'containerInsights')?.value,
        }
      : null,
    service: s
      ? {
          arn: s.serviceArn ?? '',
          tags: ecsTags(s.tags),
          taskDefinition: s.taskDefinition ?? '',
          desiredCount: s.desiredCount ?? 0,
          launchType: s.launchType,
          network: net
            ? {
                subnets: [...(net.subnets ?? [])].sort(),
                securityGroups: [...(net.securityGroups ?? [])].sort(),
                assignPublicIp: net.assignPublicIp ?? 'DISABLED',
              }
            : undefined,
          rollsBack: Boolean(s.deploymentConfiguration?.deploymentCircuitBreaker?.enable && s.deploymentConfiguration.deploymentCircuitBreaker.rollback),
          ...(s.resourceManagementType === 'ECS' ? { express: true as const } : {}),
          live: {
            runningCount: s.runningCount ?? 0,
            pendingCount: s.pendingCount ?? 0,
            deployments: (s.deployments ?? []).map((d) => ({
              status: d.status,
              taskDefinition: d.taskDefinition,
              rolloutState: d.rolloutState,
              rolloutStateReason: d.rolloutStateReason,
              running: d.runningCount,
              desired: d.desiredCount,
            })),
          },
        }
      : null,
    taskDefinition: t ? observedRevision(desired, t, ecsTags(td?.tags), ctx.showUndeclared) : null,
    network,
    role,
    logGroup,
    ...(revisions ? { revisions } : {}),
    ...(tasks ? { tasks } : {}),
    ...extras,
    ...(secrets ? { secrets } : {}),
    schedule,
  }
  const express = observed.express?.service
  const ourGroups = new Set(network.securityGroups.map((g) => g.id))
  // an Express service on shipit's group (an earlier shipit made it): the load balancer's group is what the group may admit
  if (express?.revisionArn && express.network?.securityGroups.some((g) => ourGroups.has(g)))
    express.loadBalancerGroups = await observeLoadBalancerGroups(clients, express.revisionArn)
  const anyArn = observed.cluster?.arn || observed.taskDefinition?.arn || observed.role?.arn
  // STS is asked only when nothing read so far names the account
  const caller = ctx.account || anyArn ? undefined : await (ctx.caller ? ctx.caller() : clients.send('sts', 'GetCallerIdentity', {}))
  observed.account = ctx.account ?? (anyArn ? anyArn.split(':')[4] : caller?.Account)
  const partition = partitionOfArn(anyArn || caller?.Arn)
  if (partition) observed.partition = partition
  return observed
}

/** A revision in normal form; live values that are secret now, or were when it was registered, only as hashes. */
function observedRevision(
  desired: ContainerDesired,
  t: TaskDefinition,
  tags: Record<string, string>,
  showUndeclared?: boolean,
): NonNullable<ContainerObserved['taskDefinition']> {
  const hidden = hiddenLiveKeys(desired, liveEnvironment(t), tags[SENSITIVE_KEYS_TAG], { showUndeclared })
  return { arn: t.taskDefinitionArn ?? '', revision: t.revision ?? 0, tags, spec: describedSpec(t, hidden) }
}

async function observeRevisions(clients: AwsClients, family: string): Promise<{ arn: string; revision: number; tags: Record<string, string> }[]> {
  const arns: string[] = []
  let nextToken: string | undefined
  do {
    const page = await clients.send('ecs', 'ListTaskDefinitions', { familyPrefix: family, status: 'ACTIVE', ...(nextToken ? { nextToken } : {}) })
    arns.push(...(page.taskDefinitionArns ?? []))
    nextToken = page.nextToken
  } while (nextToken)
  // ListTaskDefinitions matches families by prefix on some implementations: keep this family only
  const mine = arns.filter((arn) => arn.split('task-definition/').pop()?.split(':')[0] === family)
  const described = await Promise.all(
    mine.map((arn) =>
      orNullIfMissing<DescribeTaskDefinitionCommandOutput>(
        clients.send('ecs', 'DescribeTaskDefinition', { taskDefinition: arn, include: ['TAGS'] }),
        noTaskDefinition,
      ),
    ),
  )
  return described
    .filter((d): d is DescribeTaskDefinitionCommandOutput => Boolean(d?.taskDefinition))
    .map((d) => ({ arn: d.taskDefinition?.taskDefinitionArn ?? '', revision: d.taskDefinition?.revision ?? 0, tags: ecsTags(d.tags) }))
}

/**
 * Tasks shipit started (RunTask) of this family that still run. ECS takes startedBy only as the sole
 * filter of ListTasks, so the family is checked on the described tasks.
 */
async function observeTasks(clients: AwsClients, cluster: string, family: string): Promise<string[]> {
  const arns: string[] = []
  let nextToken: string | undefined
  try {
    do {
      const page = await clients.send('ecs', 'ListTasks', { cluster, startedBy: STARTED_BY, ...(nextToken ? { nextToken } : {}) })
      arns.push(...(page.taskArns ?? []))
      nextToken = page.nextToken
    } while (nextToken)
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
  const running: string[] = []
  for (let i = 0; i < arns.length; i += 100) {
    const out = await clients.send('ecs', 'DescribeTasks', { cluster, tasks: arns.slice(i, i + 100) })
    for (const t of (out.tasks ?? []) as Task[]) {
      const ofFamily = t.taskDefinitionArn?.split('task-definition/').pop()?.split(':')[0] === family
      if (ofFamily && t.lastStatus !== 'STOPPED' && t.taskArn) running.push(t.taskArn)
    }
  }
  return running
}
