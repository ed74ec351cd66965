import { clock } from '../clock.js'
import type { PlanCost } from '../compare/plan-cost.js'
import { canonicalJson, sha256Hex } from '../digest.js'
import { invalid } from '../errors.js'
import { checkBuildContext } from '../manifest/build-context.js'
import { type LoadedComponent, selectComponents } from '../manifest/components.js'
import { formatProblem, type LoadedManifest, ManifestError } from '../manifest/load.js'
import { componentNames, TAG_COMPONENT } from '../manifest/names.js'
import { type Desired, resolveDesired } from '../manifest/resolve.js'
import { newSalt } from '../plan/secrets.js'
import { isRef, type Plan, type PlanComponent, type Step, summarize, type Unchanged, withInferredDependencies } from '../plan/types.js'
import { addSecret } from '../redact.js'
import { loadTarget } from '../targets/index.js'
import type { Prepared } from '../targets/target.js'
import { appTarget } from './app-target.js'
import { gateSteps } from './component-gates.js'
import { markersToRefs, refValues, substituteRefs } from './component-refs.js'
import { fingerprintOf, makePlan, type Planned, prepareLocal } from './plan.js'
import { connect, loadForSession, openSession, type Session, type SessionOptions } from './session.js'
import { clusterSteps } from './shared-cluster.js'

/**
 * An app with `components:`: one session per component (its own target, names and tags, one shared
 * connection to AWS), planned together into one Plan whose steps carry their component, and applied
 * as one graph (src/engine/app-target.ts makes the app look like one target to the executor).
 */

import type { AppSession, ComponentSession } from './app-session.js'

export type { AppSession, ComponentSession }

type Command = Plan['command']

/**
 * Sessions for the named components (none: all). deploy and plan add what the named ones need
 * (before: tasks, producers of their references); other commands act on exactly those named.
 */
export async function openAppSession(options: SessionOptions, loaded: LoadedManifest, named: string[], command: string): Promise<AppSession> {
  const all = loaded.components ?? []
  const chosen = command === 'deploy' || command === 'plan' ? selectComponents(all, named) : exactly(all, named)
  if (options.target) {
    const other = chosen.find((c) => c.target !== options.target)
    if (other) {
      throw invalid('TargetMismatch', `--target ${options.target} does not match component ${other.name}, which deploys to ${other.target}`, [
        'leave out --target: each component deploys to its own target',
      ])
    }
  }
  const connection = await connect(options, loaded.manifest.region, loaded.warnings.map(formatProblem))
  const components: ComponentSession[] = []
  for (const component of chosen) {
    const desired = asComponent(resolveDesired(component.loaded, { env: options.env, target: component.target }), component.name)
    for (const v of Object.values(desired.environment)) if (v.secret) addSecret(v.value)
    const fenced = checkBuildContext(component.loaded, desired)
    if (fenced.length) throw new ManifestError(fenced)
    const target = await loadTarget(desired.target)
    components.push({ component, session: { loaded: component.loaded, desired, target, ...connection } })
  }
  const first = components[0].session
  const environment = Object.assign({}, ...components.map((c) => c.session.desired.environment))
  const session: Session = { ...first, loaded, desired: { ...first.desired, environment }, target: appTarget(components) }
  return { components, all, session }
}

function exactly(all: LoadedComponent[], named: string[]): LoadedComponent[] {
  if (!named.length) return all
  const chosen = selectComponents(all, []).filter((c) => named.includes(c.name))
  const unknown = named.find((n) => !all.some((c) => c.name === n))
  if (unknown) selectComponents(all, [unknown])
  return chosen
}

/** A component's Desired: `<app>-<component>-<env>` names, the shared cluster, the shipit:component tag. */
function asComponent(desired: Desired, component: string): Desired {
  const cluster = desired.target === 'lambda' ? undefined : desired.container.cluster
  return {
    ...desired,
    names: componentNames(desired.app, component, desired.env, cluster),
    tags: { ...desired.tags, [TAG_COMPONENT]: component },
  }
}

/** Every component's local input checked before any AWS call; the builds run while AWS is read. */
export async function prepareApp(app: AppSession, command: Command, signal?: AbortSignal): Promise<Map<string, () => Promise<Prepared>>> {
  const builds = new Map<string, () => Promise<Prepared>>()
  for (const { component, session } of app.components) builds.set(component.name, await prepareLocal(session, command, signal))
  return builds
}

interface AppPlanOptions {
  command: Command
  adopt?: boolean
  signal?: AbortSignal
  now?: () => Date
  salt?: string
  kdf?: Plan['kdf']
  builds?: Map<string, () => Promise<Prepared>>
}

/** Observe every component at once, plan each (a consumer once its producers are planned), and join the parts into one Plan. */
export async function makeAppPlan(app: AppSession, options: AppPlanOptions): Promise<Planned> {
  if (options.command === 'rollback' || options.command === 'run') throw new Error(`${options.command} acts on one component`)
  const now = options.now?.() ?? clock.now()
  const salt = options.salt ?? newSalt()
  const done = new Map<string, Promise<{ session: Session; planned: Planned }>>()
  // one GetCallerIdentity for the app: a component whose reads name no account takes the one another asked for
  const caller = askedOnce(() => app.session.clients.send('sts', 'GetCallerIdentity', {}, options.signal))
  for (const { component, session } of app.components) {
    const beforePlan = async () => {
      if (options.command !== 'deploy' || !component.refs.length) return
      const producers = new Map<string, { session: Session; planned: Planned }>()
      for (const r of component.refs) {
        const p = done.get(r.component)
        if (p) producers.set(r.component, await p)
      }
      session.desired = substituteRefs(session.desired, refValues(component.refs, producers))
    }
    const build = options.builds?.get(component.name)
    const planning = makePlan(session, { ...options, salt, now: () => now, beforePlan, caller, ...(build ? { build } : {}) }).then((planned) => ({
      session,
      planned,
    }))
    done.set(component.name, planning)
  }
  const parts = await Promise.all(app.components.map(async (c) => ({ ...c, ...(await (done.get(c.component.name) as Promise<{ planned: Planned }>)) })))
  return joinParts(app, parts, options.command, salt, now)
}

/** The answer of `ask`, asked the first time it is wanted and shared after. */
function askedOnce<T>(ask: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined
  return () => {
    answer ??= ask()
    return answer
  }
}

interface Part extends ComponentSession {
  planned: Planned
}

function joinParts(app: AppSession, parts: Part[], command: Command, salt: string, now: Date): Planned {
  let steps: Step[] = []
  const unchanged: Unchanged[] = []
  const warnings: string[] = []
  const blocked: Plan['blocked'] = []
  for (const { component, session, planned } of parts) {
    const name = component.name
    const own = planned.plan.steps.map((s) => prefixStep(s, name))
    const values = command === 'deploy' && component.refs.length ? refValuesFromSteps(component, parts) : undefined
    steps.push(...(values ? markersToRefs(own, values) : own))
    unchanged.push(...planned.plan.unchanged.map((u) => ({ ...u, component: name })))
    warnings.push(...planned.plan.warnings.filter((w) => !session.warnings.includes(w)).map((w) => `${name}: ${w}`))
    blocked.push(...planned.plan.blocked)
  }
  steps = clusterSteps(app, parts, command, steps)
  if (command === 'deploy') steps = gateSteps(parts, steps)
  steps = withInferredDependencies(steps)
  const first = parts[0].planned.plan
  const components: PlanComponent[] = parts.map(({ component, session, planned }) => {
    const own = steps.filter((s) => s.component === component.name)
    return {
      name: component.name,
      target: component.target,
      summary: summarize(own, planned.plan.unchanged),
      ...(planned.plan.cost ? { cost: planned.plan.cost } : {}),
      observed: fingerprintOf(session, planned.observed),
    }
  })
  const dedupedUnchanged = unchanged.filter(
    (u, i) => unchanged.findIndex((x) => x.resource.type === u.resource.type && x.resource.name === u.resource.name) === i,
  )
  const cost = totalCost(components)
  const plan: Plan = {
    ...first,
    command,
    target: [...new Set(parts.map((p) => p.component.target))].join('+'),
    salt,
    createdAt: now.toISOString(),
    observed: `sha256:${sha256Hex(canonicalJson(components.map((c) => [c.name, c.observed])))}`,
    steps,
    unchanged: dedupedUnchanged,
    warnings: [...app.session.warnings, ...warnings],
    blocked,
    summary: summarize(steps, dedupedUnchanged),
    components,
    ...(cost ? { cost } : {}),
  }
  if (!cost) delete plan.cost
  const observed = new Map(parts.map((p) => [p.component.name, p.planned.observed]))
  const artifacts = new Map(parts.flatMap((p) => [...p.planned.prepared.artifacts.entries()].map(([k, v]) => [`${p.component.name}/${k}`, v] as const)))
  return { plan, observed, prepared: { artifacts } }
}

function refValuesFromSteps(component: LoadedComponent, parts: Part[]) {
  const producers = new Map(parts.map((p) => [p.component.name, { session: p.session, planned: p.planned }]))
  return refValues(component.refs, producers)
}

/** A component's step in the app's plan: its id, dependencies and references prefixed by the component. */
function prefixStep(step: Step, component: string): Step {
  const prefix = (id: string) => `${component}/${id}`
  const refs = (value: unknown): unknown => {
    if (isRef(value)) return { ...value, ref: prefix(value.ref) }
    if (Array.isArray(value)) return value.map(refs)
    if (value && typeof value === 'object' && !(value instanceof Uint8Array)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, refs(v)]))
    return value
  }
  return {
    ...step,
    id: prefix(step.id),
    component,
    dependsOn: step.dependsOn.map(prefix),
    request: { ...step.request, input: refs(step.request.input) as Record<string, unknown> },
    ...(step.wait ? { wait: { ...step.wait, input: refs(step.wait.input) as Record<string, unknown> } } : {}),
    ...(step.precondition ? { precondition: step.precondition } : {}),
    ...(step.changes ? { changes: step.changes.map((c) => ({ ...c, after: refs(c.after) })) } : {}),
  }
}

function totalCost(components: PlanComponent[]): PlanCost | undefined {
  const costs = components.flatMap((c) => (c.cost ? [c.cost] : []))
  if (!costs.length) return undefined
  const sum = (f: (c: PlanCost) => number) => Math.round(costs.reduce((a, c) => a + f(c), 0) * 100) / 100
  return {
    monthly: { value: sum((c) => c.monthly.value), unit: 'USD/month' },
    change: { value: sum((c) => c.change.value), unit: 'USD/month' },
    basis: `for ${costs.length} of ${components.length} components (the others have no estimate)`.replace(
      `for ${components.length} of ${components.length} components (the others have no estimate)`,
      `for all ${components.length} components`,
    ),
    pricesDate: costs[0].pricesDate,
  }
}

/** An app without components: is its own one component, named after the app. */
export function checkNoComponentsNamed(app: string, named: string[]): void {
  const other = named.find((n) => n !== app)
  if (other) throw invalid('UnknownComponent', `${app} has no components: (no component named ${other})`, ['leave out the component names'])
}

/** The one component run and rollback act on: named, or the only one there is. */
export function oneComponent(names: string[], named: string[], command: string): string {
  if (named.length === 1 && names.includes(named[0])) return named[0]
  if (named.length === 0 && names.length === 1) return names[0]
  if (named.length === 1) throw invalid('UnknownComponent', `no component named ${named[0]}`, [`components: ${names.join(', ')}`])
  throw invalid('OneComponent', `${command} acts on exactly one component; this app has ${names.length}: ${names.join(', ')}`, [
    `name it: shipit ${command} ${names[0]}`,
  ])
}

/** A session per component the command acts on (status, logs, run): an app of one is its own component, named after the app. */
export async function openEach(options: SessionOptions, named: string[], command: string): Promise<{ name: string; session: Session; ofApp: boolean }[]> {
  const loaded = await loadForSession(options)
  if (!loaded.components) {
    checkNoComponentsNamed(loaded.manifest.name, named)
    return [{ name: loaded.manifest.name, session: await openSession(options, loaded), ofApp: false }]
  }
  const app = await openAppSession(options, loaded, named, command)
  return app.components.map((c) => ({ name: c.component.name, session: c.session, ofApp: true }))
}
