import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ApplyOutcome, applyPlan } from '../../src/engine/apply.js'
import { makePlan, type Planned } from '../../src/engine/plan.js'
import { openSession, type Session } from '../../src/engine/session.js'
import type { Plan } from '../../src/plan/types.js'
import { type Reporter, silentReporter } from '../../src/ui/reporter.js'

/** Dummy credentials and a region, so sessions go online against the fake (never real AWS: every client is mocked). */
export function fakeCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'test-access-key-id'
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-access-key'
  process.env.AWS_REGION = 'us-west-2'
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  delete process.env.AWS_ENDPOINT_URL
  delete process.env.AWS_PROFILE
}

/** A project directory with app.yaml and, for lambda, a src/ with a handler. */
export function project(
  yaml: string,
  files: Record<string, string> = { 'src/index.mjs': 'export const handler = async () => ({ statusCode: 200 })\n' },
): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-project-'))
  writeFileSync(join(dir, 'app.yaml'), yaml)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

export interface Flow {
  session: Session
  planned: Planned
  plan: Plan
}

export async function planFor(
  dir: string,
  options: { command?: Plan['command']; target?: string; env?: string; mutates?: boolean; adopt?: boolean; to?: string; vars?: Record<string, string> } = {},
): Promise<Flow> {
  const session = await openSession({
    file: join(dir, 'app.yaml'),
    target: options.target,
    env: options.env,
    mutates: options.mutates ?? true,
    vars: options.vars ?? {},
  })
  const planned = await makePlan(session, { command: options.command ?? 'deploy', adopt: options.adopt, to: options.to })
  return { session, planned, plan: planned.plan }
}

export async function deploy(
  dir: string,
  options: Parameters<typeof planFor>[1] & { reporter?: Reporter; signal?: AbortSignal } = {},
): Promise<ApplyOutcome & { plan: Plan }> {
  const flow = await planFor(dir, options)
  const outcome = await applyPlan(flow.session, flow.planned, flow.plan, {
    reporter: options.reporter ?? silentReporter,
    timeoutSeconds: 30,
    signal: options.signal,
  })
  return { ...outcome, plan: flow.plan }
}
