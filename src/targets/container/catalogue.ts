import type { TaskDefinition } from '@aws-sdk/client-ecs'
import { canonicalJson } from '../../digest.js'
import { awsOperation, type Catalogue, joinCatalogues, type WaitRunbook } from '../../plan/catalogue.js'
import {
  anyResource,
  arnKind,
  baseName,
  on,
  type Permission,
  type PolicyUse,
  permission,
  READ,
  regional,
  taggedRequest,
  taggedResource,
} from '../../plan/permissions.js'
import { isRef } from '../../plan/types.js'
import { BEFORE_2020, ECS_EXPRESS, ECS_EXPRESS_TASK_DEFINITION, ECS_RUNTIME_PLATFORM } from '../cli-versions.js'
import { DOMAIN_CATALOGUE } from '../domain/catalogue.js'
import { IMAGE_CATALOGUE } from '../image/catalogue.js'
import { notOurs, read, sameOwner } from '../read-back.js'
import { SCHEDULE_CATALOGUE } from '../schedule/catalogue.js'
import { cliWait, DELETE, OLD_COMMAND, PASSED_ROLES, passRole, SHARED_CATALOGUE, TAG, UPDATE } from '../shared-catalogue.js'
import { describedSpec } from './task-definition.js'
import { containerWaiters, SERVICE_DEPLOYED_WAITER, TASKS_STOPPED_WAITER } from './waiters.js'

/**
 * Every operation the fargate and ecs targets send: ECS (clusters, task definitions, services, one-off
 * tasks, Express services) and EC2 (the security group), with the image's and the shared ones.
 */

/** What offline plans write for the network of the default VPC, and for the VPC of given subnets. */
export const DEFAULT_SUBNETS_PLACEHOLDER = '<default-vpc-subnets>'
export const DEFAULT_VPC_PLACEHOLDER = '<default-vpc>'
export const SUBNETS_VPC_PLACEHOLDER = '<vpc-of-the-subnets>'

const EXPRESS = { cli: ECS_EXPRESS, members: { taskDefinitionArn: ECS_EXPRESS_TASK_DEFINITION } }

export const Ecs = {
  CreateCluster: awsOperation('ecs', 'CreateCluster', {
    idempotency: { kind: 'natural', why: 'ECS answers a create of an existing cluster with that cluster' },
    runbook: OLD_COMMAND,
  }),
  RegisterTaskDefinition: awsOperation('ecs', 'RegisterTaskDefinition', {
    idempotency: { kind: 'recover', read: 'the latest revision of the family, compared in normal form' },
    runbook: { cli: BEFORE_2020, members: { runtimePlatform: ECS_RUNTIME_PLATFORM } },
    recover: async (input, clients) => {
      const family = input.family ?? ''
      const list = await clients.send('ecs', 'ListTaskDefinitions', { familyPrefix: family, sort: 'DESC', maxResults: 1 })
      const latest = (list.taskDefinitionArns ?? [])[0]
      if (!latest) return undefined
      const described = await clients.send('ecs', 'DescribeTaskDefinition', { taskDefinition: latest, include: ['TAGS'] })
      const td = described.taskDefinition
      if (!td) return undefined
      const asked: TaskDefinition = { ...input }
      const same = canonicalJson(describedSpec(td, new Set())) === canonicalJson(describedSpec(asked, new Set()))
      // a revision that differs, or is not ours, was not made by this step: the step was not done
      if (!same || !sameOwner(input.tags, described.tags)) return undefined
      return { outputs: { taskDefinition: td, tags: described.tags }, what: `task definition ${family}:${td.revision}` }
    },
  }),
  CreateService: awsOperation('ecs', 'CreateService', {
    idempotency: 'token',
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const answer = await clients.send('ecs', 'DescribeServices', { cluster: input.cluster, services: [input.serviceName ?? ''], include: ['TAGS'] })
      const service = (answer.services ?? []).find((s) => s.status === 'ACTIVE')
      if (!service) return undefined
      const what = `service ${input.serviceName}`
      if (!service.tags || !sameOwner(input.tags, service.tags)) throw notOurs(what)
      return { outputs: { service }, what }
    },
  }),
  RunTask: awsOperation('ecs', 'RunTask', {
    idempotency: 'token',
    runbook: OLD_COMMAND,
    recover: async (input, clients, since) => {
      // startedBy must be ListTasks' only filter: the tasks it lists are those meant to run (PENDING or
      // RUNNING); one that already stopped is not found, and the resend's clientToken still answers with it
      const listed = await clients.send('ecs', 'ListTasks', { cluster: input.cluster, startedBy: input.startedBy })
      const arns = listed.taskArns ?? []
      if (!arns.length) return undefined
      const described = await clients.send('ecs', 'DescribeTasks', { cluster: input.cluster, tasks: arns.slice(0, 100), include: ['TAGS'] })
      // the tasks this RunTask started: same revision, started by shipit, created after the step began
      const tasks = (described.tasks ?? []).filter(
        (t) =>
          (t.taskDefinitionArn === input.taskDefinition || String(t.taskDefinitionArn).endsWith(`/${input.taskDefinition}`)) &&
          new Date(t.createdAt ?? 0).getTime() >= since - 1000 &&
          sameOwner(input.tags, t.tags),
      )
      if (tasks.length < (input.count ?? 1)) return undefined
      return { outputs: { tasks, failures: [] }, what: tasks.length === 1 ? `task ${String(tasks[0].taskArn).split('/').pop()}` : `${tasks.length} tasks` }
    },
  }),
  CreateExpressGatewayService: awsOperation('ecs', 'CreateExpressGatewayService', {
    idempotency: { kind: 'single', why: 'no client token; a second create of the same service name fails instead of making another' },
    runbook: EXPRESS,
  }),
  UpdateService: awsOperation('ecs', 'UpdateService', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateClusterSettings: awsOperation('ecs', 'UpdateClusterSettings', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateExpressGatewayService: awsOperation('ecs', 'UpdateExpressGatewayService', { idempotency: UPDATE, runbook: EXPRESS }),
  TagResource: awsOperation('ecs', 'TagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  DeleteService: awsOperation('ecs', 'DeleteService', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteCluster: awsOperation('ecs', 'DeleteCluster', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteExpressGatewayService: awsOperation('ecs', 'DeleteExpressGatewayService', { idempotency: DELETE, runbook: { cli: ECS_EXPRESS } }),
  StopTask: awsOperation('ecs', 'StopTask', { idempotency: { kind: 'natural', why: 'stopping a stopped task changes nothing' }, runbook: OLD_COMMAND }),
  DeregisterTaskDefinition: awsOperation('ecs', 'DeregisterTaskDefinition', { idempotency: DELETE, runbook: OLD_COMMAND }),
  /** the read before an UpdateService: no deploy moved the service since the plan */
  DescribeServices: awsOperation('ecs', 'DescribeServices', { read: true, runbook: OLD_COMMAND }),
}

export const Ec2 = {
  CreateSecurityGroup: awsOperation('ec2', 'CreateSecurityGroup', {
    idempotency: { kind: 'recover', read: 'DescribeSecurityGroups by group name and VPC, with shipit tags' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const filters = [{ Name: 'group-name', Values: [input.GroupName ?? ''] }, ...(input.VpcId ? [{ Name: 'vpc-id', Values: [input.VpcId] }] : [])]
      const group = (await read(clients.send('ec2', 'DescribeSecurityGroups', { Filters: filters })))?.SecurityGroups?.[0]
      if (!group) return undefined
      const what = `security group ${input.GroupName}`
      if (!group.Tags || !sameOwner(input.TagSpecifications, group.Tags)) throw notOurs(what)
      return { outputs: { GroupId: group.GroupId, ...(group.SecurityGroupArn ? { SecurityGroupArn: group.SecurityGroupArn } : {}) }, what }
    },
  }),
  AuthorizeSecurityGroupIngress: awsOperation('ec2', 'AuthorizeSecurityGroupIngress', {
    idempotency: { kind: 'natural', why: 'a rule that exists answers InvalidPermission.Duplicate, and the next deploy sees it' },
    runbook: OLD_COMMAND,
  }),
  RevokeSecurityGroupIngress: awsOperation('ec2', 'RevokeSecurityGroupIngress', { idempotency: DELETE, runbook: OLD_COMMAND }),
  CreateTags: awsOperation('ec2', 'CreateTags', { idempotency: TAG, runbook: OLD_COMMAND }),
  DeleteSecurityGroup: awsOperation('ec2', 'DeleteSecurityGroup', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

/** The reads that observe, the waits and the read-backs send. */
export const ContainerReads = {
  DescribeClusters: awsOperation('ecs', 'DescribeClusters', { read: true }),
  DescribeTaskDefinition: awsOperation('ecs', 'DescribeTaskDefinition', { read: true }),
  ListTaskDefinitions: awsOperation('ecs', 'ListTaskDefinitions', { read: true }),
  DescribeTasks: awsOperation('ecs', 'DescribeTasks', { read: true }),
  ListTasks: awsOperation('ecs', 'ListTasks', { read: true }),
  DescribeExpressGatewayService: awsOperation('ecs', 'DescribeExpressGatewayService', { read: true }),
  DescribeServiceDeployments: awsOperation('ecs', 'DescribeServiceDeployments', { read: true }),
  // also a step of its own: a custom domain reads the load balancer's listener and target group of a new Express service
  DescribeServiceRevisions: awsOperation('ecs', 'DescribeServiceRevisions', { read: true, runbook: EXPRESS }),
  DescribeSubnets: awsOperation('ec2', 'DescribeSubnets', { read: true }),
  DescribeSecurityGroups: awsOperation('ec2', 'DescribeSecurityGroups', { read: true }),
  DescribeNetworkInterfaces: awsOperation('ec2', 'DescribeNetworkInterfaces', { read: true }),
}

/** The last part of a name or ARN (`arn:…:cluster/web-dev` → `web-dev`). */
const lastPart = (nameOrArn: string | undefined) =>
  String(nameOrArn ?? 'default')
    .split('/')
    .pop() ?? ''
/** The app's clusters (`<app>-<env>`, or the one app.yaml names), and what runs in them. */
const CLUSTERS = regional(
  'ecs',
  (name) => `cluster/${lastPart(name)}`,
  (scope) => [...scope.clusters],
)
const SERVICES = regional(
  'ecs',
  (name) => `service/${name}`,
  (scope) => scope.clusters.map((c) => `${c}/${baseName(scope)}`),
)
const TASKS = regional(
  'ecs',
  (name) => `task/${name}`,
  (scope) => scope.clusters.map((c) => `${c}/*`),
)
const TASK_DEFINITIONS = regional(
  'ecs',
  (name) => `task-definition/${name}`,
  (scope) => [`${baseName(scope)}:*`],
)
const DEPLOYMENTS = regional(
  'ecs',
  (name) => `service-deployment/${name}`,
  (scope) => scope.clusters.map((c) => `${c}/${baseName(scope)}/*`),
)
/** A service's revisions (the Express load balancer's security groups are read off them). */
const REVISIONS = regional(
  'ecs',
  (name) => `service-revision/${name}`,
  (scope) => scope.clusters.map((c) => `${c}/${baseName(scope)}/*`),
)
/** Anything of the app ECS tags: the union of the kinds above. */
const ECS_RESOURCES = regional(
  'ecs',
  (name) => name,
  (scope) => [CLUSTERS, SERVICES, TASKS, TASK_DEFINITIONS].flatMap((kind) => kind.patterns(scope).map((arn) => arn.split(':').slice(5).join(':'))),
)
/** Security groups are named by ids: scoped by the shipit:app tag. */
const SECURITY_GROUPS = regional(
  'ec2',
  (id) => `security-group/${id}`,
  () => ['*'],
)
const VPCS = regional(
  'ec2',
  (id) => `vpc/${id}`,
  () => ['*'],
)
/** ECS makes its service-linked role with the caller's permission the first time a cluster is created in the account. */
const ECS_SERVICE_LINKED_ROLE = arnKind(
  (at) => `arn:${at.partition}:iam::${at.account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
  () => [''],
)
const ecsServiceLinkedRole = on(ECS_SERVICE_LINKED_ROLE, 'iam:CreateServiceLinkedRole', () => '', {
  conditions: () => ({ StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } }),
  context: () => ({ 'iam:AWSServiceName': 'ecs.amazonaws.com' }),
})

const service = (i: { cluster?: string; service?: string; serviceName?: string }) => `${lastPart(i.cluster)}/${i.serviceName ?? i.service}`
const group = (i: { GroupId?: string }) => i.GroupId
const DEPLOY: PolicyUse[] = ['deploy']
const BOTH: PolicyUse[] = ['deploy', 'destroy']
/** ECS authorizes the tags of a create as an ecs:TagResource of what it makes. */
const tagOnCreate = <I extends object>(kind: typeof CLUSTERS, name: (input: I) => string | undefined) => on(kind, 'ecs:TagResource', name)
const passToTasks = <I extends object>(arn: (input: I) => string | undefined) => ({
  ...passRole(PASSED_ROLES, 'ecs-tasks.amazonaws.com', arn),
  when: (i: I) => arn(i) !== undefined,
})

const CONTAINER_PERMISSIONS: Permission[] = [
  // CreateCluster and RegisterTaskDefinition take no resource-level permissions: CreateCluster is held to this app's tag
  permission(
    Ecs.CreateCluster,
    DEPLOY,
    anyResource('ecs:CreateCluster', taggedRequest),
    tagOnCreate(CLUSTERS, (i) => i.clusterName),
    ecsServiceLinkedRole,
  ),
  permission(
    Ecs.UpdateClusterSettings,
    DEPLOY,
    on(CLUSTERS, 'ecs:UpdateClusterSettings', (i) => i.cluster),
  ),
  permission(
    Ecs.DeleteCluster,
    ['destroy'],
    on(CLUSTERS, 'ecs:DeleteCluster', (i) => i.cluster),
  ),
  permission(
    Ecs.RegisterTaskDefinition,
    [...DEPLOY, 'other'],
    anyResource('ecs:RegisterTaskDefinition', taggedRequest),
    tagOnCreate(TASK_DEFINITIONS, (i) => `${i.family}:*`),
    passToTasks((i) => i.executionRoleArn),
    passToTasks((i) => i.taskRoleArn),
  ),
  permission(Ecs.DeregisterTaskDefinition, BOTH, anyResource('ecs:DeregisterTaskDefinition')),
  permission(Ecs.CreateService, DEPLOY, on(SERVICES, 'ecs:CreateService', service), tagOnCreate(SERVICES, service)),
  permission(Ecs.UpdateService, [...BOTH, 'other'], on(SERVICES, 'ecs:UpdateService', service)),
  permission(Ecs.DeleteService, BOTH, on(SERVICES, 'ecs:DeleteService', service)),
  permission(
    Ecs.DescribeServices,
    READ,
    on(SERVICES, 'ecs:DescribeServices', (i) => (i.services ?? []).map((s) => `${lastPart(i.cluster)}/${lastPart(s)}`)),
  ),
  permission(
    Ecs.RunTask,
    [...DEPLOY, 'other'],
    on(TASK_DEFINITIONS, 'ecs:RunTask', (i) => lastPart(i.taskDefinition)),
    tagOnCreate(TASKS, (i) => `${lastPart(i.cluster)}/*`),
  ),
  permission(
    Ecs.StopTask,
    [...BOTH, 'other'],
    on(TASKS, 'ecs:StopTask', (i) => `${lastPart(i.cluster)}/${lastPart(i.task)}`),
  ),
  permission(
    Ecs.CreateExpressGatewayService,
    DEPLOY,
    on(SERVICES, 'ecs:CreateExpressGatewayService', service),
    tagOnCreate(SERVICES, service),
    passToTasks((i) => i.executionRoleArn),
    passToTasks((i) => i.taskRoleArn),
    // the infrastructure role is ECS's own, for the load balancer it manages
    passRole(PASSED_ROLES, 'ecs.amazonaws.com', (i) => i.infrastructureRoleArn),
  ),
  permission(
    Ecs.UpdateExpressGatewayService,
    DEPLOY,
    on(SERVICES, 'ecs:UpdateExpressGatewayService', (i) => i.serviceArn),
    passToTasks((i) => i.executionRoleArn),
    passToTasks((i) => i.taskRoleArn),
  ),
  permission(
    Ecs.DeleteExpressGatewayService,
    BOTH,
    on(SERVICES, 'ecs:DeleteExpressGatewayService', (i) => i.serviceArn),
  ),
  permission(
    Ecs.TagResource,
    BOTH,
    on(ECS_RESOURCES, 'ecs:TagResource', (i) => i.resourceArn),
  ),
  permission(
    ContainerReads.DescribeClusters,
    READ,
    on(CLUSTERS, 'ecs:DescribeClusters', (i) => i.clusters),
  ),
  permission(
    ContainerReads.DescribeTasks,
    READ,
    on(TASKS, 'ecs:DescribeTasks', (i) => (i.tasks ?? []).map((t) => `${lastPart(i.cluster)}/${lastPart(t)}`)),
  ),
  permission(
    ContainerReads.DescribeExpressGatewayService,
    READ,
    on(SERVICES, 'ecs:DescribeExpressGatewayService', (i) => i.serviceArn),
  ),
  permission(
    ContainerReads.DescribeServiceRevisions,
    READ,
    on(REVISIONS, 'ecs:DescribeServiceRevisions', (i) => i.serviceRevisionArns),
  ),
  permission(
    ContainerReads.DescribeServiceDeployments,
    READ,
    on(DEPLOYMENTS, 'ecs:DescribeServiceDeployments', (i) => i.serviceDeploymentArns),
  ),
  // no resource-level permissions: task definitions are read by family, tasks listed by cluster
  permission(ContainerReads.DescribeTaskDefinition, READ, anyResource('ecs:DescribeTaskDefinition')),
  permission(ContainerReads.ListTaskDefinitions, READ, anyResource('ecs:ListTaskDefinitions')),
  permission(ContainerReads.ListTasks, READ, anyResource('ecs:ListTasks')),
  permission(ContainerReads.DescribeSubnets, READ, anyResource('ec2:DescribeSubnets')),
  permission(ContainerReads.DescribeSecurityGroups, READ, anyResource('ec2:DescribeSecurityGroups')),
  permission(ContainerReads.DescribeNetworkInterfaces, READ, anyResource('ec2:DescribeNetworkInterfaces')),
  // the security group: made with shipit's tags, changed only while it has them
  permission(
    Ec2.CreateSecurityGroup,
    DEPLOY,
    on(SECURITY_GROUPS, 'ec2:CreateSecurityGroup', () => '*', taggedRequest),
    on(VPCS, 'ec2:CreateSecurityGroup', (i) => i.VpcId ?? '*'),
    on(SECURITY_GROUPS, 'ec2:CreateTags', () => '*', taggedRequest),
  ),
  permission(
    Ec2.CreateTags,
    BOTH,
    on(SECURITY_GROUPS, 'ec2:CreateTags', (i: { Resources?: string[] }) => i.Resources, taggedRequest),
  ),
  permission(Ec2.AuthorizeSecurityGroupIngress, DEPLOY, on(SECURITY_GROUPS, 'ec2:AuthorizeSecurityGroupIngress', group, taggedResource)),
  permission(Ec2.RevokeSecurityGroupIngress, BOTH, on(SECURITY_GROUPS, 'ec2:RevokeSecurityGroupIngress', group, taggedResource)),
  permission(Ec2.DeleteSecurityGroup, BOTH, on(SECURITY_GROUPS, 'ec2:DeleteSecurityGroup', group, taggedResource)),
]

/**
 * shipit's own wait for a service deployment, as a poll of the PRIMARY deployment as its waiter reads
 * it: done when that deployment runs the new revision and its rollout is COMPLETED with the old tasks
 * gone; a failure when its rollout FAILED or ECS rolled back to another revision (`aws ecs wait
 * services-stable` says "stable" after a rollback). A line every PROGRESS_SECONDS says where it stands.
 */
const serviceDeployed: WaitRunbook = (input) => ({
  input,
  command: 'aws ecs describe-services',
  versions: BEFORE_2020,
  note: 'shipit waits for the rollout of the new revision to be COMPLETED and stops when ECS rolled it back; so does this loop',
  script: (text) => {
    const primary = (field: string) => `deployments[?status==\`PRIMARY\`] | [0].${field}`
    const draining = "length(deployments[?status!='PRIMARY' && rolloutState!='FAILED' && runningCount > `0`])"
    const query = `services[0].[${['taskDefinition', 'rolloutState', 'runningCount', 'desiredCount'].map(primary).join(', ')}, ${draining}]`
    return [
      `cluster=${text(input.cluster)} service=${text(input.service)} revision=${text(input.taskDefinition)}`,
      'revision="${revision##*/}"',
      'for ((waited = 0; ; waited += PROGRESS_SECONDS)); do',
      `  read -r primary rollout running desired draining <<<"$(aws ecs describe-services --cluster "$cluster" --services "$service" --region "$REGION" --query '${query}' --output text)"`,
      '  if [[ "${primary##*/}" == "$revision" ]]; then',
      '    [[ "$rollout" != FAILED ]] || die "service $service: the deployment of $revision failed (aws ecs describe-services shows why)"',
      '    [[ "$rollout" != COMPLETED || "$running" -lt "$desired" || "$draining" != 0 ]] || break',
      '  elif ((waited >= 3 * PROGRESS_SECONDS)); then',
      '    die "service $service: ECS rolled the deployment of $revision back to ${primary##*/}"',
      '  fi',
      '  ((waited < 1800)) || die "timed out after 30 minutes waiting for service $service to deploy $revision"',
      '  echo "    service $service: ${rollout:-IN_PROGRESS}, $running/$desired tasks running ($waited s)" >&2',
      '  sleep "$PROGRESS_SECONDS"',
      'done',
    ]
  },
})

export const CONTAINER_CATALOGUE: Catalogue = joinCatalogues(SHARED_CATALOGUE, IMAGE_CATALOGUE, DOMAIN_CATALOGUE, SCHEDULE_CATALOGUE, {
  operations: [...Object.values(Ecs), ...Object.values(Ec2), ...Object.values(ContainerReads)],
  permissions: CONTAINER_PERMISSIONS,
  waiters: containerWaiters,
  waitRunbook: {
    [SERVICE_DEPLOYED_WAITER]: serviceDeployed,
    [TASKS_STOPPED_WAITER]: (i) => ({
      cli: {
        service: 'ecs',
        waiter: 'tasks-stopped',
        input: { cluster: i.cluster, tasks: isRef(i.tasks) ? { ref: i.tasks.ref, output: 'tasks[].taskArn' } : i.tasks },
        versions: BEFORE_2020,
      },
      note: 'shipit also reports the exit code and the last log lines: aws ecs describe-tasks and aws logs tail show them',
    }),
    ...cliWait('ecs', 'ServicesInactive'),
    ...cliWait('ecs', 'TasksStopped'),
    ...cliWait('ecs', 'ServicesStable'),
  },
  placeholders: {
    [DEFAULT_VPC_PLACEHOLDER]: {
      variable: 'DEFAULT_VPC',
      lookup: "aws ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId' --output text",
      missing: 'the region has no default VPC: set container.network in app.yaml',
    },
    [DEFAULT_SUBNETS_PLACEHOLDER]: {
      variable: 'DEFAULT_SUBNETS',
      lookup: "aws ec2 describe-subnets --filters Name=default-for-az,Values=true --query 'sort(Subnets[].SubnetId)' --output json",
      json: true,
      missing: 'the region has no default subnets: set container.network in app.yaml',
    },
    [SUBNETS_VPC_PLACEHOLDER]: { variable: 'VPC_ID', missing: 'set VPC_ID to the VPC of container.network.subnets' },
  },
})
