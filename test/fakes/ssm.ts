// SSM Parameter Store: secrets by version (issue 24): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type SsmState = Record<string, never>

export function createSsmState(): SsmState {
  return {}
}

export function ssmHandlers(_ctx: FakeContext): Handlers {
  return {}
}
