import type { RequestData } from '../aws/clients.js'
import type { ServiceName } from '../aws/services.js'
import type { WaitSpec } from '../aws/waiters.js'
import type { PlanCost } from '../compare/plan-cost.js'
import { sha256Hex } from '../digest.js'

/**
 * The plan as data. A plan is a pure function of what is desired and what was observed; every step
 * carries its AWS request, so one executor applies any plan (fresh or saved) and the `aws` CLI line
 * of a step is derived from the same data.
 */

/**
 * 3: secret markers carry a scrypt commitment under the plan's `salt` and `kdf` (src/plan/secrets.ts).
 * Version 2 plans carried an HMAC-SHA256 (one cheap hash per guess), version 1 a bare SHA-256: both are refused.
 */
export const PLAN_FORMAT_VERSION = 3

export type { ServiceName }

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'run'

/** A value known only after an earlier step ran: `output` is a dotted path into that step's response. */
export interface Ref {
  ref: string
  output: string
  /** when set, the value is this string with `{}` replaced by the referenced value */
  format?: string
}

/**
 * A one-entry map whose key is known only after an earlier step ran: the weight of a version not yet
 * published in an alias's routing (`AdditionalVersionWeights: { <new version>: 0.1 }`).
 */
interface KeyedByRef {
  keyRef: Ref
  value: number
}

export function isKeyedByRef(v: unknown): v is KeyedByRef {
  return typeof v === 'object' && v !== null && isRef((v as KeyedByRef).keyRef) && typeof (v as KeyedByRef).value === 'number'
}

/** Bytes that are not stored in the plan: the zip of a directory, rebuilt and checked by hash on apply. */
export interface Artifact {
  artifact: 'zip'
  source: string
  sha256: string
  size: number
}

/**
 * A secret value: sent to AWS, but never stored in a plan or printed. The plan keeps the name of the
 * variable and a hash; the executor takes the value from the environment and checks it by the hash.
 */
export interface Sensitive {
  sensitive: string
  /** in a plan document, the scrypt commitment of src/plan/secrets.ts (the name is older); in memory, a SHA-256 */
  sha256: string
}

/** How a plan's secret commitments are derived: scrypt's parameters (src/plan/secrets.ts says why these). */
export interface SecretKdf {
  algorithm: 'scrypt'
  N: number
  r: number
  p: number
  keylen: number
}

/** A step's AWS call as data: the API operation (the SDK command is `${operation}Command`) and its input. */
export type AwsRequest = RequestData

/**
 * A step's local operation as data (building and pushing a container image, uploading a package): not sent to AWS but run
 * by the target's local operations, which the executor is given, like its waiters.
 */
export interface LocalRequest {
  /** container: the container CLI (build, push); local: shipit's own work (a package's multipart upload) */
  service: 'container' | 'local'
  operation: string
  input: Record<string, unknown>
}

type StepRequest = AwsRequest | LocalRequest

export const isLocalRequest = (request: StepRequest): request is LocalRequest => request.service === 'container' || request.service === 'local'

/**
 * An SDK input type as a planner may write it: any value can be a reference to an earlier step's
 * output, strings can be secret markers, and bytes can be an artifact rebuilt at apply.
 */
export type Plannable<T> = T extends string
  ? T | Ref | Sensitive
  : T extends Uint8Array
    ? T | Artifact
    : T extends number | boolean | bigint | Date | null | undefined
      ? T | Ref
      : T extends readonly (infer E)[]
        ? readonly Plannable<E>[] | Ref
        : T extends object
          ? { [K in keyof T]: Plannable<T[K]> } | (string extends keyof T ? KeyedByRef : never)
          : T

/** What the executor waits for after a step's call, with an SDK waiter or one of the target's own. */
export type Wait = WaitSpec

/** Retry a call that fails with this error while AWS is still propagating something (e.g. a new IAM role). */
export interface RetryOn {
  errorName: string
  messageIncludes?: string
  /** how long, in total, the call is retried for this rule */
  seconds: number
  /** what the retries wait for, for the progress line (e.g. "IAM to propagate role web-dev-exec") */
  waitingFor?: string
}

/** A step's retry rules as a list: a saved plan of format 1 may hold one rule, a fresh one a list. */
export function retryRules(step: Pick<Step, 'retry'>): RetryOn[] {
  const { retry } = step
  return retry === undefined ? [] : Array.isArray(retry) ? retry : [retry]
}

/**
 * A read sent right before a step's call: when the value at `path` of its answer is not `equals`,
 * someone changed the resource since the plan was made (a concurrent deploy), and the step fails
 * without its call. For APIs with no revision check of their own (ECS UpdateService).
 */
interface Precondition {
  request: AwsRequest
  path: string
  equals: unknown
  /** what changed, for the error */
  what: string
}

/**
 * What makes a step safe to send again when its answer is lost (a 5xx, a reset, a timeout after AWS
 * may have done the work). Attached to every mutating step by the plan's assembly (src/plan/idempotency.ts):
 * - natural: sending it twice leaves what sending it once does (updates, puts, tags, deletes, and
 *   creates AWS itself makes idempotent);
 * - token: the request carries a client token derived from the plan, so AWS answers a resend (or a
 *   re-run of the same saved plan) with what the first one made;
 * - recover: sent with a single attempt; after a lost answer or a conflict the executor reads the
 *   resource back (`read`, said in words) and, when it is what the step asked for and shipit's, the
 *   step is done with what it read;
 * - single: sent with a single attempt and never resent: a second send would fail on the name, not
 *   duplicate, so a lost answer fails the step and the next deploy observes what exists.
 */
export type Idempotency =
  | { kind: 'natural'; why: string }
  | { kind: 'token'; field: 'clientToken'; value: string }
  | { kind: 'recover'; read: string }
  | { kind: 'single'; why: string }

export interface FieldChange {
  path: string
  before?: unknown
  after?: unknown
  /** replacing the resource is needed for this change */
  forcesReplacement?: boolean
}

interface ResourceRef {
  type: string
  name: string
}

export interface Step {
  id: string
  action: Action
  resource: ResourceRef
  /** why this step is needed, in a few words */
  reason?: string
  changes?: FieldChange[]
  request: StepRequest
  wait?: Wait
  /** one rule or several; each retries the call while its error lasts, within its own bound */
  retry?: RetryOn | RetryOn[]
  precondition?: Precondition
  /** ids of steps whose outputs or effects this step needs */
  dependsOn: string[]
  /** steps that fail with these error names count as done (e.g. deleting what is already gone) */
  okErrors?: string[]
  /** how a lost answer is survived without a duplicate; set on every mutating step when the plan is assembled */
  idempotency?: Idempotency
  /** with components: the component the step belongs to (its id is prefixed `<component>/`) */
  component?: string
}

/** A resource that exists and needs no change, or one that shipit will not touch (with why). */
export interface Unchanged {
  resource: ResourceRef
  note?: string
  /** with components: the component it belongs to */
  component?: string
}

/** With components: one component's part of the app's plan (src/engine/components.ts). */
export interface PlanComponent {
  name: string
  target: string
  summary: PlanSummary
  cost?: PlanCost
  /** sha256 of what observe() saw for this component: a saved plan is checked component by component */
  observed: string
}

export interface PlanSummary {
  create: number
  update: number
  replace: number
  delete: number
  run: number
  noop: number
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION
  shipitVersion: string
  command: 'deploy' | 'destroy' | 'rollback' | 'run'
  app: string
  env: string
  target: string
  region: string
  account?: string
  /** planned without reading AWS: everything is assumed not to exist */
  offline: boolean
  /** sha256 of what observe() saw; a saved plan is stale when this no longer matches */
  observed: string
  /** the salt of the commitments to the secret values this plan sends */
  salt: string
  /** the key derivation of those commitments */
  kdf: SecretKdf
  /** the app.yaml it was made from, relative to the working directory (found upwards when -f is not given) */
  manifest?: string
  createdAt: string
  steps: Step[]
  unchanged: Unchanged[]
  warnings: string[]
  /** resources shipit refuses to change (not its own); a plan with any cannot be applied */
  blocked: { resource: ResourceRef; reason: string }[]
  summary: PlanSummary
  /** estimated monthly cost of what is deployed after this plan, and its change (src/compare/plan-cost.ts) */
  cost?: PlanCost
  /** an env with a ttl (a preview): when it expires after this plan, and the ttl (src/engine/expiry.ts) */
  expires?: { at: string; ttl: string }
  /** with components: each one's target, summary and cost, in the manifest's order; absent for an app of one */
  components?: PlanComponent[]
}

/** The changes of a resource being created: each field with the value it gets. */
export function createdFields(fields: Record<string, unknown>): FieldChange[] {
  return Object.entries(fields).map(([path, after]) => ({ path, after }))
}

/** The marker a secret value travels as: its name and hash, never the value. */
export function sensitiveValue(name: string, value: string): Sensitive {
  return { sensitive: name, sha256: sha256Hex(value) }
}

export function isRef(v: unknown): v is Ref {
  return typeof v === 'object' && v !== null && typeof (v as Ref).ref === 'string' && typeof (v as Ref).output === 'string'
}

export function isArtifact(v: unknown): v is Artifact {
  return typeof v === 'object' && v !== null && (v as Artifact).artifact === 'zip'
}

export function isSensitive(v: unknown): v is Sensitive {
  return typeof v === 'object' && v !== null && typeof (v as Sensitive).sensitive === 'string' && typeof (v as Sensitive).sha256 === 'string'
}

export function summarize(steps: Step[], unchanged: Unchanged[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, run: 0, noop: unchanged.length }
  for (const step of steps) summary[step.action]++
  return summary
}

export type Marker = Ref | Artifact | Sensitive

/** Calls `visit` for each reference, artifact and secret marker inside a request value. */
export function forEachMarker(value: unknown, visit: (marker: Marker) => void): void {
  if (isRef(value) || isArtifact(value) || isSensitive(value)) visit(value)
  else if (Array.isArray(value)) for (const v of value) forEachMarker(v, visit)
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) for (const v of Object.values(value)) forEachMarker(v, visit)
}

/** Every step a request or wait refers to is a dependency, whether or not the planner listed it. */
export function withInferredDependencies(steps: Step[]): Step[] {
  return steps.map((step) => {
    const refs = new Set(step.dependsOn)
    const visit = (marker: Marker) => {
      if (isRef(marker) && marker.ref !== step.id) refs.add(marker.ref)
    }
    forEachMarker(step.request.input, visit)
    if (step.wait) forEachMarker(step.wait.input, visit)
    return { ...step, dependsOn: [...refs] }
  })
}
