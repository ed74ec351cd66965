import { awsOperation, type Catalogue } from '../../plan/catalogue.js'
import { on, type Permission, type PolicyUse, permission, READ, regional, taggedRequest } from '../../plan/permissions.js'
import { SCHEDULER } from '../cli-versions.js'
import { notOurs, read, sameOwner } from '../read-back.js'
import { DELETE, PASSED_ROLES, passRole, TAG } from '../shared-catalogue.js'

/**
 * The EventBridge Scheduler operations of `schedule:`, shared by the lambda and container targets:
 * a schedule group shipit makes and tags (Scheduler tags only groups), the schedule in it.
 */

const RUNBOOK = { cli: SCHEDULER }

export const Scheduler = {
  CreateScheduleGroup: awsOperation('scheduler', 'CreateScheduleGroup', {
    idempotency: { kind: 'recover', read: 'GetScheduleGroup and its shipit tags' },
    runbook: RUNBOOK,
    recover: async (input, clients) => {
      const group = await read(clients.send('scheduler', 'GetScheduleGroup', { Name: input.Name }))
      if (!group?.Arn) return undefined
      const what = `schedule group ${input.Name}`
      const tags = await clients.send('scheduler', 'ListTagsForResource', { ResourceArn: group.Arn })
      if (!sameOwner(input.Tags, tags.Tags)) throw notOurs(what)
      return { outputs: { ScheduleGroupArn: group.Arn }, what }
    },
  }),
  // the group is shipit's (the plan proved it by its tags): a schedule found in it after a lost answer is the one asked for
  CreateSchedule: awsOperation('scheduler', 'CreateSchedule', {
    idempotency: { kind: 'recover', read: "GetSchedule in shipit's schedule group" },
    runbook: RUNBOOK,
    recover: async (input, clients) => {
      const schedule = await read(clients.send('scheduler', 'GetSchedule', { Name: input.Name, GroupName: input.GroupName }))
      if (!schedule?.Arn) return undefined
      return { outputs: { ScheduleArn: schedule.Arn }, what: `schedule ${input.GroupName}/${input.Name}` }
    },
  }),
  // a full replace: sending it again sets every field to the same values
  UpdateSchedule: awsOperation('scheduler', 'UpdateSchedule', {
    idempotency: { kind: 'natural', why: 'a full replace of the schedule: sending it again sets the same values' },
    runbook: RUNBOOK,
  }),
  TagResource: awsOperation('scheduler', 'TagResource', { idempotency: TAG, runbook: RUNBOOK }),
  DeleteSchedule: awsOperation('scheduler', 'DeleteSchedule', { idempotency: DELETE, runbook: RUNBOOK }),
  DeleteScheduleGroup: awsOperation('scheduler', 'DeleteScheduleGroup', { idempotency: DELETE, runbook: RUNBOOK }),
}

const SchedulerReads = {
  GetScheduleGroup: awsOperation('scheduler', 'GetScheduleGroup', { read: true }),
  GetSchedule: awsOperation('scheduler', 'GetSchedule', { read: true }),
  ListTagsForResource: awsOperation('scheduler', 'ListTagsForResource', { read: true }),
}

/** shipit's schedule groups, `shipit-<app>-<env>`. */
const GROUPS = regional(
  'scheduler',
  (name) => `schedule-group/${name}`,
  (scope) => [`shipit-${scope.app}-${scope.env}`],
)
/** The schedules in them: `schedule/<group>/<name>`, named by the request's group and name. */
const SCHEDULES = regional(
  'scheduler',
  (name) => `schedule/${name}`,
  (scope) => [`shipit-${scope.app}-${scope.env}/*`],
)
const group = (i: { Name?: string }) => i.Name
const schedule = (i: { Name?: string; GroupName?: string }) => `${i.GroupName ?? 'default'}/${i.Name}`
const groupArn = (i: { ResourceArn?: string }) => i.ResourceArn
const DEPLOY: PolicyUse[] = ['deploy']
const BOTH: PolicyUse[] = ['deploy', 'destroy']

const SCHEDULER_PERMISSIONS: Permission[] = [
  // a create with tags needs scheduler:TagResource too
  permission(
    Scheduler.CreateScheduleGroup,
    DEPLOY,
    on(GROUPS, 'scheduler:CreateScheduleGroup', group, taggedRequest),
    on(GROUPS, 'scheduler:TagResource', group, taggedRequest),
  ),
  permission(
    Scheduler.CreateSchedule,
    DEPLOY,
    on(SCHEDULES, 'scheduler:CreateSchedule', schedule),
    passRole(PASSED_ROLES, 'scheduler.amazonaws.com', (i) => i.Target?.RoleArn),
  ),
  permission(
    Scheduler.UpdateSchedule,
    DEPLOY,
    on(SCHEDULES, 'scheduler:UpdateSchedule', schedule),
    passRole(PASSED_ROLES, 'scheduler.amazonaws.com', (i) => i.Target?.RoleArn),
  ),
  permission(Scheduler.TagResource, BOTH, on(GROUPS, 'scheduler:TagResource', groupArn, taggedRequest)),
  permission(Scheduler.DeleteSchedule, BOTH, on(SCHEDULES, 'scheduler:DeleteSchedule', schedule)),
  permission(Scheduler.DeleteScheduleGroup, ['destroy'], on(GROUPS, 'scheduler:DeleteScheduleGroup', group)),
  permission(SchedulerReads.GetScheduleGroup, READ, on(GROUPS, 'scheduler:GetScheduleGroup', group)),
  permission(SchedulerReads.GetSchedule, READ, on(SCHEDULES, 'scheduler:GetSchedule', schedule)),
  permission(SchedulerReads.ListTagsForResource, READ, on(GROUPS, 'scheduler:ListTagsForResource', groupArn)),
]

/** Joined into the lambda and container catalogues: both targets plan schedules. */
export const SCHEDULE_CATALOGUE: Partial<Catalogue> = {
  operations: [...Object.values(Scheduler), ...Object.values(SchedulerReads)],
  permissions: SCHEDULER_PERMISSIONS,
}
