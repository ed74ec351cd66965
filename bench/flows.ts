// Shared by calls.ts and latency.ts: example projects copied to temp dirs, and the in-process
// plan → apply flow of test/helpers/session.ts against the in-memory fake (test/fakes/aws.ts).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyPlan } from '../src/engine/apply.js'
import { silentReporter } from '../src/ui/reporter.js'
import { type FakeCall, isReadOperation } from '../test/fakes/aws.js'
import { planFor } from '../test/helpers/session.js'

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..')

const made: string[] = []
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A copy of examples/<name> in a temp dir (removed at exit), its app.yaml optionally rewritten. */
export function example(name: string, edit: (yaml: string) => string = (y) => y): string {
  const dir = mkdtempSync(join(tmpdir(), `shipit-bench-${name}-`))
  made.push(dir)
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true })
  writeFileSync(join(dir, 'app.yaml'), edit(readFileSync(join(dir, 'app.yaml'), 'utf8')))
  return dir
}

export interface FlowOptions {
  target: string
  env?: string
}

/** Plan then apply, as `shipit deploy --yes` does; how many calls each half made, and when it ended. */
export async function deployCounted(dir: string, o: FlowOptions, calls: FakeCall[]) {
  const start = calls.length
  const t0 = performance.now()
  const flow = await planFor(dir, { target: o.target, env: o.env })
  const planned = calls.length
  const tPlanned = performance.now()
  // mark where the plan's steps end and the live outputs (a deploy's reads after the last step: task IPs) begin
  let outputsFrom: number | undefined
  const target = flow.session.target
  if (target.liveOutputs) {
    const live = target.liveOutputs
    const wrapped = Object.create(target)
    wrapped.liveOutputs = (...args: Parameters<typeof live>) => {
      outputsFrom = calls.length
      return live.apply(target, args)
    }
    flow.session.target = wrapped
  }
  const outcome = await applyPlan(flow.session, flow.planned, flow.plan, { reporter: silentReporter, timeoutSeconds: 30 })
  const t1 = performance.now()
  flow.session.clients.destroy()
  return {
    outcome,
    plan: flow.plan,
    observeCalls: calls.slice(start, planned),
    applyCalls: calls.slice(planned),
    stepCalls: calls.slice(planned, outputsFrom ?? calls.length),
    outputCalls: outputsFrom === undefined ? [] : calls.slice(outputsFrom),
    planMs: tPlanned - t0,
    applyMs: t1 - tPlanned,
    wallMs: t1 - t0,
  }
}

export const reads = (cs: FakeCall[]) => cs.filter((c) => isReadOperation(c.operation))
export const mutations = (cs: FakeCall[]) => cs.filter((c) => !isReadOperation(c.operation))
export const ops = (cs: FakeCall[]) => cs.map((c) => `${c.service}:${c.operation}`)

/** Print the result for the runner (one `@@bench` JSON line). */
export function emit(result: unknown): void {
  process.stdout.write(`@@bench ${JSON.stringify(result)}\n`)
}
