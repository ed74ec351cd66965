// Components: a fresh deploy of examples/shop with 100 ms added to every AWS call (the in-memory
// fake's latencyMs), against each of its components deployed alone from nothing. Issue 22's goal:
// the whole app takes at most 1.3 × its slowest component alone (independent components overlap).
// One unmeasured deploy of each first (module loading, JIT), then ROUNDS rounds, interleaved; medians.
// `node --import tsx bench/components.ts`. Prints one JSON line per deploy, then the ratio of the medians.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { polling } from '../src/aws/waiters.js'
import { applyPlan } from '../src/engine/apply.js'
import { makeAppPlan, openAppSession } from '../src/engine/components.js'
import { loadForSession } from '../src/engine/session.js'
import { silentReporter } from '../src/ui/reporter.js'
import { createFakeAws } from '../test/fakes/aws.js'
import { fakeCredentials } from '../test/helpers/session.js'

const LATENCY = 100
fakeCredentials()
polling.intervalMs = 0
const fake = createFakeAws({ latencyMs: LATENCY, region: 'us-east-1' })
const shop = join(import.meta.dirname, '../examples/shop')

/** A copy of the shop with only `keep` components (web's API_URL a literal when api is not there). */
function project(keep: string[] | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-bench-components-'))
  cpSync(shop, dir, { recursive: true })
  if (keep) {
    const text = readFileSync(join(dir, 'app.yaml'), 'utf8')
    const [head, body] = text.split('components:\n')
    const blocks = body.split(/\n(?= {2}[a-z])/).filter((b) => keep.includes(b.trim().split(':')[0]))
    const kept = blocks.map((b) => b.replace('${component:api.url}', 'https://api.example.com/').replace(/\n\s+before: .*/, '')).join('\n')
    writeFileSync(join(dir, 'app.yaml'), `${head}components:\n${kept}\n`)
  }
  return join(dir, 'app.yaml')
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

async function timedDeploy(label: string, file: string, quiet = false): Promise<number> {
  fake.reset()
  fake.latencyMs = LATENCY
  fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
  const options = { file, mutates: true, vars: {} }
  const started = performance.now()
  const loaded = await loadForSession(options)
  const app = await openAppSession(options, loaded, [], 'deploy')
  const planned = await makeAppPlan(app, { command: 'deploy' })
  const outcome = await applyPlan(app.session, planned, planned.plan, { reporter: silentReporter, timeoutSeconds: 60 })
  const ms = performance.now() - started
  app.session.clients.destroy()
  if (!quiet) console.log(JSON.stringify({ label, status: outcome.status, steps: planned.plan.steps.length, calls: fake.calls.length, ms: Math.round(ms) }))
  return ms
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const deploys: [string, string][] = [['shop (5 components)', project(undefined)]]
for (const c of ['api', 'web', 'worker', 'migrate', 'nightly']) deploys.push([`${c} alone`, project([c])])
for (const [label, file] of deploys) await timedDeploy(label, file, true)
const times = new Map<string, number[]>(deploys.map(([label]) => [label, []]))
for (let round = 0; round < ROUNDS; round++) for (const [label, file] of deploys) times.get(label)?.push(await timedDeploy(label, file))
const whole = median(times.get(deploys[0][0]) ?? [])
const alone = deploys.slice(1).map(([label]) => median(times.get(label) ?? []))
const slowest = Math.max(...alone)
console.log(JSON.stringify({ whole: Math.round(whole), slowestAlone: Math.round(slowest), ratio: Number((whole / slowest).toFixed(2)), goal: 1.3 }))
fake.restore()
