// ACM: certificates of custom domains (issue 25): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type AcmState = Record<string, never>

export function createAcmState(): AcmState {
  return {}
}

export function acmHandlers(_ctx: FakeContext): Handlers {
  return {}
}
