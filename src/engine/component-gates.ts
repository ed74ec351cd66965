import type { LoadedComponent } from '../manifest/components.js'
import type { Step } from '../plan/types.js'
import { CLUSTER_STEPS } from './shared-cluster.js'

/**
 * `before: [web, worker]` on a task: the task runs, and must exit 0, before anything that would
 * start web's or worker's new code: a task definition registered, a service created or updated, an
 * Express service, a task run, a schedule, a function's code or configuration, a version, an alias,
 * a route. What serves nothing until one of those happens may be made beside the gate, so that the
 * gated components' critical path is not the gate's plus their own: a role, a log group, a security
 * group, a cluster, an image or package pushed under its content hash, each only when it is made
 * fresh by this plan (a change to one that exists could change what runs now: it waits).
 */

/** Resources that serve nothing by themselves. */
const STANDALONE = new Set([
  'iam:role',
  'logs:log-group',
  'ec2:security-group',
  'ecs:cluster',
  'elbv2:target-group',
  's3:bucket',
  'ecr:repository',
  'scheduler:schedule-group',
])
/** Parts of a standalone resource: beside the gate only when the resource itself is made by this plan. */
const PARTS = new Set(['iam:role-policy-attachment', 'iam:role-policy', 'logs:retention', 'ec2:security-group-rule', 'ecr:lifecycle-policy'])
/** Artifacts named by their content: nothing runs them until a task definition or a function names them. */
const ARTIFACTS = new Set(['container:image', 'ecr:image', 's3:object'])

/** The steps a gate does not hold: fresh standalone resources, their parts, pushed artifacts (ids). */
export function besideGate(steps: Step[]): Set<string> {
  const fresh = new Set(steps.filter((s) => s.action === 'create' && STANDALONE.has(s.resource.type)).map((s) => s.id))
  const beside = new Set(fresh)
  for (const s of steps) {
    if (s.action !== 'create') continue
    if (ARTIFACTS.has(s.resource.type)) beside.add(s.id)
    if (PARTS.has(s.resource.type) && s.dependsOn.some((d) => fresh.has(d))) beside.add(s.id)
  }
  return beside
}

interface Gated {
  component: LoadedComponent
}

/**
 * `before:` tasks gate the components they name: the task's run comes before each gated step that
 * would start new code (see above). A scheduled task never runs at deploy (EventBridge Scheduler
 * runs it); a gate whose component and gated components are all unchanged does not run either, so
 * a redeploy changes nothing.
 */
export function gateSteps(parts: Gated[], steps: Step[]): Step[] {
  let out = steps
  for (const { component } of parts) {
    const run = `${component.name}/run`
    const own = (name: string) => out.filter((s) => s.component === name)
    if (component.scheduled) out = out.filter((s) => s.id !== run)
    if (!component.before.length) continue
    const gated = component.before.filter((name) => parts.some((p) => p.component.name === name))
    const changing = own(component.name).some((s) => s.id !== run) || gated.some((name) => own(name).length > 0)
    if (!changing) out = out.filter((s) => s.id !== run)
    const gate = own(component.name).some((s) => s.id === run) ? [run] : own(component.name).map((s) => s.id)
    if (!gate.length) continue
    const beside = besideGate(out.filter((s) => s.component !== undefined && gated.includes(s.component)))
    // the shared cluster is the app's, not the gated component's: the gate itself may run in it
    const cluster = (s: Step) => CLUSTER_STEPS.some((id) => s.id === `${s.component}/${id}`)
    const held = (s: Step) => s.component !== undefined && gated.includes(s.component) && !cluster(s) && !beside.has(s.id)
    out = out.map((s) => (held(s) ? { ...s, dependsOn: [...new Set([...s.dependsOn, ...gate])] } : s))
  }
  return out
}
