// Figure 3: calls of a no-change redeploy, per target, counted by the in-memory fake.
// `node --import tsx bench/calls.ts` (the runner does this). Each scenario starts from an empty fake,
// deploys, then deploys again with nothing changed; the second deploy's calls are counted, split into
// observe (reading AWS to plan) and apply. Read = Get*, List*, Describe*, Filter*, GetCallerIdentity.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { polling } from '../src/aws/waiters.js'
import { createFakeAws } from '../test/fakes/aws.js'
import { fakeCredentials } from '../test/helpers/session.js'
import { deployCounted, emit, example, mutations, ops, reads } from './flows.js'

fakeCredentials()
polling.intervalMs = 0
const fake = createFakeAws()
const ECS_CLUSTER = 'myECSCluster'

interface Scenario {
  label: string
  dir: () => string
  target: string
  env?: string
  /** after the first deploy, before the one measured */
  between?: (dir: string) => Promise<void> | void
  /** task mode runs its task on every deploy by design */
  runsByDesign?: boolean
}

const scenarios: Scenario[] = [
  { label: 'lambda', dir: () => example('hello-lambda'), target: 'lambda' },
  { label: 'fargate service', dir: () => example('hello-fargate'), target: 'fargate' },
  { label: 'fargate task', dir: () => example('hello-fargate'), target: 'fargate', env: 'task', runsByDesign: true },
  { label: 'ecs service, count 0, no instances', dir: () => example('hello-ecs', (y) => y.replace('count: 1', 'count: 0')), target: 'ecs' },
  {
    label: 'ecs service, count 0, 1 instance registered',
    dir: () => example('hello-ecs', (y) => y.replace('count: 1', 'count: 0')),
    target: 'ecs',
    between: () => void fake.registerContainerInstances(ECS_CLUSTER, 1),
  },
  {
    label: 'ecs service, count 1, 1 instance registered',
    // created with count 0 (no instances yet), then an instance joins and the count goes to 1
    dir: () => example('hello-ecs', (y) => y.replace('count: 1', 'count: 0')),
    target: 'ecs',
    between: async (dir) => {
      fake.registerContainerInstances(ECS_CLUSTER, 1)
      writeFileSync(join(dir, 'app.yaml'), readFileSync(join(dir, 'app.yaml'), 'utf8').replace('count: 0', 'count: 1'))
      await deployCounted(dir, { target: 'ecs' }, fake.calls)
    },
  },
]

const results = []
for (const s of scenarios) {
  fake.reset()
  fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['hello'] }
  const dir = s.dir()
  const first = await deployCounted(dir, { target: s.target, env: s.env }, fake.calls)
  const mark = fake.calls.length
  await s.between?.(dir)
  const betweenMutating = ops(mutations(fake.calls.slice(mark)))
  fake.calls.length = 0
  const again = await deployCounted(dir, { target: s.target, env: s.env }, fake.calls)
  const all = [...again.observeCalls, ...again.applyCalls]
  results.push({
    label: s.label,
    runsByDesign: Boolean(s.runsByDesign),
    firstStatus: first.outcome.status,
    firstCalls: first.observeCalls.length + first.applyCalls.length,
    betweenMutating,
    status: again.outcome.status,
    steps: again.plan.steps.map((st) => `${st.action} ${st.request.operation}`),
    observeReads: reads(again.observeCalls).length,
    applyReads: reads(again.applyCalls).length,
    reads: reads(all).length,
    mutating: ops(mutations(all)),
    readOps: ops(reads(all)),
  })
}
fake.restore()
emit({ results })
