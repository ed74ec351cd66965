import type { GetScheduleCommandOutput } from '@aws-sdk/client-scheduler'
import type { AwsClients } from '../../aws/clients.js'
import { orNullIfMissing } from '../../aws/errors.js'
import { canonicalJson } from '../../digest.js'
import type { Desired } from '../../manifest/resolve.js'
import { type ObservedRole, observeRole, roleReads } from '../iam-role.js'
import { tagMap } from '../target.js'

/** The inline policy of the scheduler role: what the schedule may start (one task family, or one function). */
export const SCHEDULER_POLICY_NAME = 'shipit-scheduler'

/** The schedule's members shipit manages, as GetSchedule answers them. */
type LiveSchedule = Pick<
  GetScheduleCommandOutput,
  'Arn' | 'ScheduleExpression' | 'ScheduleExpressionTimezone' | 'State' | 'Target' | 'FlexibleTimeWindow' | 'Description' | 'CreationDate' | 'StartDate'
>

export interface ObservedSchedule {
  /** shipit's group; its tags say whose it is (schedules carry none) */
  group: { arn: string; tags: Record<string, string> } | null
  /** the schedule in that group */
  schedule: LiveSchedule | null
  role: (ObservedRole & { policy: string | null }) | null
}

export const NO_SCHEDULE: ObservedSchedule = { group: null, schedule: null, role: null }

/**
 * What exists of the app's schedule. Without `schedule:` (and outside destroy) only the group is read:
 * one read, beside the target's own, finds a schedule that app.yaml no longer asks for.
 */
export async function observeSchedule(clients: AwsClients, desired: Desired, command?: string): Promise<ObservedSchedule> {
  const names = desired.names
  const everything = Boolean(desired.schedule) || command === 'destroy'
  const [group, role] = await Promise.all([
    orNullIfMissing(clients.send('scheduler', 'GetScheduleGroup', { Name: names.scheduleGroup })),
    everything ? observeSchedulerRole(clients, names.schedulerRole) : Promise.resolve(null),
  ])
  if (!group?.Arn) return { group: null, schedule: null, role }
  const [tags, schedule, lateRole] = await Promise.all([
    clients.send('scheduler', 'ListTagsForResource', { ResourceArn: group.Arn }),
    orNullIfMissing(clients.send('scheduler', 'GetSchedule', { Name: names.schedule, GroupName: names.scheduleGroup })),
    everything ? Promise.resolve(role) : observeSchedulerRole(clients, names.schedulerRole),
  ])
  return {
    group: { arn: group.Arn, tags: tagMap(tags.Tags) },
    schedule: schedule && {
      Arn: schedule.Arn,
      ScheduleExpression: schedule.ScheduleExpression,
      ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
      State: schedule.State,
      Target: schedule.Target,
      FlexibleTimeWindow: schedule.FlexibleTimeWindow,
      Description: schedule.Description,
      CreationDate: schedule.CreationDate,
      StartDate: schedule.StartDate,
    },
    role: lateRole,
  }
}

async function observeSchedulerRole(clients: AwsClients, name: string): Promise<ObservedSchedule['role']> {
  const reads = roleReads(clients, name)
  const [role, inline] = await Promise.all([
    observeRole(clients, name, false, reads),
    reads.part((speculative) =>
      orNullIfMissing(clients.send('iam', 'GetRolePolicy', { RoleName: name, PolicyName: SCHEDULER_POLICY_NAME }, undefined, { speculative })),
    ),
  ])
  if (!role) return null
  return { ...role, policy: inline ? canonicalPolicy(inline.PolicyDocument) : null }
}

/** IAM returns the document URL-encoded and reformatted: compared as canonical JSON. */
function canonicalPolicy(encoded: string | undefined): string {
  const raw = decodeURIComponent(encoded ?? '')
  try {
    return canonicalJson(JSON.parse(raw))
  } catch {
    return raw
  }
}
