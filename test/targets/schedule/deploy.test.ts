import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, planFor, project } from '../../helpers/session.js'

const TASK = (schedule: string) => `
name: nightly
region: us-west-2
container:
  image: public.ecr.aws/docker/library/busybox:1.36
  command: ["sh", "-c", "echo nightly"]
  mode: task
schedule: ${schedule}
`
const FUNCTION = (schedule: string) => `
name: report
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
schedule: ${schedule}
`
const policyOf = (doc: string) => JSON.parse(decodeURIComponent(doc))

describe('schedule: on the in-memory AWS', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('a task: deploy makes the group, the role allowed only that family, and the schedule; redeploy writes nothing; a new expression is one update; destroy removes it all', async () => {
    const dir = project(TASK('"cron(0 3 * * ? *)"'), {})

    // given nothing exists, when deploying a task with a schedule
    const first = await deploy(dir, { target: 'fargate' })
    expect(first.status).toBe('applied')
    // then the deploy does not run the task itself: the schedule does
    expect(fake.callsOf('RunTask')).toEqual([])
    const group = fake.state.scheduler.groups.get('shipit-nightly-dev')!
    expect(group.Tags).toMatchObject({ 'shipit:app': 'nightly', 'shipit:env': 'dev' })
    const schedule = fake.state.scheduler.schedules.get('shipit-nightly-dev/nightly-dev')!
    const td = [...fake.state.taskDefinitions.values()][0]
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: {
        Arn: `arn:aws:ecs:us-west-2:${fake.account}:cluster/nightly-dev`,
        RoleArn: `arn:aws:iam::${fake.account}:role/shipit-nightly-dev-scheduler`,
        EcsParameters: { TaskDefinitionArn: expect.stringMatching(/:task-definition\/nightly-dev:1$/), TaskCount: 1, LaunchType: 'FARGATE' },
      },
    })
    expect(schedule.Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.Subnets.length).toBeGreaterThan(0)
    expect(td).toBeDefined()
    // the role: trusted by Scheduler for this account and group, allowed RunTask of this family only (and to pass the task's role)
    const role = fake.state.roles.get('shipit-nightly-dev-scheduler')!
    const trust = policyOf(role.role.AssumeRolePolicyDocument)
    expect(trust.Statement[0]).toMatchObject({
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': fake.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:scheduler:us-west-2:${fake.account}:schedule-group/shipit-nightly-dev` },
      },
    })
    const put = fake.callsOf('PutRolePolicy').find((c) => c.input.RoleName === 'shipit-nightly-dev-scheduler')!
    const statements = JSON.parse(put.input.PolicyDocument).Statement
    expect(statements.map((s: { Action: string }) => s.Action).sort()).toEqual(['ecs:RunTask', 'ecs:TagResource', 'iam:PassRole'])
    expect(statements.find((s: { Action: string }) => s.Action === 'ecs:RunTask').Resource).toBe(
      `arn:aws:ecs:us-west-2:${fake.account}:task-definition/nightly-dev:*`,
    )
    expect(statements.find((s: { Action: string }) => s.Action === 'iam:PassRole').Resource).toEqual([
      `arn:aws:iam::${fake.account}:role/shipit-nightly-dev-task-exec`,
    ])
    expect(first.outputs.schedule).toBe('cron(0 3 * * ? *) UTC')
    expect(first.outputs.nextRun).toMatch(/T03:00:00\.000Z$/)

    // when deploying again with nothing changed: not one write
    fake.calls.length = 0
    const second = await deploy(dir, { target: 'fargate' })
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])

    // when the expression changes: one UpdateSchedule, a full replace with every field
    writeFileSync(join(dir, 'app.yaml'), TASK('{ expression: "rate(6 hours)", timezone: Europe/Paris }'))
    fake.calls.length = 0
    const third = await deploy(dir, { target: 'fargate' })
    expect(third.plan.steps.find((s) => s.id === 'schedule')?.changes?.map((c) => c.path)).toEqual(['ScheduleExpression', 'ScheduleExpressionTimezone'])
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateSchedule'])
    expect(fake.state.scheduler.schedules.get('shipit-nightly-dev/nightly-dev')).toMatchObject({
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: { EcsParameters: { LaunchType: 'FARGATE' } },
    })

    // when destroying: the schedule, its group and its role are gone with the rest
    const gone = await deploy(dir, { target: 'fargate', command: 'destroy' })
    expect(gone.status).toBe('applied')
    expect(fake.state.scheduler.schedules.size).toBe(0)
    expect(fake.state.scheduler.groups.size).toBe(0)
    expect(fake.state.roles.has('shipit-nightly-dev-scheduler')).toBe(false)
  })

  it('a new task revision moves the schedule to it (one update); removing schedule: removes the schedule', async () => {
    const dir = project(TASK('"rate(1 hour)"'), {})
    await deploy(dir, { target: 'fargate' })
    writeFileSync(join(dir, 'app.yaml'), TASK('"rate(1 hour)"').replace('echo nightly', 'echo nightly v2'))
    fake.calls.length = 0
    await deploy(dir, { target: 'fargate' })
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['RegisterTaskDefinition', 'UpdateSchedule'])
    expect(fake.state.scheduler.schedules.get('shipit-nightly-dev/nightly-dev')?.Target.EcsParameters.TaskDefinitionArn).toMatch(
      /task-definition\/nightly-dev:2$/,
    )

    // app.yaml without schedule: what shipit made for it goes (a schedule nobody asks for must not keep firing)
    writeFileSync(join(dir, 'app.yaml'), TASK('"rate(1 hour)"').replace('schedule: "rate(1 hour)"', ''))
    const flow = await planFor(dir, { target: 'fargate' })
    expect(flow.plan.steps.filter((s) => s.action === 'delete').map((s) => s.id)).toEqual(
      expect.arrayContaining(['schedule', 'schedule-group', 'scheduler-role-policy', 'scheduler-role']),
    )
  })

  it('on ecs the schedule starts the task with launch type EC2; enabled: false keeps it but stops it firing', async () => {
    const dir = project(TASK('{ expression: "rate(1 day)", enabled: false }'), {})
    const { plan } = await planFor(dir, { target: 'ecs' })
    const step = plan.steps.find((s) => s.id === 'schedule')
    expect(step?.request.input).toMatchObject({ State: 'DISABLED', Target: { EcsParameters: { LaunchType: 'EC2', TaskCount: 1 } } })
  })

  it('a function: the schedule invokes the live alias with its payload, and the role may invoke that function only', async () => {
    const dir = project(FUNCTION('{ expression: "cron(30 6 ? * MON-FRI *)", timezone: America/New_York, payload: { report: daily } }'))
    const first = await deploy(dir, { target: 'lambda' })
    expect(first.status).toBe('applied')
    const fnArn = fake.state.lambda.functions.get('report-dev')!.config.FunctionArn
    expect(fake.state.scheduler.schedules.get('shipit-report-dev/report-dev')).toMatchObject({
      ScheduleExpression: 'cron(30 6 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'America/New_York',
      Target: { Arn: `${fnArn}:live`, Input: '{"report":"daily"}' },
    })
    const put = fake.callsOf('PutRolePolicy').find((c) => c.input.RoleName === 'shipit-report-dev-scheduler')!
    expect(JSON.parse(put.input.PolicyDocument).Statement).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [fnArn, `${fnArn}:*`] }])
    // the schedule is made once the alias serves the version (its step waits for the alias)
    const ops = fake.mutatingCalls().map((c) => c.operation)
    expect(ops.indexOf('CreateSchedule')).toBeGreaterThan(ops.indexOf('CreateAlias'))

    fake.calls.length = 0
    expect((await deploy(dir, { target: 'lambda' })).status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])

    await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(fake.state.scheduler.schedules.size).toBe(0)
    expect(fake.state.scheduler.groups.size).toBe(0)
    expect(fake.state.roles.has('shipit-report-dev-scheduler')).toBe(false)
  })

  it("a group with shipit's name but not its tags is refused on deploy and kept by destroy; the schedule in it is never changed", async () => {
    // given someone else's group and schedule under shipit's names
    const { SchedulerClient, CreateScheduleGroupCommand, CreateScheduleCommand } = await import('@aws-sdk/client-scheduler')
    const { IAMClient, CreateRoleCommand } = await import('@aws-sdk/client-iam')
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    })
    const role = await new IAMClient({ region: 'us-west-2' }).send(new CreateRoleCommand({ RoleName: 'theirs', AssumeRolePolicyDocument: trust }))
    const scheduler = new SchedulerClient({ region: 'us-west-2' })
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'shipit-report-dev' }))
    const theirs = {
      Name: 'report-dev',
      GroupName: 'shipit-report-dev',
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: 'arn:aws:lambda:us-west-2:123456789012:function:other', RoleArn: role.Role!.Arn! },
    }
    await scheduler.send(new CreateScheduleCommand(theirs))
    const dir = project(FUNCTION('"rate(1 day)"'))

    // when planning a deploy: blocked, with why
    const flow = await planFor(dir, { target: 'lambda' })
    expect(flow.plan.blocked?.map((b) => b.resource)).toContainEqual({ type: 'scheduler:schedule-group', name: 'shipit-report-dev' })
    expect(flow.plan.steps.some((s) => s.request.service === 'scheduler')).toBe(false)

    // when destroying: kept, nothing of Scheduler is sent
    fake.calls.length = 0
    await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(fake.mutatingCalls().filter((c) => c.service === 'scheduler')).toEqual([])
    expect(fake.state.scheduler.schedules.get('shipit-report-dev/report-dev')).toMatchObject({ ScheduleExpression: 'rate(5 minutes)' })
  })

  it('a scheduler role IAM has not propagated yet: CreateSchedule is retried until Scheduler can assume it', async () => {
    fake.state.scheduler.rolePropagationSeconds = 5
    const dir = project(FUNCTION('"rate(1 day)"'))
    const slept: number[] = []
    const flow = await planFor(dir, { target: 'lambda' })
    const { applyPlan } = await import('../../../src/engine/apply.js')
    const { silentReporter } = await import('../../../src/ui/reporter.js')
    const outcome = await applyPlan(flow.session, flow.planned, flow.plan, {
      reporter: silentReporter,
      timeoutSeconds: 30,
      sleep: async (ms: number) => {
        slept.push(ms)
        fake.advanceClock(ms)
      },
    })
    expect(outcome.status).toBe('applied')
    expect(fake.callsOf('CreateSchedule').length).toBeGreaterThan(1)
    expect(slept.length).toBeGreaterThan(0)
    expect(fake.state.scheduler.schedules.size).toBe(1)
  })
})
