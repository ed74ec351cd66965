import { canonicalJson, sha256Hex } from '../digest.js'
import { type Catalogue, describe } from './catalogue.js'
import type { Plan, Step } from './types.js'

/**
 * Idempotency at plan assembly: each mutating step gets the rule its operation's descriptor declares
 * in the target's catalogue (src/plan/catalogue.ts), so a saved plan keeps the rule with its step.
 */

/**
 * ECS client tokens (CreateService takes up to 36 ASCII characters, RunTask up to 64): a hash of the
 * app, env, step id, the request as planned and the plan's creation time, so that the SDK's retries
 * and a re-run of the same saved plan send the same token, and the next plan (another one-off task) a new one.
 */
export function clientToken(plan: Pick<Plan, 'app' | 'env' | 'createdAt'>, step: Step): string {
  return sha256Hex(canonicalJson([plan.app, plan.env, plan.createdAt, step.id, step.request])).slice(0, 32)
}

/** Every mutating step with the rule of its operation in the catalogue. */
export function withIdempotency(plan: Pick<Plan, 'app' | 'env' | 'createdAt'>, steps: Step[], catalogue: Pick<Catalogue, 'operations'>): Step[] {
  return steps.map((step) => {
    const descriptor = describe(catalogue, step.request)
    if (!descriptor) throw new Error(`${step.request.service} ${step.request.operation} is not in the target's catalogue`)
    const rule = descriptor.read ? undefined : descriptor.idempotency
    if (!rule) return step
    if (rule !== 'token') return { ...step, idempotency: rule }
    // the executor sends it (withToken); the runbook leaves it out, as a script run twice must run its task twice
    return { ...step, idempotency: { kind: 'token', field: 'clientToken', value: clientToken(plan, step) } }
  })
}

/** The input a step is sent with: its client token added, when its rule has one. */
export function withToken(step: Step, input: Record<string, unknown>): Record<string, unknown> {
  const rule = step.idempotency
  return rule?.kind === 'token' && input[rule.field] === undefined ? { ...input, [rule.field]: rule.value } : input
}

// ---------------------------------------------------------------------------------------------
// what a failed send means

interface ErrorFields {
  name?: string
  code?: string
  $fault?: string
  $metadata?: { httpStatusCode?: number }
  $retryable?: { throttling?: boolean }
}
const fields = (err: unknown): ErrorFields => (typeof err === 'object' && err !== null ? (err as ErrorFields) : {})

const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN']

/** AWS may have done the work but its answer never arrived: a 5xx, a dropped connection, a timeout. */
export function answerLost(err: unknown): boolean {
  const e = fields(err)
  if (e.code && NETWORK_CODES.includes(e.code)) return true
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || e.name === 'RequestTimeoutException') return true
  const status = e.$metadata?.httpStatusCode
  return (status !== undefined && status >= 500) || e.$fault === 'server'
}

/** The name is taken: by an earlier attempt of this step, or by someone else. */
export function conflict(err: unknown): boolean {
  const name = fields(err).name ?? ''
  return /Conflict|AlreadyExists|Duplicate/.test(name)
}
