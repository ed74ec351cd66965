import { DeleteServiceCommand, ECSClient, ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyPlan } from '../../../src/engine/apply.js'
import type { ContainerDesired } from '../../../src/manifest/resolve.js'
import { retryRules } from '../../../src/plan/types.js'
import { taskPublicIps } from '../../../src/targets/container/outputs.js'
import { type Reporter, silentReporter } from '../../../src/ui/reporter.js'
import { useFakeAws } from '../../helpers/fake.js'
import { apply, deploy, FARGATE_SERVICE, FARGATE_TASK, planFor, project } from './helpers.js'

describe('services deleted, draining or gone, and the tasks of task mode (in-memory AWS)', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const ecs = () => new ECSClient({ region: 'us-west-2' })

  it('a service left DRAINING by an interrupted destroy is waited out before CreateService, not taken as gone', async () => {
    // given a deployed service whose destroy was interrupted right after DeleteService (ECS drains it for 2 minutes)
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    fake.behavior.ecsServiceDrainSeconds = 120
    await ecs().send(new DeleteServiceCommand({ cluster: 'web-dev', service: 'web-dev', force: true }))
    expect([...fake.state.ecs.services.values()].map((s) => s.status)).toEqual(['DRAINING'])

    // when deploying again: the plan says it waits for the draining service
    const flow = await planFor(dir)
    const create = flow.plan.steps.find((s) => s.id === 'service')!
    expect(create.request.operation).toBe('CreateService')
    expect(flow.plan.warnings).toContain('service web-dev of an earlier deploy is still DRAINING: CreateService waits until ECS has removed it')
    expect(retryRules(create).map((r) => r.messageIncludes)).toContain('Creation of service was not idempotent')

    // then CreateService is refused as ECS refuses it while the old one drains, and succeeds once it is INACTIVE
    const waiting: string[] = []
    const reporter: Reporter = { ...silentReporter, stepWaiting: (_s, what) => waiting.push(what) }
    const result = await applyPlan(flow.session, flow.planned, flow.plan, {
      reporter,
      timeoutSeconds: 30,
      sleep: async (ms) => fake.advanceClock(ms),
    })
    expect(result.status).toBe('applied')
    expect(waiting.filter((w) => w.startsWith('waiting for'))[0]).toBe(
      'waiting for service web-dev, deleted earlier, to finish draining (DRAINING → INACTIVE), retry 1 (1 s)',
    )
    expect(fake.callsOf('CreateService').length).toBeGreaterThan(2)
    expect([...fake.state.ecs.services.values()].map((s) => s.status)).toEqual(['ACTIVE'])
  })

  it('destroy of a service someone else already deleted skips the ServicesInactive wait (the SDK waiter fails on MISSING)', async () => {
    // given a destroy planned while the service existed
    const dir = project(FARGATE_SERVICE)
    await deploy(dir)
    const flow = await planFor(dir, { command: 'destroy' })
    const del = flow.plan.steps.find((s) => s.id === 'service')!
    expect(del.wait?.waiter).toBe('ServicesInactive')
    // when someone deleted the service before the destroy ran, and ECS no longer knows it (ServiceNotFoundException)
    await ecs().send(new DeleteServiceCommand({ cluster: 'web-dev', service: 'web-dev', force: true }))
    fake.state.ecs.services.clear()
    fake.calls.length = 0

    // then DeleteService's ServiceNotFoundException counts as done and nothing waits for a service that does not exist
    const result = await apply(flow)
    expect(result.status).toBe('applied')
    expect(fake.callsOf('DeleteService')).toHaveLength(1)
    expect(fake.callsOf('DescribeServices').length).toBe(0)
  })

  it('lists the tasks of task mode by startedBy alone, as ECS requires, and finds their public IPs', async () => {
    // given a task-mode app deployed, then one of its tasks running (started by shipit)
    const dir = project(FARGATE_TASK)
    fake.state.ecs.taskOutcome = { exitCode: 0 }
    await deploy(dir)
    fake.state.ecs.taskOutcome = undefined
    const subnets = [...fake.state.ec2.subnets.keys()].slice(0, 1)
    await ecs().send(
      new RunTaskCommand({
        cluster: 'job-dev',
        taskDefinition: 'job-dev:1',
        launchType: 'FARGATE',
        startedBy: 'shipit',
        networkConfiguration: { awsvpcConfiguration: { subnets, assignPublicIp: 'ENABLED' } },
      }),
    )

    // ECS refuses startedBy beside another filter
    await expect(ecs().send(new ListTasksCommand({ cluster: 'job-dev', startedBy: 'shipit', family: 'job-dev' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    })

    // when the outputs look for the tasks' addresses
    const flow = await planFor(dir)
    const ips = await taskPublicIps(flow.session.clients, flow.session.desired as ContainerDesired)

    // then the running task's public IP is found, with ListTasks sent with startedBy as its only filter
    expect(ips).toHaveLength(1)
    expect(ips[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(fake.callsOf('ListTasks').at(-1)!.input).toEqual({ cluster: 'job-dev', startedBy: 'shipit' })
  })
})
