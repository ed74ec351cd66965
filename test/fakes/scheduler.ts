// EventBridge Scheduler: `schedule:` (issue 22), modelled from its API reference (scheduler-2021-06-30).
import { isProblem, isTimeZone, parseScheduleExpression } from '../../src/manifest/schedule-expression.js'
import type { FakeContext } from './context.js'
import { awsError, clone, decodeToken, encodeToken, type Handlers, page, upperTagsToMap } from './core.js'
import { roleTrustStatus } from './iam.js'

type Rec = Record<string, any>

export interface ScheduleGroupRecord {
  Name: string
  Arn: string
  State: 'ACTIVE' | 'DELETING'
  CreationDate: Date
  LastModificationDate: Date
  Tags: Record<string, string>
}

/** A schedule as GetSchedule answers it: every field UpdateSchedule replaces. */
export interface ScheduleRecord extends Rec {
  Name: string
  GroupName: string
  Arn: string
  CreationDate: Date
  LastModificationDate: Date
}

export interface SchedulerState {
  groups: Map<string, ScheduleGroupRecord>
  /** by `<group>/<name>` */
  schedules: Map<string, ScheduleRecord>
  /**
   * Seconds after CreateRole during which Scheduler cannot assume the role yet (IAM propagation):
   * CreateSchedule / UpdateSchedule answer ValidationException, as for a role that does not trust it.
   */
  rolePropagationSeconds: number
}

export function createSchedulerState(): SchedulerState {
  return { groups: new Map(), schedules: new Map(), rolePropagationSeconds: 0 }
}

const err = (name: string, message: string) => awsError('scheduler', name, message)
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/
export const CANNOT_ASSUME = 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.'
/** What UpdateSchedule replaces: a member left out of the request is reset, as the reference warns. */
const REPLACED = [
  'ScheduleExpression',
  'ScheduleExpressionTimezone',
  'FlexibleTimeWindow',
  'Target',
  'State',
  'Description',
  'StartDate',
  'EndDate',
  'KmsKeyArn',
  'ActionAfterCompletion',
] as const

export function schedulerHandlers(ctx: FakeContext): Handlers {
  const st = () => ctx.state.scheduler
  const arnPrefix = () => `arn:aws:scheduler:${ctx.region}:${ctx.account}`
  const groupArn = (name: string) => `${arnPrefix()}:schedule-group/${name}`
  const key = (group: string, name: string) => `${group}/${name}`

  /** The default group always exists; it cannot be tagged or deleted. */
  function group(name: string | undefined): ScheduleGroupRecord | undefined {
    const n = name ?? 'default'
    if (n === 'default') {
      const t = new Date(0)
      return { Name: 'default', Arn: groupArn('default'), State: 'ACTIVE', CreationDate: t, LastModificationDate: t, Tags: {} }
    }
    return st().groups.get(n)
  }
  function existingGroup(name: string | undefined): ScheduleGroupRecord {
    const g = group(name)
    if (!g) throw err('ResourceNotFoundException', `Schedule group ${name} does not exist.`)
    return g
  }
  function checkName(what: string, name: unknown) {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw err(
        'ValidationException',
        `1 validation error detected: Value '${name}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+`,
      )
    }
  }
  function groupOfArn(arn: unknown): ScheduleGroupRecord {
    const m = typeof arn === 'string' ? /^arn:aws(-[a-z]+)?:scheduler:[a-z0-9-]+:\d{12}:schedule-group\/([0-9a-zA-Z-_.]+)$/.exec(arn) : null
    if (!m) {
      throw err(
        'ValidationException',
        `1 validation error detected: Value '${arn}' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:scheduler:[a-z0-9\\-]+:\\d{12}:schedule-group\\/[0-9a-zA-Z-_.]+`,
      )
    }
    const g = st().groups.get(m[2])
    if (!g) throw err('ResourceNotFoundException', `Schedule group ${m[2]} does not exist.`)
    return g
  }

  /** What CreateSchedule and UpdateSchedule check: the expression, the zone, and a role Scheduler can assume now. */
  function checkSchedule(input: Rec) {
    for (const member of ['ScheduleExpression', 'FlexibleTimeWindow', 'Target']) {
      if (input[member] === undefined)
        throw err('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`)
    }
    if (isProblem(parseScheduleExpression(String(input.ScheduleExpression)))) throw err('ValidationException', 'Invalid Schedule Expression.')
    if (input.ScheduleExpressionTimezone !== undefined && !isTimeZone(input.ScheduleExpressionTimezone)) {
      throw err('ValidationException', `Invalid ScheduleExpressionTimezone: ${input.ScheduleExpressionTimezone}`)
    }
    const roleArn = input.Target?.RoleArn
    if (typeof roleArn !== 'string' || !input.Target?.Arn) {
      throw err('ValidationException', "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null")
    }
    if (roleTrustStatus(ctx, roleArn, 'scheduler.amazonaws.com') !== 'ok' || propagating(roleArn)) throw err('ValidationException', CANNOT_ASSUME)
  }
  function propagating(roleArn: string): boolean {
    const seconds = st().rolePropagationSeconds
    const created = ctx.state.iam.roles.get(roleArn.split('/').pop()?.toLowerCase() ?? '')?.role.CreateDate
    return seconds > 0 && created !== undefined && ctx.now().getTime() - new Date(created).getTime() < seconds * 1000
  }
  function existing(input: Rec): ScheduleRecord {
    const s = st().schedules.get(key(input.GroupName ?? 'default', input.Name))
    if (!s) throw err('ResourceNotFoundException', `Schedule ${input.Name} does not exist.`)
    return s
  }
  const fields = (input: Rec): Rec => {
    const out: Rec = { State: 'ENABLED' }
    for (const m of REPLACED) if (input[m] !== undefined) out[m] = clone(input[m])
    return out
  }

  return {
    CreateScheduleGroup(input: Rec) {
      checkName('name', input.Name)
      if (group(input.Name)) throw err('ConflictException', `Schedule group ${input.Name} already exists.`)
      const now = ctx.now()
      const g: ScheduleGroupRecord = {
        Name: input.Name,
        Arn: groupArn(input.Name),
        State: 'ACTIVE',
        CreationDate: now,
        LastModificationDate: now,
        Tags: upperTagsToMap(input.Tags),
      }
      st().groups.set(g.Name, g)
      return { ScheduleGroupArn: g.Arn }
    },
    GetScheduleGroup(input: Rec) {
      const g = existingGroup(input.Name)
      return { Arn: g.Arn, Name: g.Name, State: g.State, CreationDate: g.CreationDate, LastModificationDate: g.LastModificationDate }
    },
    ListScheduleGroups(input: Rec) {
      const all = [group('default') as ScheduleGroupRecord, ...st().groups.values()].filter((g) => !input.NamePrefix || g.Name.startsWith(input.NamePrefix))
      const offset = decodeToken(input.NextToken, 'sg') ?? 0
      const p = page(all, offset, input.MaxResults ?? 100)
      return {
        ScheduleGroups: p.items.map((g) => ({
          Arn: g.Arn,
          Name: g.Name,
          State: g.State,
          CreationDate: g.CreationDate,
          LastModificationDate: g.LastModificationDate,
        })),
        ...(p.next !== undefined ? { NextToken: encodeToken(p.next, 'sg') } : {}),
      }
    },
    DeleteScheduleGroup(input: Rec) {
      if ((input.Name ?? 'default') === 'default') throw err('ValidationException', 'The default schedule group cannot be deleted.')
      existingGroup(input.Name)
      // the group goes with every schedule in it (AWS: asynchronously; here at once)
      for (const k of [...st().schedules.keys()]) if (k.startsWith(`${input.Name}/`)) st().schedules.delete(k)
      st().groups.delete(input.Name)
      return {}
    },
    CreateSchedule(input: Rec) {
      checkName('name', input.Name)
      const g = existingGroup(input.GroupName)
      if (st().schedules.has(key(g.Name, input.Name))) throw err('ConflictException', `Schedule ${input.Name} already exists.`)
      checkSchedule(input)
      const now = ctx.now()
      const arn = `${arnPrefix()}:schedule/${g.Name}/${input.Name}`
      st().schedules.set(key(g.Name, input.Name), {
        Name: input.Name,
        GroupName: g.Name,
        Arn: arn,
        CreationDate: now,
        LastModificationDate: now,
        ...fields(input),
      })
      return { ScheduleArn: arn }
    },
    GetSchedule(input: Rec) {
      existingGroup(input.GroupName)
      return clone(existing(input))
    },
    UpdateSchedule(input: Rec) {
      existingGroup(input.GroupName)
      const s = existing(input)
      checkSchedule(input)
      const updated: ScheduleRecord = {
        Name: s.Name,
        GroupName: s.GroupName,
        Arn: s.Arn,
        CreationDate: s.CreationDate,
        LastModificationDate: ctx.now(),
        ...fields(input),
      }
      st().schedules.set(key(s.GroupName, s.Name), updated)
      return { ScheduleArn: s.Arn }
    },
    DeleteSchedule(input: Rec) {
      existingGroup(input.GroupName)
      existing(input)
      st().schedules.delete(key(input.GroupName ?? 'default', input.Name))
      return {}
    },
    ListSchedules(input: Rec) {
      const all = [...st().schedules.values()].filter(
        (s) =>
          (input.GroupName === undefined || s.GroupName === input.GroupName) &&
          (!input.NamePrefix || s.Name.startsWith(input.NamePrefix)) &&
          (input.State === undefined || s.State === input.State),
      )
      const offset = decodeToken(input.NextToken, 'sc') ?? 0
      const p = page(all, offset, input.MaxResults ?? 100)
      return {
        Schedules: p.items.map((s) => ({
          Arn: s.Arn,
          Name: s.Name,
          GroupName: s.GroupName,
          State: s.State,
          CreationDate: s.CreationDate,
          LastModificationDate: s.LastModificationDate,
          Target: { Arn: s.Target?.Arn },
        })),
        ...(p.next !== undefined ? { NextToken: encodeToken(p.next, 'sc') } : {}),
      }
    },
    // only schedule groups carry tags ("You can only assign tags to schedule groups.")
    TagResource(input: Rec) {
      const g = groupOfArn(input.ResourceArn)
      Object.assign(g.Tags, upperTagsToMap(input.Tags))
      return {}
    },
    UntagResource(input: Rec) {
      const g = groupOfArn(input.ResourceArn)
      for (const k of input.TagKeys ?? []) delete g.Tags[k]
      return {}
    },
    ListTagsForResource(input: Rec) {
      const g = groupOfArn(input.ResourceArn)
      return { Tags: Object.entries(g.Tags).map(([Key, Value]) => ({ Key, Value })) }
    },
  }
}
