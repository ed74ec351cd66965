// Route 53: hosted zones and records of custom domains (issue 25): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type Route53State = Record<string, never>

export function createRoute53State(): Route53State {
  return {}
}

export function route53Handlers(_ctx: FakeContext): Handlers {
  return {}
}
