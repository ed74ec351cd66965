// Figure 4: a fresh deploy with 100 ms added to every AWS call (the in-memory fake's latencyMs).
// `node --import tsx bench/latency.ts` (the runner does this).
//
// The chain is the longest run of calls that must follow one another:
//   observe depth: from the fake's call log of the plan half. A call depends on an earlier one when it
//     started at least 0.9 × latency after that one started (it could not have been sent before that
//     answer arrived); the depth is the longest such sequence. Calls of one Promise.all start within
//     a millisecond or two of each other and so share a level. This is what observe does, not what
//     it could do: reads it serialises without needing to would count here.
//   apply chain: the longest path through the plan's step DAG (steps[].dependsOn), a step costing
//     1 (its call) + 1 if it has a wait (the fake settles on the first poll) + 1 if it has a
//     precondition (a read before the call).
//   outputs depth: a deploy reads live outputs after the last step (a fargate service's task IPs:
//     ListTasks → DescribeTasks → DescribeNetworkInterfaces); measured from the call log like observe.
// chain = observe depth + apply chain + outputs depth; the goal is wall ≤ 1.2 × chain × latency. The
// measured depth of the steps' calls (same rule as observe) is printed too: above the DAG chain, the
// executor serialised something (its concurrency limit, say) or a wait polled more than once.
// The SDK clients are loaded before the clock starts (the fake imports all of them), so this is the
// in-process deploy, not the CLI's cold start.
import { polling } from '../src/aws/waiters.js'
import type { Plan } from '../src/plan/types.js'
import { createFakeAws, type FakeCall } from '../test/fakes/aws.js'
import { fakeCredentials } from '../test/helpers/session.js'
import { deployCounted, emit, example } from './flows.js'

const LATENCY = 100
const RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 3)

fakeCredentials()
polling.intervalMs = 0
const fake = createFakeAws({ latencyMs: LATENCY })

/** Longest chain of calls where each started after the previous one's answer could have arrived. */
export function sequentialDepth(calls: FakeCall[], latency: number): number {
  const sorted = [...calls].sort((a, b) => a.at - b.at)
  const depth: number[] = []
  for (let i = 0; i < sorted.length; i++) {
    let d = 1
    for (let j = 0; j < i; j++) if (sorted[i].at - sorted[j].at >= 0.9 * latency) d = Math.max(d, depth[j] + 1)
    depth.push(d)
  }
  return Math.max(0, ...depth)
}

/**
 * Longest path through the step DAG, a step costing its call, its wait and its precondition; a wait
 * its dependents need not see end (wait.dependentsAfter 'answer') counts at the end of its own path only.
 */
export function dagChain(plan: Plan): { length: number; path: string[] } {
  const byId = new Map(plan.steps.map((s) => [s.id, s]))
  const memo = new Map<string, { length: number; path: string[] }>()
  const released = (s: Plan['steps'][number]) => s.wait?.dependentsAfter === 'answer'
  /** the path until the step's dependents may start */
  const longest = (id: string): { length: number; path: string[] } => {
    const hit = memo.get(id)
    if (hit) return hit
    const s = byId.get(id)!
    const cost = 1 + (s.wait && !released(s) ? 1 : 0) + (s.precondition ? 1 : 0)
    let best = { length: 0, path: [] as string[] }
    for (const d of s.dependsOn) {
      const l = longest(d)
      if (l.length > best.length) best = l
    }
    const label = `${s.request.operation}${s.precondition ? '+precondition' : ''}${s.wait && !released(s) ? `+wait(${s.wait.waiter})` : ''}`
    const out = { length: best.length + cost, path: [...best.path, label] }
    memo.set(id, out)
    return out
  }
  let best = { length: 0, path: [] as string[] }
  for (const s of plan.steps) {
    const l = longest(s.id)
    const end = released(s) ? { length: l.length + 1, path: [...l.path, `wait(${s.wait?.waiter})`] } : l
    if (end.length > best.length) best = end
  }
  return best
}

const scenarios = [
  { label: 'lambda, fresh deploy', dir: () => example('hello-lambda'), target: 'lambda' },
  { label: 'fargate service, fresh deploy', dir: () => example('hello-fargate'), target: 'fargate' },
]

// one unmeasured deploy of each with no latency: the JIT and the lazy imports of shipit's own code
for (const s of scenarios) {
  fake.reset()
  fake.latencyMs = 0
  await deployCounted(s.dir(), { target: s.target }, fake.calls)
}

const results = []
for (const s of scenarios) {
  const runs = []
  for (let i = 0; i < RUNS; i++) {
    fake.reset()
    fake.latencyMs = LATENCY
    const r = await deployCounted(s.dir(), { target: s.target }, fake.calls)
    if (r.outcome.status !== 'applied') throw new Error(`${s.label}: ${r.outcome.status}`)
    const dag = dagChain(r.plan)
    runs.push({
      wallMs: r.wallMs,
      planMs: r.planMs,
      applyMs: r.applyMs,
      observeCalls: r.observeCalls.length,
      applyCalls: r.applyCalls.length,
      observeDepth: sequentialDepth(r.observeCalls, LATENCY),
      stepDepthMeasured: sequentialDepth(r.stepCalls, LATENCY),
      outputCalls: r.outputCalls.length,
      outputsDepth: sequentialDepth(r.outputCalls, LATENCY),
      outputOps: r.outputCalls.map((c) => `${c.service}:${c.operation}`),
      dagChain: dag.length,
      dagPath: dag.path,
      steps: r.plan.steps.length,
    })
  }
  results.push({ label: s.label, latencyMs: LATENCY, runs })
}
fake.restore()
emit({ results })
