import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ApplyOutcome, applyPlan } from '../../../src/engine/apply.js'
import { makePlan, type Planned } from '../../../src/engine/plan.js'
import { openSession, type Session } from '../../../src/engine/session.js'
import { parseManifest } from '../../../src/manifest/load.js'
import { type ContainerDesired, resolveDesired } from '../../../src/manifest/resolve.js'
import type { Plan } from '../../../src/plan/types.js'
import { silentReporter } from '../../../src/ui/reporter.js'
import { asContainer } from '../../helpers/plan.js'

export const FARGATE_SERVICE = `
name: web
region: us-west-2
env:
  LOG_LEVEL: info
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  cpu: 256
  memory: 512
  mode: service
  count: 2
`

export const FARGATE_TASK = `
name: job
region: us-west-2
env:
  LOG_LEVEL: info
container:
  image: public.ecr.aws/docker/library/busybox:stable
  command: ["sh", "-c", "echo hello"]
  cpu: 256
  memory: 512
  mode: task
  count: 1
`

export { fakeCredentials } from '../../helpers/session.js'

export function project(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-container-'))
  writeFileSync(join(dir, 'app.yaml'), yaml)
  return dir
}

export function rewrite(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'app.yaml'), yaml)
}

export interface Flow {
  session: Session
  planned: Planned
  plan: Plan
}

export interface FlowOptions {
  target?: 'fargate' | 'ecs' | 'lambda'
  command?: 'deploy' | 'destroy' | 'rollback'
  /** rollback: the revision to go back to */
  to?: string
  env?: string
  adopt?: boolean
  vars?: Record<string, string>
  offline?: boolean
}

export async function planFor(dir: string, o: FlowOptions = {}): Promise<Flow> {
  const command = o.command ?? 'deploy'
  const session = await openSession({
    file: join(dir, 'app.yaml'),
    target: o.target ?? 'fargate',
    env: o.env,
    mutates: !o.offline,
    offline: o.offline,
    vars: o.vars ?? {},
  })
  const planned = await makePlan(session, { command, adopt: o.adopt, to: o.to, now: () => new Date('2026-01-01T00:00:00Z') })
  return { session, planned, plan: planned.plan }
}

export async function apply(flow: Flow): Promise<ApplyOutcome> {
  return applyPlan(flow.session, flow.planned, flow.plan, { reporter: silentReporter, timeoutSeconds: 30 })
}

export async function deploy(dir: string, o: FlowOptions = {}): Promise<ApplyOutcome & { plan: Plan }> {
  const flow = await planFor(dir, o)
  return { ...(await apply(flow)), plan: flow.plan }
}

export const isRead = (op: string) => /^(Describe|List|Get)/.test(op)

/** Desired state of an app.yaml text, as the engine resolves it. */
export function desiredFrom(yaml: string, options: { target?: 'fargate' | 'ecs'; env?: string; vars?: Record<string, string> } = {}): ContainerDesired {
  // validated for the target it is resolved for, as the engine does
  const target = options.target ?? 'fargate'
  return asContainer(resolveDesired(parseManifest(yaml, 'app.yaml', options.vars ?? {}, '/app', { target }), { target, env: options.env }))
}
