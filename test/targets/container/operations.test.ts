import { beforeEach, describe, expect, it } from 'vitest'
import { runOneOff } from '../../../src/engine/run.js'
import type { ShipitError } from '../../../src/errors.js'
import { silentReporter } from '../../../src/ui/reporter.js'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, FARGATE_SERVICE, planFor, project, rewrite } from './helpers.js'

describe('rollback and run (fargate) against the in-memory AWS', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('rollback moves the service back to the revision it ran before, recorded on the new one', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    rewrite(dir, FARGATE_SERVICE.replace('nginx:1.27', 'nginx:1.28'))
    await deploy(dir)
    // the new revision records the one the service ran
    const rev2 = fake.state.ecs.taskDefinitions.get(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:2`)!
    expect(rev2.tags).toContainEqual({ key: 'shipit:previous', value: 'web-dev:1' })

    // when rolling back
    fake.calls.length = 0
    const back = await deploy(dir, { command: 'rollback' })
    expect(back.plan.steps.map((s) => [s.request.operation, s.changes])).toEqual([
      ['UpdateService', [{ path: 'taskDefinition', before: 'web-dev:2', after: 'web-dev:1' }]],
    ])
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['UpdateService'])
    expect(back.outputs.revision).toBe(1)
    // the same form as deploy prints: the task definition's ARN
    expect(back.outputs.taskDefinition).toBe(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:1`)
    const service = fake.state.ecs.services.get(`arn:aws:ecs:us-west-2:${fake.account}:service/web-dev/web-dev`)!
    expect(service.taskDefinition).toBe(`arn:aws:ecs:us-west-2:${fake.account}:task-definition/web-dev:1`)

    // nothing before revision 1; --to picks one
    const err = (await planFor(dir, { command: 'rollback' }).catch((e: unknown) => e)) as ShipitError
    expect(err.code).toBe('NothingToRollBack')
    const forward = await planFor(dir, { command: 'rollback', to: '2' })
    expect(forward.plan.steps[0].request.input).toEqual({ cluster: 'web-dev', service: 'web-dev', taskDefinition: 'web-dev:2' })
    const unknown = (await planFor(dir, { command: 'rollback', to: '9' }).catch((e: unknown) => e)) as ShipitError
    expect(unknown.exitCode).toBe(3)
  })

  it('run starts one task of the deployed revision with the command, streams its logs and returns its exit code', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    fake.state.ecs.taskOutcome = { exitCode: 3, logLines: ['migrating', 'error: relation "users" already exists'] }
    const { session } = await planFor(dir)
    const lines: string[] = []
    const steps: string[] = []
    const outcome = await runOneOff(session, {
      command: ['npm', 'run', 'migrate'],
      timeoutSeconds: 30,
      onLog: (l) => lines.push(l),
      reporter: { ...silentReporter, stepStarted: (s) => steps.push(`${s.action} ${s.request.operation}`) },
    })
    expect(outcome.exitCode).toBe(3)
    expect(lines).toEqual(['migrating', 'error: relation "users" already exists'])
    expect(outcome.details).toMatchObject({ exitCode: 3, stoppedReason: 'Essential container in task exited' })
    // one RunTask, run by the executor as a plan step
    expect(steps).toEqual(['run RunTask'])
    expect(fake.mutatingCalls().filter((c) => c.operation === 'RunTask')).toHaveLength(1)
    const run = fake.callsOf('RunTask')[0].input
    expect(run).toMatchObject({
      cluster: 'web-dev',
      taskDefinition: 'web-dev:1',
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'shipit',
      overrides: { containerOverrides: [{ name: 'app', command: ['npm', 'run', 'migrate'] }] },
    })
    // in the service's own network
    const service = fake.state.ecs.services.get(`arn:aws:ecs:us-west-2:${fake.account}:service/web-dev/web-dev`)!
    expect(run.networkConfiguration).toEqual(service.networkConfiguration)
  })

  it('run exits 0 with the task when its container exits 0', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['done'] }
    const { session } = await planFor(dir)
    const outcome = await runOneOff(session, { timeoutSeconds: 30, reporter: silentReporter })
    expect(outcome.exitCode).toBe(0)
    expect(outcome.output).toMatch(/^task \S+ exited with code 0$/)
    expect(fake.callsOf('RunTask')[0].input.overrides).toBeUndefined()
  })

  it('run before any deploy says to deploy first', async () => {
    const { session } = await planFor(project(FARGATE_SERVICE))
    fake.calls.length = 0
    const err = (await runOneOff(session, { timeoutSeconds: 30, reporter: silentReporter }).catch((e: unknown) => e)) as ShipitError
    expect(err.code).toBe('NotDeployed')
    expect(fake.mutatingCalls()).toEqual([])
  })
})

describe('an interrupted one-off task', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('SIGINT while shipit run waits: the task it started is stopped (StopTask), exit 130, and it says so', async () => {
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    // a task that keeps running until stopped
    fake.state.ecs.taskOutcome = undefined
    const { session } = await planFor(dir)
    const controller = new AbortController()
    const running = runOneOff(session, {
      timeoutSeconds: 30,
      signal: controller.signal,
      reporter: { ...silentReporter, stepWaiting: () => controller.abort() },
    })
    const err = (await running.catch((e: unknown) => e)) as ShipitError
    expect(err.exitCode).toBe(130)
    expect(err.message).toMatch(/interrupted: stopped task \S+ it had started/)
    const started = fake.callsOf('RunTask')
    expect(started).toHaveLength(1)
    expect(fake.callsOf('StopTask').map((c) => c.input.reason)).toEqual(['interrupted (shipit)'])
    // the one-off task is stopped; the service's own tasks keep running
    const oneOff = [...fake.state.ecs.tasks.values()].filter((t) => t.startedBy === 'shipit')
    expect(oneOff.map((t) => t.desiredStatus)).toEqual(['STOPPED'])
  })
})
