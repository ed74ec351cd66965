// Secrets Manager: secrets by version (issue 24): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type SecretsManagerState = Record<string, never>

export function createSecretsManagerState(): SecretsManagerState {
  return {}
}

export function secretsManagerHandlers(_ctx: FakeContext): Handlers {
  return {}
}
