import { ownedBy } from '../manifest/names.js'
import type { Plan, Step } from '../plan/types.js'
import { Ecs } from '../targets/container/catalogue.js'
import type { AppSession, ComponentSession } from './app-session.js'
import type { Planned } from './plan.js'

/**
 * The container components of one app and env share one ECS cluster (`<app>-<env>`). Each
 * component's own plan would create it, or delete it when it sees no other service; in the app's
 * plan the first container component creates it and the others wait for that step, and a destroy
 * deletes it once, after every container component's steps, only when all of them are destroyed.
 */

interface Part extends ComponentSession {
  planned: Planned
}

type SeenCluster = { cluster?: { arn: string; tags: Record<string, string>; containerInstances: number; activeServices: number } }

/** the shared cluster's steps, by their id in a container component's plan */
export const CLUSTER_STEPS = ['cluster', 'cluster-settings']

export function clusterSteps(app: AppSession, parts: Part[], command: Plan['command'], steps: Step[]): Step[] {
  // before: tasks first: the cluster a gate runs in is created before the components it gates
  const containers = parts
    .filter((p) => p.component.target !== 'lambda' && !p.component.loaded.manifest.container?.cluster)
    .sort((a, b) => Number(b.component.before.length > 0) - Number(a.component.before.length > 0))
  if (!containers.length) return steps
  const isClusterStep = (s: Step) => containers.some((p) => CLUSTER_STEPS.some((id) => s.id === `${p.component.name}/${id}`))
  if (command === 'destroy')
    return destroyCluster(
      app,
      containers,
      steps.filter((s) => !isClusterStep(s)),
      steps.filter(isClusterStep),
    )
  // the first component that creates the cluster keeps its step; the others' steps that needed theirs need that one
  const renamed = new Map<string, string>()
  for (const id of CLUSTER_STEPS) {
    const owners = containers.filter((p) => steps.some((s) => s.id === `${p.component.name}/${id}`))
    if (owners.length < 2) continue
    for (const p of owners.slice(1)) renamed.set(`${p.component.name}/${id}`, `${owners[0].component.name}/${id}`)
  }
  if (!renamed.size) return steps
  return steps.filter((s) => !renamed.has(s.id)).map((s) => ({ ...s, dependsOn: [...new Set(s.dependsOn.map((d) => renamed.get(d) ?? d))] }))
}

function destroyCluster(app: AppSession, containers: Part[], steps: Step[], dropped: Step[]): Step[] {
  const all = app.all.filter((c) => c.target !== 'lambda' && !c.loaded.manifest.container?.cluster)
  const destroyingAll = all.every((c) => containers.some((p) => p.component.name === c.name))
  const { desired } = containers[0].session
  const seen = containers.map((p) => p.planned.observed as SeenCluster).find((o) => o.cluster)?.cluster
  if (!destroyingAll || !seen || !ownedBy(seen.tags, desired.app, desired.env) || seen.containerInstances > 0) return steps
  const deletedServices = steps.filter((s) => s.resource.type === 'ecs:service' && s.action === 'delete').length
  if (seen.activeServices > deletedServices) return steps
  const cluster = desired.names.cluster
  const id = dropped[0]?.id ?? `${containers[0].component.name}/cluster`
  const emptying = steps.filter((s) => containers.some((p) => p.component.name === s.component)).map((s) => s.id)
  const step: Step = {
    id,
    component: containers[0].component.name,
    action: 'delete',
    resource: { type: 'ecs:cluster', name: cluster },
    reason: 'the last container component of the app is destroyed',
    request: Ecs.DeleteCluster.request({ cluster }),
    // a service deleted by an earlier, interrupted destroy may still be draining
    retry: { errorName: 'ClusterContainsServicesException', seconds: 300 },
    dependsOn: emptying,
    okErrors: ['ClusterNotFoundException'],
    ...(dropped[0]?.idempotency ? { idempotency: dropped[0].idempotency } : { idempotency: { kind: 'natural', why: 'deleting twice leaves it deleted' } }),
  }
  return [...steps, step]
}
