// CloudWatch alarms and metrics: releases watched (issue 24): the in-memory model, filled by the work that uses it.
import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export type CloudWatchState = Record<string, never>

export function createCloudWatchState(): CloudWatchState {
  return {}
}

export function cloudwatchHandlers(_ctx: FakeContext): Handlers {
  return {}
}
