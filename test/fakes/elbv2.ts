// ELBv2: the listener certificates and rules of an Express service's domain (issue 25): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type Elbv2State = Record<string, never>

export function createElbv2State(): Elbv2State {
  return {}
}

export function elbv2Handlers(_ctx: FakeContext): Handlers {
  return {}
}
