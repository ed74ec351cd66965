import type { Plan, Step } from '../plan/types.js'
import { isRef, summarize } from '../plan/types.js'

/**
 * `shipit move`'s plans: the deploy of the new target, then (with `http.domain`) the switch of the
 * alias records to it, then the destroy of the old one.
 */
export interface MovePlan {
  from: string
  to: string
  deploy: Plan
  /** with a domain: the alias records of the names, pointed at the new target once it answered */
  switch?: Plan
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
  // a kept certificate keeps its validation records (their deletes wait on the certificate's)
  const keptCerts = new Set(left.filter((s) => s.resource.type === 'acm:certificate').map((s) => s.id))
  left.push(...destroy.steps.filter((s) => s.resource.type === 'route53:record' && !left.includes(s) && s.dependsOn.some((d) => keptCerts.has(d))))
  const gone = new Set(left.map((s) => s.id))
  const steps = destroy.steps.filter((s) => !gone.has(s.id)).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !gone.has(d)) }))
  const unchanged = [
    ...destroy.unchanged,
    ...left
      .filter((s) => !s.resource.type.startsWith('iam:role-'))
      .map((s) => ({
        resource: s.resource,
        note: shared(s) ? `kept: ${deploy.target} uses it` : `kept: the certificate ${deploy.target} uses is validated by it`,
      })),
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
export function moveHeader(move: Pick<MovePlan, 'from' | 'to' | 'cost' | 'deploy' | 'switch'>): string {
  const { from, to, cost } = move
  const lines = [`shipit move plan — app ${move.deploy.app} · env ${move.deploy.env} · from ${from} to ${to} · ${move.deploy.region}`]
  if (cost) {
    const change = cost.after - cost.before
    const sign = change > 0 ? '+' : change < 0 ? '-' : '±'
    lines.push(
      `estimated cost: $${cost.before.toFixed(2)}/month on ${from} → $${cost.after.toFixed(2)}/month on ${to} (${sign}$${Math.abs(change).toFixed(2)}/month); the basis is under each plan`,
    )
  }
  if (move.switch) {
    lines.push(
      `1. deploy ${to}, answering on the domain too (its records still point at ${from}); 2. wait until its URL, and the domain asked at ${to}, answer (below 500); 3. point the domain's records at ${to}; 4. a minute later (resolvers' caches), destroy ${from} (never the certificate or the records)`,
      '',
    )
  } else lines.push(`1. deploy ${to}; 2. wait until its URL answers (below 500); 3. only then destroy ${from}`, '')
  return lines.join('\n')
}

export function moveInterlude(move: Pick<MovePlan, 'from' | 'to' | 'healthPath' | 'switch'>, check: boolean): string {
  const gate = check
    ? `once the ${move.to} URL${move.switch ? ' and the domain asked at it' : ''} answer${move.switch ? '' : 's'} ${move.healthPath} with a status below 500`
    : `with --no-check: right after the deploy (the URL is not checked)`
  return `── then, ${gate}: ${move.switch ? `point the domain at ${move.to}` : `destroy ${move.from}`} ──\n`
}

/** A step of a domain's alias records (src/targets/domain/plan.ts names them so). */
const isAliasRecords = (s: Step) => s.resource.type === 'route53:record' && s.id.startsWith('alias-records ')

/**
 * The deploy of the new target split in two: everything but the alias records (the new target made
 * to answer on the names while they still point at the old one), and the alias records alone, applied
 * after the check. No step of the deploy waits on the records; a record step's references to the
 * deploy's steps are bound with `bindRefs` once the deploy ran.
 */
export function splitSwitch(deploy: Plan): { deploy: Plan; switch?: Plan } {
  const records = deploy.steps.filter(isAliasRecords)
  if (!records.length) return { deploy }
  const ids = new Set(records.map((s) => s.id))
  const steps = deploy.steps.filter((s) => !ids.has(s.id)).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !ids.has(d)) }))
  const switched = records.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => ids.has(d)) }))
  return {
    deploy: { ...deploy, steps, summary: summarize(steps, deploy.unchanged) },
    switch: { ...deploy, steps: switched, unchanged: [], warnings: [], blocked: [], summary: summarize(switched, []), cost: undefined },
  }
}

/** `value` with each reference to a step in `outputs` replaced by that step's answer; others are left. */
function bindRefs(value: unknown, outputs: Record<string, Record<string, unknown>>): unknown {
  if (isRef(value)) {
    const out = outputs[value.ref]
    if (!out) return value
    const got = value.output.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), out)
    if (got === undefined) return value
    return value.format ? value.format.replace('{}', String(got)) : got
  }
  if (Array.isArray(value)) return value.map((v) => bindRefs(v, outputs))
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bindRefs(v, outputs)]))
  }
  return value
}

/** The switch with the deploy's answers in place of its references to them. */
export function boundSwitch(plan: Plan, outputs: Record<string, Record<string, unknown>>): Plan {
  return { ...plan, steps: plan.steps.map((s) => ({ ...s, request: { ...s.request, input: bindRefs(s.request.input, outputs) as typeof s.request.input } })) }
}

/** Where each switched name will point (the endpoint that answers for it): the A record's alias target. */
export function switchTargets(plan: Plan): { name: string; via: string }[] {
  const found: { name: string; via: string }[] = []
  for (const step of plan.steps) {
    const changes = (
      step.request.input as { ChangeBatch?: { Changes?: { ResourceRecordSet?: { Name?: unknown; Type?: string; AliasTarget?: { DNSName?: unknown } } }[] } }
    ).ChangeBatch?.Changes
    const a = changes?.find((c) => c.ResourceRecordSet?.Type === 'A')?.ResourceRecordSet
    const via = a?.AliasTarget?.DNSName
    if (typeof a?.Name === 'string' && typeof via === 'string') found.push({ name: a.Name.replace(/\.$/, ''), via: via.replace(/\.$/, '') })
  }
  return found
}
