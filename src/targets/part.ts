import { ownedBy } from '../manifest/names.js'
import type { Desired } from '../manifest/resolve.js'
import type { Step, Unchanged } from '../plan/types.js'
import type { Blocked, PlanContext, PlanPart } from './target.js'

export const NOT_OURS =
  'exists without shipit tags (shipit:app, shipit:env); shipit does not change what it did not create — rename the app, delete it, or pass --adopt to take it over'

/** A plan part being built, with the ownership rules every resource follows. */
export class PartBuilder<D extends Desired = Desired> {
  readonly steps: Step[] = []
  readonly unchanged: Unchanged[] = []
  readonly warnings: string[] = []
  readonly blocked: Blocked[] = []

  constructor(
    readonly desired: D,
    readonly ctx: PlanContext,
  ) {}

  owned(tags: Record<string, string> | undefined): boolean {
    return ownedBy(tags, this.desired.app, this.desired.env)
  }

  /** A resource with shipit's name but not its tags: blocked, unless --adopt takes it over (then false). */
  refuse(type: string, name: string): boolean {
    if (this.ctx.adopt) return false
    this.blocked.push({ resource: { type, name }, reason: NOT_OURS })
    return true
  }

  /** The step that takes over a resource with shipit's name but not its tags (--adopt): it adds the tags. */
  adopt(id: string, resource: { type: string; name: string }, request: Step['request']): string {
    return this.add({ id, action: 'update', resource, reason: 'adopt: add shipit tags', request, dependsOn: [] })
  }

  add(step: Step): string {
    this.steps.push(step)
    return step.id
  }

  keep(type: string, name: string, note?: string): void {
    this.unchanged.push({ resource: { type, name }, ...(note ? { note } : {}) })
  }

  has(id: string): boolean {
    return this.steps.some((s) => s.id === id)
  }

  /** ids of the steps among `ids` that are in the plan */
  present(...ids: string[]): string[] {
    return ids.filter((id) => this.has(id))
  }

  part(): PlanPart {
    return { steps: this.steps, unchanged: this.unchanged, warnings: this.warnings, blocked: this.blocked }
  }
}
