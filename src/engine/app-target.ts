import { ShipitError } from '../errors.js'
import type { Desired } from '../manifest/resolve.js'
import { joinCatalogues } from '../plan/catalogue.js'
import type { LocalOperations } from '../plan/execute.js'
import type { Step } from '../plan/types.js'
import type { Outputs, Target } from '../targets/target.js'
import type { ComponentSession } from './app-session.js'

/**
 * An app of several components as one target for the shared engine (applyPlan, the executor, the
 * runbook): the components' catalogues joined, local operations sent to the component whose step it
 * is, and outputs per component, as `<component>.<output>`. Planning is done per component
 * (src/engine/components.ts), so the planning members refuse to be called.
 */
export function appTarget(components: ComponentSession[]): Target<unknown> {
  const byName = new Map(components.map((c) => [c.component.name, c]))
  const perComponent = (observed: unknown, each: (c: ComponentSession, seen: unknown) => Outputs): Outputs => {
    const out: Outputs = {}
    const seen = observed instanceof Map ? observed : new Map()
    for (const c of components) {
      for (const [k, v] of Object.entries(each(c, seen.get(c.component.name) ?? c.session.target.nothing(c.session.desired)))) {
        if (v !== undefined) out[`${c.component.name}.${k}`] = v
      }
    }
    return out
  }
  const notForApps = (what: string) => () => {
    throw new ShipitError('NotForApps', `${what} is made per component`)
  }
  return {
    name: components[0].session.target.name,
    catalogue: joinCatalogues(...components.map((c) => c.session.target.catalogue)),
    async localOperations(steps: Step[], signal?: AbortSignal): Promise<LocalOperations | undefined> {
      const runners = new Map<string, LocalOperations>()
      for (const c of components) {
        const own = steps.filter((s) => s.component === c.component.name)
        const local = own.length ? await c.session.target.localOperations(own, signal) : undefined
        if (local) runners.set(c.component.name, local)
      }
      if (!runners.size) return undefined
      // a local request does not say whose it is: any runner of its kind runs it (their inputs are self-contained)
      return async (request, ctx) => {
        for (const [name, run] of runners) {
          const kind = components.find((c) => c.component.name === name)?.session.target.name
          if ((request.service === 'container') === (kind !== 'lambda')) return run(request, ctx)
        }
        throw new ShipitError('InvalidPlan', `no component runs the local ${request.service}:${request.operation}`)
      }
    },
    prepare: notForApps('the local preparation'),
    observe: notForApps('observing'),
    nothing: () => new Map(components.map((c) => [c.component.name, c.session.target.nothing(c.session.desired)])),
    plan: notForApps('the plan'),
    planDestroy: notForApps('the plan'),
    outputs(_desired: Desired, observed: unknown, applied: Record<string, Record<string, unknown>> = {}): Outputs {
      return perComponent(observed, (c, seen) => c.session.target.outputs(c.session.desired, seen, ownApplied(applied, c.component.name)))
    },
    async liveOutputs(ctx, _desired, observed): Promise<Outputs> {
      const seen = observed instanceof Map ? observed : new Map()
      const parts = await Promise.all(
        components.map(
          async (c) => [c.component.name, await c.session.target.liveOutputs(ctx, c.session.desired, seen.get(c.component.name)).catch(() => ({}))] as const,
        ),
      )
      const out: Outputs = {}
      for (const [name, o] of parts) for (const [k, v] of Object.entries(o)) if (v !== undefined) out[`${name}.${k}`] = v
      return out
    },
    deployed: (observed) => components.some((c) => c.session.target.deployed((observed as Map<string, unknown>).get(c.component.name))),
    fingerprint: (observed) => [...byName.keys()].map((n) => [n, byName.get(n)?.session.target.fingerprint((observed as Map<string, unknown>).get(n))]),
    rollback: { observe: notForApps('rollback'), plan: notForApps('rollback') },
    run: { kind: 'invoke', invoke: notForApps('run') },
  }
}

/** The answers of one component's steps, by their own ids (without the `<component>/` prefix). */
function ownApplied(applied: Record<string, Record<string, unknown>>, component: string): Record<string, Record<string, unknown>> {
  const prefix = `${component}/`
  return Object.fromEntries(Object.entries(applied).flatMap(([id, v]) => (id.startsWith(prefix) ? [[id.slice(prefix.length), v]] : [])))
}
