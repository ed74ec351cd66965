import { beforeEach, describe, expect, it } from 'vitest'
import type { Session } from '../../../src/engine/session.js'
import { ShipitError } from '../../../src/errors.js'
import { type ExecuteContext, executePlan } from '../../../src/plan/execute.js'
import { CONTAINER_CATALOGUE } from '../../../src/targets/container/catalogue.js'
import { silentReporter } from '../../../src/ui/reporter.js'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, FARGATE_TASK, planFor, project } from './helpers.js'

/** The executor's context for a plan made by planFor: the container waiters, no artifacts or secrets. */
const executeContext = (session: Session): ExecuteContext => ({
  clients: session.clients,
  reporter: silentReporter,
  catalogue: CONTAINER_CATALOGUE,
  timeoutSeconds: 30,
  artifact: async () => new Uint8Array(),
  sensitive: () => '',
})

describe('fargate task mode (the article’s run-task) against the in-memory AWS', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('runs the exact revision with RunTask, waits until it stops with exit code 0, and runs it again on every deploy', async () => {
    const dir = project(FARGATE_TASK)
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['hello'] }

    // when deploying a task-mode app
    const first = await deploy(dir)

    // then the task ran to completion
    expect(first.status).toBe('applied')
    const run = fake.callsOf('RunTask')
    expect(run).toHaveLength(1)
    expect(run[0].input).toEqual({
      cluster: 'job-dev',
      taskDefinition: `arn:aws:ecs:us-west-2:${fake.account}:task-definition/job-dev:1`,
      launchType: 'FARGATE',
      count: 1,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0defaulta', 'subnet-0defaultb', 'subnet-0defaultc'],
          securityGroups: [expect.stringMatching(/^sg-/)],
          assignPublicIp: 'ENABLED',
        },
      },
      startedBy: 'shipit',
      // derived from the plan: the same saved plan sent again runs no second task
      clientToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      tags: [
        { key: 'shipit:app', value: 'job' },
        { key: 'shipit:env', value: 'dev' },
        { key: 'shipit:target', value: 'fargate' },
      ],
      propagateTags: 'TASK_DEFINITION',
    })
    const tasks = [...fake.state.ecs.tasks.values()]
    expect(tasks.map((t) => t.lastStatus)).toEqual(['STOPPED'])
    expect(first.outputs.tasks).toEqual([tasks[0].taskArn])
    // no port: the security group lets nothing in
    expect(fake.callsOf('AuthorizeSecurityGroupIngress')).toEqual([])

    // when deploying again with nothing changed: the revision is reused, the task runs again (running is the point)
    fake.calls.length = 0
    const second = await deploy(dir)
    expect(second.plan.steps.map((s) => `${s.action} ${s.request.operation}`)).toEqual(['run RunTask'])
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['RunTask'])
    expect(fake.callsOf('RunTask')[0].input.taskDefinition).toBe('job-dev:1')
  })

  it('a non-zero exit code fails the deploy with the stopped reason, the exit code and the last log lines', async () => {
    const dir = project(FARGATE_TASK)
    // given the container exits with 3 after logging
    fake.state.ecs.taskOutcome = {
      exitCode: 3,
      stoppedReason: 'Essential container in task exited',
      logLines: ['starting job', 'error: cannot reach db.internal:5432'],
    }

    // when deploying
    const err = (await deploy(dir).catch((e: unknown) => e)) as ShipitError

    // then it fails (exit 1) saying why, in ECS's and the container's words
    expect(err).toBeInstanceOf(ShipitError)
    expect(err.exitCode).toBe(1)
    expect(err.code).toBe('TaskFailed')
    expect(err.message).toMatch(/task [0-9a-f]{32} exited with code 3 \(Essential container in task exited\)/)
    expect(err.message).toContain('last log lines (/shipit/job/dev, shipit/app/')
    expect(err.message).toContain('error: cannot reach db.internal:5432')
  })

  it('the container’s exit code reaches the caller in the error details', async () => {
    const dir = project(FARGATE_TASK)
    fake.state.ecs.taskOutcome = { exitCode: 42, logLines: ['bye'] }
    const { session, plan } = await planFor(dir)
    const result = await executePlan(plan, executeContext(session))
    expect(result.ok).toBe(false)
    expect(result.results.find((r) => r.id === 'run')?.status).toBe('failed')
    expect(result.error?.details).toMatchObject({
      exitCode: 42,
      stoppedReason: 'Essential container in task exited',
      stopCode: 'EssentialContainerExited',
      logLines: ['bye'],
    })
  })

  it('a task that cannot start (no log group) fails with ECS’s stopped reason and no exit code', async () => {
    const dir = project(FARGATE_TASK)
    // given the log group is removed after the plan was made
    const { session, plan } = await planFor(dir)
    const steps = plan.steps.filter((s) => s.id !== 'log-group' && s.id !== 'log-retention')
    const result = await executePlan(
      { ...plan, steps: steps.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => d !== 'log-group' && d !== 'log-retention') })) },
      executeContext(session),
    )
    expect(result.error?.code).toBe('TaskFailed')
    expect(result.error?.message).toContain('stopped before its container ran: ResourceInitializationError')
    expect(result.error?.details).toMatchObject({ exitCode: null, stopCode: 'TaskFailedToStart' })
  })

  it('destroy stops tasks shipit started that still run', async () => {
    const dir = project(FARGATE_TASK)
    // given a task that keeps running (no programmed outcome), started without waiting for it (as deploy --no-wait would)
    fake.state.ecs.taskOutcome = undefined
    const flow = await planFor(dir)
    const steps = flow.plan.steps.map((s) => (s.id === 'run' ? { ...s, wait: undefined } : s))
    const result = await executePlan({ ...flow.plan, steps }, executeContext(flow.session))
    expect(result.ok).toBe(true)
    expect([...fake.state.ecs.tasks.values()].map((t) => t.desiredStatus)).toEqual(['RUNNING'])

    // when destroying
    const gone = await deploy(dir, { command: 'destroy' })
    expect(gone.plan.steps.map((s) => s.request.operation)).toContain('StopTask')
    expect([...fake.state.ecs.tasks.values()].map((t) => t.lastStatus)).toEqual(['STOPPED'])
    expect([...fake.state.ecs.clusters.values()].map((c) => c.status)).toEqual(['INACTIVE'])
  })

  it('count 0 registers the task definition and runs nothing', async () => {
    const dir = project(FARGATE_TASK.replace('count: 1', 'count: 0'))
    const { plan } = await planFor(dir)
    expect(plan.steps.map((s) => s.request.operation)).not.toContain('RunTask')
    expect(plan.warnings).toContain('container.count is 0: the task definition is registered, no task is run')
  })

  it('more than 10 tasks is refused before any call (exit 3)', async () => {
    const dir = project(FARGATE_TASK.replace('count: 1', 'count: 11'))
    const err = (await planFor(dir).catch((e: unknown) => e)) as ShipitError
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('more than RunTask starts at once (10)')
  })
})

describe('a re-run of a one-off deploy', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('says that a task of an earlier deploy still runs before it starts another', async () => {
    const dir = project(FARGATE_TASK)
    // given a task that keeps running, started by a deploy whose wait was interrupted
    fake.state.ecs.taskOutcome = undefined
    const first = await planFor(dir)
    const steps = first.plan.steps.map((s) => (s.id === 'run' ? { ...s, wait: undefined } : s))
    await executePlan({ ...first.plan, steps }, executeContext(first.session))
    const again = await planFor(dir)
    expect(again.plan.warnings.join('\n')).toMatch(/1 task started by an earlier deploy still runs \(\S+\); this deploy starts 1 more task/)
  })
})
