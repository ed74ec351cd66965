import type { AwsClients } from '../aws/clients.js'
import type { OperationInput, OperationName, ServiceName } from '../aws/services.js'
import type { WaiterSet } from '../aws/waiters.js'
import type { Permission } from './permissions.js'
import type { AwsRequest, Idempotency, LocalRequest, Plannable, Step } from './types.js'

/**
 * A target's operation catalogue: every AWS operation (and local operation) its plans send, each
 * declared once as a typed descriptor — its idempotency rule, how a create is read back after a lost
 * answer, how the runbook renders it and which aws CLI releases know it — and the waits its steps
 * name. Planners build requests from the descriptors; the executor and the runbook are given the
 * catalogue by the target. Nothing in src/plan/ names an operation: the catalogue does.
 */

/** The first aws CLI releases, v1 and v2, that know a command or one of its options. */
export interface CliVersions {
  v1: string
  v2: string
}

/** What a read found: the step's outputs, shaped like the create's answer, and what it is, in words. */
interface Recovered {
  outputs: Record<string, unknown>
  what: string
}

/** How a rendered runbook command is written and which aws CLI knows it. */
interface CliRendering {
  /** the aws CLI command group, when it is not the SDK service's name (S3's API is `aws s3api`) */
  command?: string
  /** the CLI releases that know the command */
  cli: CliVersions
  /** input members that need a later CLI than the command itself, with the releases that know them */
  members?: Readonly<Record<string, CliVersions>>
  /** members the script leaves out, and why */
  leftOut?: { members: string[]; why: string }
}

/** The erased form every descriptor of a catalogue has; `recover` is a method so a typed one fits. */
export interface OperationDescriptor {
  service: string
  operation: string
  /** a read: sent by plan and --dry-run, never given an idempotency rule */
  read: boolean
  /** what makes the call safe to send again; 'token': a client token derived from the plan */
  idempotency?: Idempotency | 'token'
  /** reads back what a create made after a lost answer or a conflict (rule `recover`); given the input as resolved at apply */
  recover?(input: object, clients: AwsClients, since: number): Promise<Recovered | undefined>
  /** an AWS call: how the runbook writes it; a local operation: the lines that do it */
  runbook?: CliRendering
  /** a local operation's lines in the runbook (a docker build, an `aws s3 cp`) */
  script?(step: Step, refs: RunbookRefs): string[]
  /** the CLI releases a local operation's lines need, when they are aws CLI lines */
  scriptCli?: CliVersions
}

/** An AWS operation with its SDK input type. */
interface AwsOperation<S extends ServiceName, O extends OperationName<S>> extends OperationDescriptor {
  service: S
  operation: O
  recover?(input: OperationInput<S, O> & object, clients: AwsClients, since: number): Promise<Recovered | undefined>
  /** The request of a step: the compiler checks `input` against the SDK's input type of the operation. */
  request(input: Plannable<OperationInput<S, O>> & object): AwsRequest
}

type AwsSpec<S extends ServiceName, O extends OperationName<S>> = Omit<AwsOperation<S, O>, 'service' | 'operation' | 'request' | 'read'> & {
  read?: boolean
}

/** Declares an AWS operation of a catalogue. */
export function awsOperation<S extends ServiceName, O extends OperationName<S>>(service: S, operation: O, spec: AwsSpec<S, O>): AwsOperation<S, O> {
  return {
    service,
    operation,
    read: spec.read ?? false,
    ...spec,
    // the same members in the same order: a plan's bytes do not depend on how its requests were built
    request: (input) => ({ service, operation, input: Object.fromEntries(Object.entries(input)) }),
  }
}

/** A local operation (a container build, a package upload) with its input type. */
interface LocalOperation<I extends Record<string, unknown>> extends OperationDescriptor {
  service: LocalRequest['service']
  request(input: I): LocalRequest
}

/** Declares a local operation of a catalogue. */
export function localOperation<I extends Record<string, unknown>>(
  service: LocalRequest['service'],
  operation: string,
  spec: Omit<LocalOperation<I>, 'service' | 'operation' | 'request' | 'read'>,
): LocalOperation<I> {
  return { service, operation, read: false, ...spec, request: (input) => ({ service, operation, input: { ...input } }) }
}

/** What a renderer of a step that is not a plain aws CLI call needs from the script around it. */
export interface RunbookRefs {
  /** a value of the request as the script has it: a captured variable for a reference ("$VAR"), else the value quoted */
  text(value: unknown): string
  /** the variable a later step reads this step's output from, when one does */
  variable(output: string): string | undefined
  /** the path of a package the script sends, beside the script */
  artifact(value: { artifact: 'zip'; sha256: string; source: string; size: number }): string
  region: string
}

/**
 * A wait as the runbook does it: an aws CLI waiter, or lines of its own (a poll of a rollout that
 * fails when ECS rolled it back). `text` gives a value of `input` as the script has it.
 */
export type WaitRendering =
  | { cli: { service: string; waiter: string; input: Record<string, unknown>; versions: CliVersions }; note?: string }
  | { script: (text: (value: unknown) => string) => string[]; input: Record<string, unknown>; command: string; versions: CliVersions; note?: string }

/** How the runbook does one wait of the catalogue, given the wait's input. */
export type WaitRunbook = (input: Record<string, unknown>) => WaitRendering

/**
 * What offline plans write where a value is only known from the account: the script looks it up
 * first, or asks for it in the environment.
 */
export interface Placeholder {
  variable: string
  /** the aws CLI call that finds it (its answer captured as text, or as a JSON list) */
  lookup?: string
  json?: boolean
  /** what to do when it is not found */
  missing: string
}

export interface Catalogue {
  operations: readonly OperationDescriptor[]
  /** the waits the steps name: shipit's own waiters and explanations of the SDK's */
  waiters: WaiterSet
  /** how the runbook does each wait the steps name; a wait not here has no CLI form, and the script says so */
  waitRunbook: Readonly<Record<string, WaitRunbook>>
  /** the placeholders offline plans write, by their text */
  placeholders: Readonly<Record<string, Placeholder>>
  /** what IAM must allow for each operation sent, reads and SDK calls inside local operations included (src/plan/permissions.ts) */
  permissions?: readonly Permission[]
}

/** The descriptor of a step's request, or undefined when the catalogue has none. */
export function describe(catalogue: Pick<Catalogue, 'operations'>, request: { service: string; operation: string }): OperationDescriptor | undefined {
  return catalogue.operations.find((o) => o.service === request.service && o.operation === request.operation)
}

/** Joins catalogue parts (a target's own and the shared ones); a later part's waits and placeholders win. */
export function joinCatalogues(...parts: Partial<Catalogue>[]): Catalogue {
  return {
    operations: parts.flatMap((p) => p.operations ?? []),
    waiters: {
      custom: Object.assign({}, ...parts.map((p) => p.waiters?.custom ?? {})),
      explain: Object.assign({}, ...parts.map((p) => p.waiters?.explain ?? {})),
    },
    waitRunbook: Object.assign({}, ...parts.map((p) => p.waitRunbook ?? {})),
    placeholders: Object.assign({}, ...parts.map((p) => p.placeholders ?? {})),
    permissions: parts.flatMap((p) => p.permissions ?? []),
  }
}
