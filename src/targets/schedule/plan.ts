import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler'
import { canonicalJson } from '../../digest.js'
import { type FieldChange, isRef, type Plannable, type Ref, type RetryOn, type Step } from '../../plan/types.js'
import { trustPolicy } from '../execution-role.js'
import { ROLE_PROPAGATION_SECONDS } from '../iam-role.js'
import type { PartBuilder } from '../part.js'
import { Iam } from '../shared-catalogue.js'
import { ACCOUNT_PLACEHOLDER, arnPartition, tagList } from '../target.js'
import { Scheduler } from './catalogue.js'
import { type ObservedSchedule, SCHEDULER_POLICY_NAME } from './observe.js'

/** What the schedule starts, as the target that plans it knows it. */
export interface ScheduleRun {
  /** the cluster's ARN (a task), or the function alias's (a function) */
  arn: string
  /** a task: how Scheduler calls RunTask, as the deploy's own run-task would */
  ecs?: {
    taskDefinitionArn: string | Ref
    count: number
    launchType: 'FARGATE' | 'EC2'
    awsvpc: { subnets: string[]; securityGroups: (string | Ref)[]; assignPublicIp: 'ENABLED' | 'DISABLED' }
  }
  /** the one statement set the scheduler role gets: what it may start, and nothing else */
  policy: PolicyStatement[]
  /** steps the schedule needs done first (the task definition, the alias) */
  after: string[]
  /** for the plan: "task family hello-dev", "function hello-dev" */
  what: string
}

interface PolicyStatement {
  Effect: 'Allow'
  Action: string
  Resource: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
}

/** What IAM answers while a role made by the same plan propagates, and Scheduler refuses to be given it. */
const CANNOT_ASSUME = 'must allow AWS EventBridge Scheduler to assume the role'

const ID = { group: 'schedule-group', schedule: 'schedule', role: 'scheduler-role', policy: 'scheduler-role-policy' }

/** The group, the role and the schedule of `schedule:`; or their removal when app.yaml has none any more. */
export function planSchedule(b: PartBuilder, observed: ObservedSchedule, run: ScheduleRun | undefined): void {
  const spec = b.desired.schedule
  if (!spec) {
    // app.yaml no longer asks for a schedule: what shipit made for it goes
    if (observed.group && b.owned(observed.group.tags)) planScheduleDelete(b, observed, [])
    return
  }
  // what it would start is blocked (not shipit's): the schedule waits with it
  if (!run) return
  const group = planGroup(b, observed)
  if (group.refused) return
  const role = planRole(b, observed, run)
  if (role.refused) return
  const { names } = b.desired
  const input: Plannable<CreateScheduleCommandInput> & { Name: string; GroupName: string } = {
    Name: names.schedule,
    GroupName: names.scheduleGroup,
    ScheduleExpression: spec.expression,
    ScheduleExpressionTimezone: spec.timezone,
    State: spec.enabled ? 'ENABLED' : 'DISABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Description: `Runs ${run.what}, managed by shipit`,
    Target: {
      Arn: run.arn,
      RoleArn: role.arn,
      ...(spec.payload !== undefined ? { Input: spec.payload } : {}),
      ...(run.ecs ? { EcsParameters: ecsParameters(run.ecs) } : {}),
    },
  }
  const retry: RetryOn[] | undefined = role.created
    ? [
        {
          errorName: 'ValidationException',
          messageIncludes: CANNOT_ASSUME,
          seconds: ROLE_PROPAGATION_SECONDS,
          waitingFor: `IAM to propagate role ${names.schedulerRole}`,
        },
      ]
    : undefined
  const dependsOn = [...group.deps, ...role.deps, ...run.after]
  const live = observed.schedule
  if (!live) {
    b.add({
      id: ID.schedule,
      action: 'create',
      resource: { type: 'scheduler:schedule', name: `${names.scheduleGroup}/${names.schedule}` },
      reason: `runs ${run.what} on ${spec.expression}${spec.timezone === 'UTC' ? '' : ` (${spec.timezone})`}`,
      changes: scheduleChanges(undefined, input),
      request: Scheduler.CreateSchedule.request(input),
      ...(retry ? { retry } : {}),
      dependsOn,
    })
    return
  }
  const changes = scheduleChanges(live, input)
  if (!changes.length) {
    b.keep('scheduler:schedule', `${names.scheduleGroup}/${names.schedule}`, spec.expression)
    return
  }
  b.add({
    id: ID.schedule,
    action: 'update',
    resource: { type: 'scheduler:schedule', name: `${names.scheduleGroup}/${names.schedule}` },
    reason: `${[...new Set(changes.map((c) => c.path.split('.')[0]))].join(', ')} changed (UpdateSchedule replaces every field)`,
    changes,
    request: Scheduler.UpdateSchedule.request(input),
    ...(retry ? { retry } : {}),
    dependsOn,
  })
}

function ecsParameters(ecs: NonNullable<ScheduleRun['ecs']>) {
  return {
    TaskDefinitionArn: ecs.taskDefinitionArn,
    TaskCount: ecs.count,
    LaunchType: ecs.launchType,
    NetworkConfiguration: {
      awsvpcConfiguration: { Subnets: ecs.awsvpc.subnets, SecurityGroups: ecs.awsvpc.securityGroups, AssignPublicIp: ecs.awsvpc.assignPublicIp },
    },
    // the tasks carry the task definition's tags: shipit's, so destroy finds and stops them
    PropagateTags: 'TASK_DEFINITION' as const,
  }
}

/** The members shipit manages, flattened to paths; lists of names are compared as sets. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value === undefined || value === null) return out
  if (isRef(value) || typeof value !== 'object' || value instanceof Date) {
    out[prefix] = value
  } else if (Array.isArray(value)) {
    out[prefix] = value.every((v) => typeof v === 'string') ? [...value].sort() : value
  } else {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out)
  }
  return out
}

/** Field by field: every member the request sets, and an Input the live schedule has but app.yaml dropped. */
function scheduleChanges(live: ObservedSchedule['schedule'] | undefined, input: Record<string, unknown>): FieldChange[] {
  const { Name: _name, GroupName: _group, ...fields } = input
  const want = flatten(fields)
  if (!live) return Object.entries(want).map(([path, after]) => ({ path, after }))
  const have = flatten({ ...live, Arn: undefined, CreationDate: undefined, StartDate: undefined })
  const paths = [...Object.keys(want), ...('Target.Input' in have && !('Target.Input' in want) ? ['Target.Input'] : [])]
  return paths.flatMap((path) => {
    const after = want[path]
    const before = have[path]
    if (!isRef(after) && canonicalJson(after ?? null) === canonicalJson(before ?? null)) return []
    return [{ path, before, after }]
  })
}

/** shipit's schedule group: its tags are the schedule's ownership (Scheduler tags only groups). */
function planGroup(b: PartBuilder, observed: ObservedSchedule): { deps: string[]; refused?: boolean } {
  const name = b.desired.names.scheduleGroup
  const resource = { type: 'scheduler:schedule-group', name }
  if (!observed.group) {
    b.add({
      id: ID.group,
      action: 'create',
      resource,
      reason: "holds the app's schedule; its shipit tags mark the schedule as shipit's",
      request: Scheduler.CreateScheduleGroup.request({ Name: name, Tags: tagList(b.desired.tags) }),
      dependsOn: [],
    })
    return { deps: [ID.group] }
  }
  if (b.owned(observed.group.tags)) {
    b.keep(resource.type, name)
    return { deps: [] }
  }
  if (b.refuse(resource.type, name)) return { deps: [], refused: true }
  return { deps: [b.adopt(`${ID.group}-tags`, resource, Scheduler.TagResource.request({ ResourceArn: observed.group.arn, Tags: tagList(b.desired.tags) }))] }
}

/** The role Scheduler runs the target with: trusted by scheduler.amazonaws.com for this account and group, allowed only `run.policy`. */
function planRole(b: PartBuilder, observed: ObservedSchedule, run: ScheduleRun): { arn: string | Ref; deps: string[]; created: boolean; refused?: boolean } {
  const { names } = b.desired
  const name = names.schedulerRole
  const account = b.ctx.account ?? ACCOUNT_PLACEHOLDER
  const scope = { account, sourceArn: `arn:${arnPartition(b.ctx)}:scheduler:${b.ctx.region}:${account}:schedule-group/${names.scheduleGroup}` }
  const trust = trustPolicy('scheduler.amazonaws.com', scope)
  const policy = canonicalJson({ Version: '2012-10-17', Statement: run.policy })
  const live = observed.role
  const deps: string[] = []
  const trustWords = `scheduler.amazonaws.com may assume it for schedule group ${names.scheduleGroup} of account ${account} only`
  if (!live) {
    deps.push(
      b.add({
        id: ID.role,
        action: 'create',
        resource: { type: 'iam:role', name },
        reason: `the role the schedule runs ${run.what} with`,
        changes: [{ path: 'AssumeRolePolicyDocument', after: trustWords }],
        request: Iam.CreateRole.request({
          RoleName: name,
          AssumeRolePolicyDocument: trust,
          Description: `EventBridge Scheduler role of ${names.scheduleGroup}/${names.schedule}, managed by shipit`,
          Tags: tagList(b.desired.tags),
        }),
        dependsOn: [],
      }),
    )
  } else if (!b.owned(live.tags)) {
    if (b.refuse('iam:role', name)) return { arn: live.arn, deps, created: false, refused: true }
    deps.push(b.adopt(`${ID.role}-tags`, { type: 'iam:role', name }, Iam.TagRole.request({ RoleName: name, Tags: tagList(b.desired.tags) })))
  } else if (live.trustPolicy !== undefined && live.trustPolicy !== trust) {
    deps.push(
      b.add({
        id: `${ID.role}-trust`,
        action: 'update',
        resource: { type: 'iam:role', name },
        reason: 'trust scoped to this account and schedule group',
        changes: [{ path: 'AssumeRolePolicyDocument', before: live.trustPolicy, after: trustWords }],
        request: Iam.UpdateAssumeRolePolicy.request({ RoleName: name, PolicyDocument: trust }),
        dependsOn: [],
      }),
    )
  }
  if (live?.policy !== policy) {
    deps.push(
      b.add({
        id: ID.policy,
        action: live?.policy ? 'update' : 'create',
        resource: { type: 'iam:role-policy', name: `${name}/${SCHEDULER_POLICY_NAME}` },
        reason: `lets the schedule start ${run.what} and nothing else`,
        changes: run.policy.map((s) => ({ path: s.Action, after: s.Resource })),
        request: Iam.PutRolePolicy.request({ RoleName: name, PolicyName: SCHEDULER_POLICY_NAME, PolicyDocument: policy }),
        dependsOn: live ? b.present(`${ID.role}-tags`) : [ID.role],
      }),
    )
  }
  if (live && !deps.length) b.keep('iam:role', name)
  const arn = live ? live.arn : `arn:${arnPartition(b.ctx)}:iam::${account}:role/${name}`
  return { arn, deps, created: !live }
}

/**
 * The schedule, its group and its role, removed: first the schedule (nothing fires any more), then
 * the group and the role. Nothing of a group without shipit's tags is touched.
 */
export function planScheduleDelete(b: PartBuilder, observed: ObservedSchedule, after: string[]): string[] {
  const { names } = b.desired
  const kept = "kept: no shipit tags for this app and env (a schedule's ownership is its group's tags)"
  const ids: string[] = []
  const groupOurs = observed.group && b.owned(observed.group.tags)
  if (observed.group && !groupOurs) b.keep('scheduler:schedule-group', names.scheduleGroup, kept)
  if (groupOurs && observed.schedule) {
    ids.push(
      b.add({
        id: ID.schedule,
        action: 'delete',
        resource: { type: 'scheduler:schedule', name: `${names.scheduleGroup}/${names.schedule}` },
        request: Scheduler.DeleteSchedule.request({ Name: names.schedule, GroupName: names.scheduleGroup }),
        dependsOn: after,
        okErrors: ['ResourceNotFoundException'],
      }),
    )
  }
  if (groupOurs) {
    ids.push(
      b.add({
        id: ID.group,
        action: 'delete',
        resource: { type: 'scheduler:schedule-group', name: names.scheduleGroup },
        reason: 'with any schedule left in it',
        request: Scheduler.DeleteScheduleGroup.request({ Name: names.scheduleGroup }),
        dependsOn: [...after, ...b.present(ID.schedule)],
        okErrors: ['ResourceNotFoundException'],
      }),
    )
  }
  const role = observed.role
  if (role && b.owned(role.tags)) ids.push(...roleDelete(b, role.policy !== null, [...after, ...b.present(ID.schedule)]))
  else if (role) b.keep('iam:role', names.schedulerRole, kept)
  return ids
}

function roleDelete(b: PartBuilder, hasPolicy: boolean, after: string[]): string[] {
  const name = b.desired.names.schedulerRole
  const steps: Step[] = []
  if (hasPolicy) {
    steps.push({
      id: ID.policy,
      action: 'delete',
      resource: { type: 'iam:role-policy', name: `${name}/${SCHEDULER_POLICY_NAME}` },
      request: Iam.DeleteRolePolicy.request({ RoleName: name, PolicyName: SCHEDULER_POLICY_NAME }),
      dependsOn: after,
      okErrors: ['NoSuchEntityException'],
    })
  }
  steps.push({
    id: ID.role,
    action: 'delete',
    resource: { type: 'iam:role', name },
    request: Iam.DeleteRole.request({ RoleName: name }),
    dependsOn: [...after, ...(hasPolicy ? [ID.policy] : [])],
    okErrors: ['NoSuchEntityException'],
  })
  return steps.map((s) => b.add(s))
}
