import { beforeEach, describe, expect, it } from 'vitest'
import { applyPlan } from '../../../src/engine/apply.js'
import { ShipitError } from '../../../src/errors.js'
import { retryRules } from '../../../src/plan/types.js'
import { ROLE_PROPAGATION_SECONDS } from '../../../src/targets/iam-role.js'
import { type Reporter, silentReporter } from '../../../src/ui/reporter.js'
import { useFakeAws } from '../../helpers/fake.js'
import { FARGATE_SERVICE, FARGATE_TASK, type Flow, planFor, project } from './helpers.js'

const UNABLE = (account: string, app: string) =>
  `ECS was unable to assume the role 'arn:aws:iam::${account}:role/shipit-${app}-dev-task-exec' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`

describe('IAM propagation and the service-linked role on the container targets (in-memory AWS)', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  /** Apply with the retries' pauses moving the fake's clock instead of waiting; what the progress line said is kept. */
  async function applyWithClock(flow: Flow) {
    const waiting: string[] = []
    let sleptMs = 0
    const reporter: Reporter = { ...silentReporter, stepWaiting: (_step, what) => waiting.push(what) }
    const sleep = async (ms: number) => {
      sleptMs += ms
      fake.advanceClock(ms)
    }
    const outcome = applyPlan(flow.session, flow.planned, flow.plan, { reporter, timeoutSeconds: 30, sleep })
    return { outcome, waiting, slept: () => sleptMs }
  }

  it('a fresh fargate service deploy in a new account waits out the service-linked role and the new role, then converges', async () => {
    // given a new account (no AWSServiceRoleForECS yet) where ECS cannot assume a role for 10 s after CreateRole
    fake.behavior.ecsFreshAccount = true
    fake.behavior.ecsRolePropagationSeconds = 10
    const flow = await planFor(project(FARGATE_SERVICE))
    const service = flow.plan.steps.find((s) => s.id === 'service')!
    expect(retryRules(service).map((r) => `${r.errorName}: ${r.messageIncludes}`)).toEqual([
      'ClientException: ECS was unable to assume the role',
      'InvalidParameterException: ECS was unable to assume the role',
      'AccessDeniedException: iam:PassRole',
      'InvalidParameterException: Unable to assume the service linked role',
    ])

    // when deploying
    const { outcome, waiting } = await applyWithClock(flow)
    const result = await outcome

    // then CreateService was refused first for the service-linked role, then for the role, and the deploy converged
    expect(result.status).toBe('applied')
    const retries = waiting.filter((w) => w.startsWith('waiting for'))
    expect(retries[0]).toBe('waiting for ECS to create its service-linked role AWSServiceRoleForECS, retry 1 (1 s)')
    expect(retries.slice(1).every((w) => w.startsWith('waiting for IAM to propagate role shipit-web-dev-task-exec, retry '))).toBe(true)
    expect(retries.length).toBeGreaterThan(1)
    expect(fake.callsOf('CreateService').length).toBe(retries.length + 1)
    expect([...fake.state.ecs.services.values()].map((s) => s.status)).toEqual(['ACTIVE'])

    // and a second deploy has nothing to do (no retry rules either: the role and cluster exist)
    const again = await planFor(project(FARGATE_SERVICE))
    expect(again.plan.steps).toEqual([])
  })

  it('a fresh `mode: task` deploy retries RunTask until ECS can assume the new role, then runs the task', async () => {
    fake.behavior.ecsRolePropagationSeconds = 8
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['hello'] }
    const dir = project(FARGATE_TASK)
    const { outcome, waiting } = await applyWithClock(await planFor(dir))

    const result = await outcome
    expect(result.status).toBe('applied')
    const retries = waiting.filter((w) => w.startsWith('waiting for'))
    expect(retries[0]).toBe('waiting for IAM to propagate role shipit-job-dev-task-exec, retry 1 (1 s)')
    expect(fake.callsOf('RunTask').length).toBe(retries.length + 1)
    expect([...fake.state.ecs.tasks.values()].map((t) => t.lastStatus)).toEqual(['STOPPED'])

    // the next deploy runs the task again, without propagation retries: the role is not new
    const next = await planFor(dir)
    expect(next.plan.steps.map((s) => s.request.operation)).toEqual(['RunTask'])
    expect(next.plan.steps[0].retry).toBeUndefined()
  })

  it("a role that never becomes assumable ends at the bound with AWS's message and exit 1", async () => {
    fake.behavior.ecsRolePropagationSeconds = 100_000
    fake.state.ecs.taskOutcome = { exitCode: 0 }
    const { outcome, slept } = await applyWithClock(await planFor(project(FARGATE_TASK)))

    const error = await outcome.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShipitError)
    expect((error as ShipitError).exitCode).toBe(1)
    expect((error as ShipitError).message).toContain(UNABLE(fake.account, 'job'))
    expect(slept()).toBeLessThanOrEqual(ROLE_PROPAGATION_SECONDS * 1000)
    expect(slept()).toBeGreaterThan((ROLE_PROPAGATION_SECONDS - 10) * 1000)
    expect(fake.state.ecs.tasks.size).toBe(0)
  })
})
