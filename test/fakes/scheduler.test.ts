import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
  TagResourceCommand,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler'
import { beforeEach, describe, expect, it } from 'vitest'
import { useFakeAws } from '../helpers/fake.js'

const trusting = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] })

describe('the fake EventBridge Scheduler', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const scheduler = () => new SchedulerClient({ region: 'us-west-2' })
  const role = async (name: string, service = 'scheduler.amazonaws.com') =>
    (await new IAMClient({ region: 'us-west-2' }).send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trusting(service) }))).Role!.Arn!
  const schedule = (RoleArn: string, over: Record<string, unknown> = {}) => ({
    Name: 's',
    GroupName: 'g',
    ScheduleExpression: 'rate(1 hour)',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: { Arn: 'arn:aws:lambda:us-west-2:123456789012:function:f', RoleArn },
    ...over,
  })

  it('answers with the errors of the API reference: a second create conflicts, a missing one is not found', async () => {
    const arn = await role('r')
    await scheduler().send(new CreateScheduleGroupCommand({ Name: 'g' }))
    await expect(scheduler().send(new CreateScheduleGroupCommand({ Name: 'g' }))).rejects.toMatchObject({ name: 'ConflictException' })
    await scheduler().send(new CreateScheduleCommand(schedule(arn)))
    await expect(scheduler().send(new CreateScheduleCommand(schedule(arn)))).rejects.toMatchObject({
      name: 'ConflictException',
      message: 'Schedule s already exists.',
    })
    await expect(scheduler().send(new GetScheduleCommand({ Name: 'nope', GroupName: 'g' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
    await expect(scheduler().send(new CreateScheduleCommand(schedule(arn, { GroupName: 'other' })))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    })
    await expect(scheduler().send(new CreateScheduleCommand(schedule(arn, { Name: 't', ScheduleExpression: 'rate(1 hours)' })))).rejects.toMatchObject({
      name: 'ValidationException',
    })
  })

  it('refuses a role Scheduler cannot assume, as the service does at create', async () => {
    const lambdaRole = await role('lambda-only', 'lambda.amazonaws.com')
    await scheduler().send(new CreateScheduleGroupCommand({ Name: 'g' }))
    await expect(scheduler().send(new CreateScheduleCommand(schedule(lambdaRole)))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.',
    })
  })

  it('UpdateSchedule replaces every field: one left out is reset', async () => {
    const arn = await role('r')
    await scheduler().send(new CreateScheduleGroupCommand({ Name: 'g' }))
    await scheduler().send(new CreateScheduleCommand(schedule(arn, { ScheduleExpressionTimezone: 'Europe/Paris', State: 'DISABLED', Description: 'd' })))
    await scheduler().send(new UpdateScheduleCommand(schedule(arn, { ScheduleExpression: 'rate(2 hours)' })))
    const got = await scheduler().send(new GetScheduleCommand({ Name: 's', GroupName: 'g' }))
    expect(got).toMatchObject({ ScheduleExpression: 'rate(2 hours)', State: 'ENABLED' })
    expect(got.ScheduleExpressionTimezone).toBeUndefined()
    expect(got.Description).toBeUndefined()
  })

  it('tags only schedule groups; deleting a group deletes its schedules', async () => {
    const arn = await role('r')
    const { ScheduleGroupArn } = await scheduler().send(new CreateScheduleGroupCommand({ Name: 'g', Tags: [{ Key: 'shipit:app', Value: 'a' }] }))
    const { ScheduleArn } = await scheduler().send(new CreateScheduleCommand(schedule(arn)))
    await expect(scheduler().send(new TagResourceCommand({ ResourceArn: ScheduleArn, Tags: [{ Key: 'k', Value: 'v' }] }))).rejects.toMatchObject({
      name: 'ValidationException',
    })
    await scheduler().send(new TagResourceCommand({ ResourceArn: ScheduleGroupArn, Tags: [{ Key: 'k', Value: 'v' }] }))
    expect((await scheduler().send(new ListTagsForResourceCommand({ ResourceArn: ScheduleGroupArn }))).Tags).toEqual([
      { Key: 'shipit:app', Value: 'a' },
      { Key: 'k', Value: 'v' },
    ])
    await scheduler().send(new DeleteScheduleGroupCommand({ Name: 'g' }))
    expect(fake.state.scheduler.schedules.size).toBe(0)
  })
})
