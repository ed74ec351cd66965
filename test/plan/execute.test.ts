import { describe, expect, it } from 'vitest'
import type { AwsClients } from '../../src/aws/clients.js'
import type { CustomWaiter } from '../../src/aws/waiters.js'
import { ShipitError } from '../../src/errors.js'
import { type ExecuteContext, executePlan } from '../../src/plan/execute.js'
import type { Plan, Step } from '../../src/plan/types.js'
import { type Reporter, silentReporter } from '../../src/ui/reporter.js'
import { planOfSteps } from '../helpers/plan.js'

/** A clients stand-in that records calls and answers from a table; each call takes `delay` ms. */
function stubClients(answers: Record<string, (input: any) => any>, delay = 0) {
  const calls: { op: string; input: any; start: number; end: number }[] = []
  const clients = {
    async sendRequest({ operation: op, input }: { operation: string; input: any }) {
      const start = Date.now()
      await new Promise((r) => setTimeout(r, delay))
      const answer = answers[op]
      const entry = { op, input, start, end: 0 }
      calls.push(entry)
      if (!answer) throw Object.assign(new Error(`no answer for ${op}`), { name: 'Unexpected' })
      const out = answer(input)
      entry.end = Date.now()
      return out
    },
  } as unknown as AwsClients
  return { clients, calls }
}

const plan = (steps: Step[]): Plan => planOfSteps(steps)

const step = (id: string, operation: string, input: Record<string, unknown> = {}, dependsOn: string[] = [], extra: Partial<Step> = {}): Step => ({
  id,
  action: 'create',
  resource: { type: 't', name: id },
  request: { service: 'lambda', operation, input },
  dependsOn,
  ...extra,
})

/** Waiters of the tests' own, given to the executor as a target gives its waiters. */
const testWaiters: Record<string, CustomWaiter> = {}

const ctx = (clients: AwsClients, extra: Partial<ExecuteContext> = {}): ExecuteContext => ({
  clients,
  reporter: silentReporter,
  catalogue: { operations: [], waiters: { custom: testWaiters, explain: {} } },
  artifact: async () => new Uint8Array([1]),
  sensitive: () => 'secret',
  timeoutSeconds: 5,
  sleep: async () => {},
  ...extra,
})

describe('executePlan', () => {
  it('runs a step only after the steps it depends on, and resolves references to their outputs', async () => {
    // given: B needs A's output, C is independent
    const { clients, calls } = stubClients({ A: () => ({ Thing: { Id: 'id-1' } }), B: (i) => ({ got: i.Id }), C: () => ({}) }, 5)
    const p = plan([
      step('a', 'A'),
      step('b', 'B', { Id: { ref: 'a', output: 'Thing.Id' }, Arn: { ref: 'a', output: 'Thing.Id', format: 'arn:x:{}/*' } }, ['a']),
      step('c', 'C'),
    ])
    // when
    const result = await executePlan(p, ctx(clients))
    // then
    expect(result.ok).toBe(true)
    const b = calls.find((c) => c.op === 'B')!
    expect(b.input).toEqual({ Id: 'id-1', Arn: 'arn:x:id-1/*' })
    expect(b.start).toBeGreaterThanOrEqual(calls.find((c) => c.op === 'A')!.end)
    expect(result.outputs.b).toEqual({ got: 'id-1' })
  })

  it('runs independent steps at the same time', async () => {
    const { clients, calls } = stubClients({ A: () => ({}), B: () => ({}), C: () => ({}) }, 40)
    const result = await executePlan(plan([step('a', 'A'), step('b', 'B'), step('c', 'C', {}, ['a', 'b'])]), ctx(clients))
    expect(result.ok).toBe(true)
    const [a, b, c] = ['A', 'B', 'C'].map((op) => calls.find((x) => x.op === op)!)
    // a and b overlap (each started before the other ended): they ran at once, whatever the machine's load
    expect(b.start).toBeLessThan(a.end)
    expect(a.start).toBeLessThan(b.end)
    // c waited for both
    expect(c.start).toBeGreaterThanOrEqual(Math.max(a.end, b.end))
  })

  it('stops at the first failure: in-flight steps finish, dependents and later steps do not start', async () => {
    const { clients, calls } = stubClients({ A: () => ({}), C: () => ({}), D: () => ({}) }, 5)
    const p = plan([step('a', 'A'), step('b', 'B', {}, ['a']), step('c', 'C', {}, ['b']), step('d', 'D', {}, ['a'])])
    const result = await executePlan(p, ctx(clients))
    expect(result.ok).toBe(false)
    expect(result.error).toBeInstanceOf(ShipitError)
    expect(result.error!.message).toContain('create t b')
    expect(result.results.map((r) => [r.id, r.status])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
      ['c', 'not-started'],
      ['d', 'done'],
    ])
    expect(calls.map((c) => c.op)).not.toContain('C')
  })

  it('treats an error listed in okErrors as done (deleting what is already gone)', async () => {
    const { clients } = stubClients({})
    const gone = { ...step('x', 'Missing'), okErrors: ['Unexpected'] }
    const result = await executePlan(plan([gone]), ctx(clients))
    expect(result.ok).toBe(true)
  })

  it('retries a call while IAM propagates a new role, then succeeds', async () => {
    let n = 0
    const { clients, calls } = stubClients({
      CreateFunction: () => {
        n++
        if (n < 3) throw Object.assign(new Error('The role defined for the function cannot be assumed by Lambda.'), { name: 'InvalidParameterValueException' })
        return { FunctionArn: 'arn' }
      },
    })
    const s = step('f', 'CreateFunction', {}, [], { retry: { errorName: 'InvalidParameterValueException', messageIncludes: 'cannot be assumed', seconds: 30 } })
    const result = await executePlan(plan([s]), ctx(clients))
    expect(result.ok).toBe(true)
    expect(calls.filter((c) => c.op === 'CreateFunction')).toHaveLength(3)
  })

  it('does not retry other errors', async () => {
    const { clients, calls } = stubClients({
      CreateFunction: () => {
        throw Object.assign(new Error('bad handler'), { name: 'InvalidParameterValueException' })
      },
    })
    const s = step('f', 'CreateFunction', {}, [], { retry: { errorName: 'InvalidParameterValueException', messageIncludes: 'cannot be assumed', seconds: 30 } })
    const result = await executePlan(plan([s]), ctx(clients))
    expect(result.ok).toBe(false)
    expect(result.error!.message).toContain('InvalidParameterValueException')
    expect(result.error!.message).toContain('bad handler')
    expect(calls).toHaveLength(1)
  })

  it("retries on any of several rules, saying what it waits for, and stops at the bound with AWS's error", async () => {
    // given a call that fails first with one propagation error, then another, then succeeds
    const answers = [
      Object.assign(new Error('Unable to assume the service linked role. Please verify that the ECS service linked role exists.'), {
        name: 'InvalidParameterException',
      }),
      Object.assign(new Error("ECS was unable to assume the role 'arn:aws:iam::1:role/r' that was provided for this task."), { name: 'ClientException' }),
    ]
    const { clients, calls } = stubClients({
      RunTask: () => {
        const next = answers.shift()
        if (next) throw next
        return { tasks: [] }
      },
    })
    const waiting: string[] = []
    const reporter: Reporter = { ...silentReporter, stepWaiting: (_s, what) => waiting.push(what) }
    const slept: number[] = []
    const rules = {
      retry: [
        { errorName: 'InvalidParameterException', messageIncludes: 'service linked role', seconds: 60, waitingFor: 'ECS to set up its service-linked role' },
        { errorName: 'ClientException', messageIncludes: 'ECS was unable to assume the role', seconds: 90, waitingFor: 'IAM to propagate role r' },
      ],
    }
    const result = await executePlan(plan([step('run', 'RunTask', {}, [], rules)]), ctx(clients, { reporter, sleep: async (ms) => void slept.push(ms) }))
    // then both errors were waited out, and the progress line named each wait
    expect(result.ok).toBe(true)
    expect(calls).toHaveLength(3)
    expect(waiting).toEqual(['waiting for ECS to set up its service-linked role, retry 1 (1 s)', 'waiting for IAM to propagate role r, retry 2 (3 s)'])
    expect(slept).toEqual([1000, 2000])

    // when the error never clears: the retries stop at the rule's bound, with AWS's message
    const never = stubClients({
      RunTask: () => {
        throw Object.assign(new Error("ECS was unable to assume the role 'arn:aws:iam::1:role/r' that was provided for this task."), {
          name: 'ClientException',
        })
      },
    })
    const total: number[] = []
    const failed = await executePlan(plan([step('run', 'RunTask', {}, [], rules)]), ctx(never.clients, { sleep: async (ms) => void total.push(ms) }))
    expect(failed.ok).toBe(false)
    expect(failed.error!.message).toContain('ECS was unable to assume the role')
    expect(total.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(90_000)
    expect(total.reduce((a, b) => a + b, 0)).toBeGreaterThan(80_000)
    expect(never.calls.length).toBe(total.length + 1)
  })

  it('reads a saved plan whose step holds a single retry rule (format 1 before rule lists)', async () => {
    let n = 0
    const { clients, calls } = stubClients({
      DeleteSecurityGroup: () => {
        if (n++ === 0) throw Object.assign(new Error('resource sg-1 has a dependent object'), { name: 'DependencyViolation' })
        return {}
      },
    })
    const saved = JSON.parse(JSON.stringify(step('sg', 'DeleteSecurityGroup', {}, [], { retry: { errorName: 'DependencyViolation', seconds: 300 } })))
    const result = await executePlan(plan([saved]), ctx(clients))
    expect(result.ok).toBe(true)
    expect(calls).toHaveLength(2)
  })

  it('skips the wait of a step whose call ended in one of its okErrors (nothing was deleted, nothing to wait for)', async () => {
    let waited = 0
    testWaiters.TestInactive = async () => {
      waited++
      throw new Error('the waiter fails on MISSING')
    }
    const { clients } = stubClients({
      DeleteService: () => {
        throw Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException' })
      },
    })
    const s = step('service', 'DeleteService', {}, [], {
      okErrors: ['ServiceNotFoundException'],
      wait: { waiter: 'TestInactive', input: {}, description: 'service to be inactive' },
    })
    const result = await executePlan(plan([s]), ctx(clients))
    expect(result.ok).toBe(true)
    expect(waited).toBe(0)
  })

  it('runs the wait a step names, with references resolved, before dependents start', async () => {
    const order: string[] = []
    testWaiters.TestReady = async (_c, input) => {
      order.push(`wait ${input.Name}`)
    }
    const { clients } = stubClients({
      A: () => {
        order.push('A')
        return { Name: 'n1' }
      },
      B: () => {
        order.push('B')
        return {}
      },
    })
    const a = step('a', 'A', {}, [], { wait: { waiter: 'TestReady', input: { Name: { ref: 'a', output: 'Name' } }, description: 'a ready' } })
    const result = await executePlan(plan([a, step('b', 'B', {}, ['a'])]), ctx(clients))
    expect(result.ok).toBe(true)
    expect(order).toEqual(['A', 'wait n1', 'B'])
  })

  it("wait.dependentsAfter 'answer': dependents start at the call's answer, with its outputs; the apply ends after the wait", async () => {
    const order: string[] = []
    let endWait = () => {}
    testWaiters.TestSlow = async (_c, input) => {
      order.push(`wait ${input.Name} starts`)
      await new Promise<void>((r) => (endWait = r))
      order.push('wait ends')
    }
    const { clients } = stubClients({
      A: () => ({ Name: 'n1' }),
      B: (i) => {
        order.push(`B ${i.Name}`)
        // B runs while A's wait goes on; it lets the wait end only now
        setTimeout(() => endWait(), 10)
        return {}
      },
    })
    const wait = { waiter: 'TestSlow', input: { Name: { ref: 'a', output: 'Name' } }, description: 'a ready', dependentsAfter: 'answer' as const }
    const result = await executePlan(plan([step('a', 'A', {}, [], { wait }), step('b', 'B', { Name: { ref: 'a', output: 'Name' } }, ['a'])]), ctx(clients))
    expect(result.ok).toBe(true)
    expect(order).toEqual(['wait n1 starts', 'B n1', 'wait ends'])
    expect(result.results.map((r) => r.status)).toEqual(['done', 'done'])
  })

  it('a wait whose dependents started at the answer still fails the apply when it fails', async () => {
    testWaiters.TestBrokenLater = async () => {
      await new Promise((r) => setTimeout(r, 20))
      throw new ShipitError('WaitFailed', 'function hello-dev failed: InvalidRuntime')
    }
    const { clients, calls } = stubClients({ A: () => ({}), B: () => ({}) })
    const wait = { waiter: 'TestBrokenLater', input: {}, description: 'x', dependentsAfter: 'answer' as const }
    const result = await executePlan(plan([step('a', 'A', {}, [], { wait }), step('b', 'B', {}, ['a'])]), ctx(clients))
    expect(calls.map((c) => c.op)).toEqual(['A', 'B'])
    expect(result.ok).toBe(false)
    expect(result.error!.message).toContain('InvalidRuntime')
    expect(result.results.find((r) => r.id === 'a')!.status).toBe('failed')
  })

  it('a failed wait fails the step with its reason', async () => {
    testWaiters.TestBroken = async () => {
      throw new ShipitError('WaitFailed', 'deployment rolled back: tasks failed to start')
    }
    const { clients } = stubClients({ A: () => ({}) })
    const result = await executePlan(plan([step('a', 'A', {}, [], { wait: { waiter: 'TestBroken', input: {}, description: 'x' } })]), ctx(clients))
    expect(result.ok).toBe(false)
    expect(result.error!.message).toContain('rolled back')
  })

  it('on interruption starts no new step and reports the rest as not started', async () => {
    const controller = new AbortController()
    const { clients } = stubClients({
      A: () => {
        controller.abort()
        return {}
      },
      B: () => ({}),
    })
    const result = await executePlan(plan([step('a', 'A'), step('b', 'B', {}, ['a'])]), ctx(clients, { signal: controller.signal }))
    expect(result.interrupted).toBe(true)
    expect(result.ok).toBe(false)
    expect(result.results.map((r) => r.status)).toEqual(['done', 'not-started'])
  })

  it('reports each step to the reporter in order of events', async () => {
    const events: string[] = []
    const reporter: Reporter = {
      ...silentReporter,
      stepStarted: (s) => events.push(`start ${s.id}`),
      stepDone: (s) => events.push(`done ${s.id}`),
      stepFailed: (s) => events.push(`fail ${s.id}`),
    }
    const { clients } = stubClients({ A: () => ({}) })
    await executePlan(plan([step('a', 'A'), step('b', 'B', {}, ['a'])]), ctx(clients, { reporter }))
    expect(events).toEqual(['start a', 'done a', 'start b', 'fail b'])
  })

  it('resolves artifacts and sensitive markers only when sending', async () => {
    const { clients, calls } = stubClients({ A: () => ({}) })
    const s = step('a', 'A', { Code: { ZipFile: { artifact: 'zip', source: 'src', sha256: 'ab', size: 1 } }, Env: { K: { sensitive: 'K', sha256: 'x' } } })
    await executePlan(plan([s]), ctx(clients))
    expect(calls[0].input).toEqual({ Code: { ZipFile: new Uint8Array([1]) }, Env: { K: 'secret' } })
  })

  it('refuses a plan whose step depends on a missing step', async () => {
    const { clients } = stubClients({})
    await expect(executePlan(plan([step('a', 'A', {}, ['nope'])]), ctx(clients))).rejects.toThrow(/depends on nope/)
  })
})
