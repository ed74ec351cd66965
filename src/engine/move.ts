import type { Plan, Step } from '../plan/types.js'
import { summarize } from '../plan/types.js'

/** `shipit move`'s two plans: the deploy of the new target, then the destroy of the old one. */
export interface MovePlan {
  from: string
  to: string
  deploy: Plan
  destroy: Plan
  /** the path the new target's URL must answer (below 500) before the old one is destroyed */
  healthPath: string
  /** monthly cost before (old target live, plus what of the new one already is) and after the move */
  cost?: { before: number; after: number; unit: 'USD/month' }
}

const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`

/**
 * The destroy of the old target without what the new one uses: both targets of an app share some
 * resources by name (the log group /shipit/<app>/<env>, an image repository), tagged for the app
 * and env whichever target made them. A resource the new target's plan creates, changes or keeps is
 * left (a role with its policies), and no step waits on what was left.
 */
export function withoutShared(destroy: Plan, deploy: Plan): Plan {
  const used = new Set([...deploy.steps.map((s) => key(s.resource)), ...deploy.unchanged.map((u) => key(u.resource))])
  // a role kept keeps its policies (named <role>/<policy>)
  const shared = (s: Step) => used.has(key(s.resource)) || (s.resource.type.startsWith('iam:role-') && used.has(`iam:role ${s.resource.name.split('/')[0]}`))
  const left = destroy.steps.filter(shared)
  if (!left.length) return destroy
  const gone = new Set(left.map((s) => s.id))
  const steps = destroy.steps.filter((s) => !gone.has(s.id)).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !gone.has(d)) }))
  const unchanged = [
    ...destroy.unchanged,
    ...left.filter((s) => !s.resource.type.startsWith('iam:role-')).map((s) => ({ resource: s.resource, note: `kept: ${deploy.target} uses it` })),
  ]
  return { ...destroy, steps, unchanged, summary: summarize(steps, unchanged) }
}

/** Before: the old target plus what of the new one is live; after: the new target alone. */
export function moveCost(deploy: Plan, destroy: Plan): MovePlan['cost'] {
  if (!deploy.cost || !destroy.cost) return undefined
  const oldUsd = -destroy.cost.change.value
  const newBefore = deploy.cost.monthly.value - deploy.cost.change.value
  const round = (n: number) => Math.round(n * 100) / 100
  return { before: round(oldUsd + newBefore), after: round(deploy.cost.monthly.value), unit: 'USD/month' }
}

/** The lines between and around the two plans, so that they read as one. */
export function moveHeader(move: Pick<MovePlan, 'from' | 'to' | 'cost' | 'deploy'>): string {
  const { from, to, cost } = move
  const lines = [`shipit move plan — app ${move.deploy.app} · env ${move.deploy.env} · from ${from} to ${to} · ${move.deploy.region}`]
  if (cost) {
    const change = cost.after - cost.before
    const sign = change > 0 ? '+' : change < 0 ? '-' : '±'
    lines.push(
      `estimated cost: $${cost.before.toFixed(2)}/month on ${from} → $${cost.after.toFixed(2)}/month on ${to} (${sign}$${Math.abs(change).toFixed(2)}/month); the basis is under each plan`,
    )
  }
  lines.push(`1. deploy ${to}; 2. wait until its URL answers (below 500); 3. only then destroy ${from}`, '')
  return lines.join('\n')
}

export function moveInterlude(move: Pick<MovePlan, 'from' | 'to' | 'healthPath'>, check: boolean): string {
  const gate = check
    ? `once the ${move.to} URL answers ${move.healthPath} with a status below 500`
    : `with --no-check: right after the deploy (the URL is not checked)`
  return `── then, ${gate}: destroy ${move.from} ──\n`
}
