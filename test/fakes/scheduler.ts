// EventBridge Scheduler: `schedule:` (issue 22): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type SchedulerState = Record<string, never>

export function createSchedulerState(): SchedulerState {
  return {}
}

export function schedulerHandlers(_ctx: FakeContext): Handlers {
  return {}
}
