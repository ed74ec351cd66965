import type { AwsClients } from '../aws/clients.js'
import type { Desired } from '../manifest/resolve.js'
import type { TargetName } from '../manifest/schema.js'
import type { Catalogue } from '../plan/catalogue.js'
import type { LocalOperations } from '../plan/execute.js'
import type { Artifact, Plan, Step, Unchanged } from '../plan/types.js'
import type { PreparedImage } from './image/prepare.js'

/** What a target may use while observing: read-only AWS access and where it is. */
export interface ObserveContext {
  clients: AwsClients
  region: string
  /** the caller's account, when known before observing */
  account?: string
  /** with components: the app's one GetCallerIdentity, asked once for every component (its answer, when needed) */
  caller?: () => Promise<CallerIdentity>
  signal?: AbortSignal
  /** what the observation is for: destroy reads more (every revision, running tasks) than deploy needs */
  command?: Plan['command']
  /** --show-undeclared: show the live values of names app.yaml does not declare (src/targets/sensitive-keys.ts) */
  showUndeclared?: boolean
}

/** What sts:GetCallerIdentity answers that shipit uses. */
export interface CallerIdentity {
  Account?: string
  Arn?: string
}

/** Planning inputs besides desired and observed state. */
export interface PlanContext {
  region: string
  /** undefined offline: ARNs then carry an `<account>` placeholder */
  account?: string
  /** the account's partition, when an ARN read from AWS (the caller's, a resource's) told it; else the region's */
  partition?: string
  /** --adopt: take over resources with shipit's names but without its tags */
  adopt: boolean
}

/** Local work that a plan needs and that touches no AWS (the function's zip). */
export interface Prepared {
  /** needsS3: the package is too big to send in the request itself (Lambda: above 50 MB zipped) */
  artifacts: Map<string, { artifact: Artifact; bytes: Uint8Array; needsS3?: boolean }>
  /** container.build: the build context hashed, so the plan knows the image tag before any build */
  image?: PreparedImage | null
}

/** The second stage of `prepare`: the build (the zip), run alongside observe. */
export type PrepareBuild = () => Promise<Prepared>

/** A resource shipit will not change, and why; any of these stops a deploy before its first call. */
export interface Blocked {
  resource: { type: string; name: string }
  reason: string
}

export interface PlanPart {
  steps: Step[]
  unchanged: Unchanged[]
  warnings: string[]
  blocked: Blocked[]
}

/** What users want to know after a deploy and from `status`: URLs, ARNs, versions. */
export type Outputs = Record<string, string | number | boolean | string[] | undefined>

/**
 * The target contract: reads, a pure plan, outputs, and the catalogue of the operations its plans
 * send. Every member is required; what differs between targets is data (the catalogue, how `run`
 * runs). Rendering, saving, confirming, executing, waiting and reporting are shared by all targets.
 */
export interface Target<Observed, D extends Desired = Desired> {
  name: TargetName
  /**
   * Every operation the target's steps send and every wait they name: idempotency rules, read-backs
   * after a lost answer, waiters, runbook forms. The executor and the runbook are given it with the plan.
   */
  catalogue: Catalogue
  /**
   * The runner of the plan's local steps (a container build and push), or undefined when it has
   * none. Called before the plan's first AWS change, it checks what they need (the container CLI and
   * its daemon), so a machine that cannot build changes nothing.
   */
  localOperations(steps: Step[], signal?: AbortSignal): Promise<LocalOperations | undefined>
  /**
   * Local preparation, in two stages. The first checks the local input (the package boundary) before
   * any AWS call, so invalid input exits 3 with nothing sent; it returns the build (the zip), which
   * runs alongside observe. Both end promptly, with exit 130, when `signal` aborts.
   */
  prepare(desired: D, signal?: AbortSignal): Promise<PrepareBuild>
  /** Read-only calls: what exists now. Offline, `nothing()` stands in. */
  observe(ctx: ObserveContext, desired: D): Promise<Observed>
  /** What observe returns when AWS is not read: nothing exists. */
  nothing(desired: D): Observed
  /** The steps from observed to desired. Pure. */
  plan(desired: D, observed: Observed, prepared: Prepared, ctx: PlanContext): PlanPart
  /** The steps that remove what shipit created for this app and env. Pure. */
  planDestroy(desired: D, observed: Observed, ctx: PlanContext): PlanPart
  /** URLs and identifiers, from what was observed and, after an apply, the steps' responses. */
  outputs(desired: D, observed: Observed, applied?: Record<string, Record<string, unknown>>): Outputs
  /** Outputs that need more reads (task public IPs), for status and after a deploy; {} when there are none. */
  liveOutputs(ctx: ObserveContext, desired: D, observed: Observed): Promise<Outputs>
  /** Whether anything of the app is live (`status` exits 1 when not). */
  deployed(observed: Observed): boolean
  /**
   * Which target made what is live, by its shipit:target tag, where two targets read the same names
   * (fargate and ecs: one cluster, one task family); absent or undefined: this target. `status` of an
   * app on two targets (a move half done) tells them apart with it.
   */
  deployedAs?(observed: Observed): TargetName | undefined
  /** The part of observed state whose change makes a saved plan stale. */
  fingerprint(observed: Observed): unknown
  /** `shipit rollback`: read the deploy history, plan the move back. */
  rollback: RollbackSupport<any, D>
  /** `shipit run`: a one-off task planned as one step that the executor runs and waits for (containers), or an invocation (functions). */
  run: RunSupport<Observed, D>
}

type RunSupport<Observed, D extends Desired> =
  | { kind: 'task'; plan(desired: D, observed: Observed, ctx: PlanContext, options: RunOptions): PlanPart }
  | { kind: 'invoke'; invoke(ctx: ObserveContext, desired: D, options: RunOptions): Promise<RunOutcome> }

export interface RollbackSupport<History, D extends Desired = Desired> {
  observe(ctx: ObserveContext, desired: D): Promise<History>
  /** Pure. `to` is a version or revision the user picked; throws a ShipitError when there is nothing to go back to. */
  plan(desired: D, history: History, ctx: PlanContext, to?: string): PlanPart
}

export interface RunOptions {
  /** container: command override */
  command?: string[]
  /** lambda: the event */
  payload?: string
  signal?: AbortSignal
  timeoutSeconds: number
  /** log lines as they arrive (container tasks) */
  onLog?: (line: string) => void
}

export interface RunOutcome {
  /** the container's exit code; 0 or 1 for an invocation */
  exitCode: number
  /** the function's response, or a summary of the task */
  output?: string
  details?: Record<string, unknown>
}

/** Tags as IAM and EC2 want them. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
}

export function tagMap(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? ''
  return out
}

/**
 * The partitions other than `aws`, by the prefix of their regions (the SDK's partitions.json:
 * cn-north-1, us-gov-west-1, us-iso-east-1, us-isob-east-1, eu-isoe-west-1, us-isof-south-1,
 * eusc-de-east-1). ARNs, managed policies included, carry the partition; service principals do not
 * (`lambda.amazonaws.com` is the principal in every partition).
 */
const PARTITION_OF_REGION: [prefix: string, partition: string][] = [
  ['cn-', 'aws-cn'],
  ['us-gov-', 'aws-us-gov'],
  ['us-iso-', 'aws-iso'],
  ['us-isob-', 'aws-iso-b'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-isof-', 'aws-iso-f'],
  ['eusc-', 'aws-eusc'],
]

/** The partition of a region: `aws` unless the region's prefix names another. */
export function partition(region: string): string {
  return PARTITION_OF_REGION.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws'
}

/** The partition ARNs are written in: the account's, when an ARN read from AWS told it, else the region's. */
export function arnPartition(ctx: { region: string; partition?: string }): string {
  return ctx.partition ?? partition(ctx.region)
}

/** The partition an ARN names (`arn:aws-cn:iam::…` → `aws-cn`), undefined for anything else. */
export function partitionOfArn(arn: string | undefined): string | undefined {
  const m = /^arn:(aws[a-z-]*):/.exec(arn ?? '')
  return m?.[1]
}

export const ACCOUNT_PLACEHOLDER = '<account>'
