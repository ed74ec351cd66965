import type { OperationInput, OperationName, ServiceName } from '../aws/services.js'

/**
 * What IAM must allow for each operation of a catalogue: its IAM actions, the resources they are
 * granted on (ARN patterns of one app's resources) and the conditions that narrow them. Declared in
 * each target's catalogue beside the operations, so `shipit policy` writes the deployer's policy from
 * the operations shipit sends and no list of actions is kept by hand anywhere else.
 *
 * Each need also says which resource one request addresses (its ARN from the request's input) and the
 * values of its condition keys: the tests check every request sent against the policy written.
 */

/** Where one app's resources are: what a policy is written for. */
export interface AppScope {
  partition: string
  region: string
  /** the account, or a placeholder the output says to replace */
  account: string
  app: string
  /** the environment the policy is for, or `*` for all of them */
  env: string
  /** the ECS clusters of the app's environments (`<app>-<env>` unless app.yaml names one) */
  clusters: readonly string[]
  /** roles app.yaml names (function.role): passed as well as shipit's own */
  roles: readonly string[]
  /** buckets app.yaml names (function.bucket), besides shipit's artifacts bucket */
  buckets: readonly string[]
  /** the entries of secrets: as app.yaml writes them (ssm:/NAME, secretsmanager:NAME#key, ARNs): their versions are read */
  secrets?: readonly string[]
  /** http.domain of the app's environments: the record names its Route 53 changes are held to */
  domains?: readonly string[]
  /** with components: the component the names are for (`<app>-<component>-<env>`) */
  component?: string
}

/** Where one request went: what its ARNs are made of. */
export interface CallScope {
  partition: string
  region: string
  account: string
}

/** A Condition element: operator → key → values. */
export type Conditions = Record<string, Record<string, string | string[]>>

/** A kind of resource: the ARN of one by its name, and the patterns of one app's. */
export interface ResourceKind {
  arn(at: CallScope, name: string): string
  patterns(scope: AppScope): string[]
}

/** The commands a permission is needed by; `other` is run, rollback, logs and status. */
export type PolicyUse = 'plan' | 'deploy' | 'destroy' | 'other'
export const POLICY_USES: readonly PolicyUse[] = ['plan', 'deploy', 'destroy', 'other']

/** One IAM action an operation needs, on one kind of resource (none: the action takes no resource-level permissions). */
export interface Need<I extends object = object> {
  action: string
  /** undefined: `Resource: "*"`, allowed only for actions without resource-level permissions */
  resource?: ResourceKind
  /** what the request names the resource by (a name, an id or an ARN; several when it names several); undefined when it has none */
  name?(input: I): string | readonly string[] | undefined
  /** the condition of the statement that grants it */
  conditions?(scope: AppScope): Conditions
  /** the values of the condition keys for one request (a list for a multivalued key, as ForAllValues conditions test) */
  context?(input: I, at: CallScope): Record<string, string | readonly string[] | undefined>
  /** whether a request needs it (s3:GetObject only when the package is in S3); default: always */
  when?(input: I): boolean
}

/** The IAM needs of one operation (none: it needs no permission, as sts:GetCallerIdentity). */
export interface Permission {
  service: string
  operation: string
  uses: readonly PolicyUse[]
  needs: readonly Need[]
  /** whether an app needs it at all (the domain's operations: only an app with http.domain); default: every app */
  onlyIf?(scope: AppScope): boolean
}

/** Every command reads. */
export const READ: readonly PolicyUse[] = POLICY_USES

/** The permission of an operation, with its needs typed by the SDK input of the operation. */
export function permission<S extends ServiceName, O extends OperationName<S>>(
  op: { service: S; operation: O },
  uses: readonly PolicyUse[],
  ...needs: Need<OperationInput<S, O> & object>[]
): Permission {
  return { service: op.service, operation: op.operation, uses, needs }
}

/** The permission of an SDK call sent from inside a local operation or a library (lib-storage's multipart upload). */
export function sdkPermission<S extends ServiceName, O extends OperationName<S>>(
  service: S,
  operation: O,
  uses: readonly PolicyUse[],
  ...needs: Need<OperationInput<S, O> & object>[]
): Permission {
  return { service, operation, uses, needs }
}

/** The permission of a local operation (a docker push): its needs take the step's input. */
export function localPermission<I extends object>(op: { service: string; operation: string }, uses: readonly PolicyUse[], ...needs: Need<I>[]): Permission {
  return { service: op.service, operation: op.operation, uses, needs }
}

/** `<app>-<env>`: the name of the app's function, API, cluster, service and task family (`<app>-*` for every env). */
export const baseName = (scope: AppScope) => (scope.component ? `${scope.app}-${scope.component}-${scope.env}` : `${scope.app}-${scope.env}`)

/** A regional resource of a service: `arn:<partition>:<service>:<region>:<account>:<path>`. */
export function regional(service: string, path: (name: string) => string, names: (scope: AppScope) => string[]): ResourceKind {
  const arn = (at: CallScope, name: string) => (name.startsWith('arn:') ? name : `arn:${at.partition}:${service}:${at.region}:${at.account}:${path(name)}`)
  return { arn, patterns: (scope) => names(scope).map((n) => arn(scope, n)) }
}

/** A resource named without region (IAM), or without region and account (S3), or without account (API Gateway). */
export function arnKind(arn: (at: CallScope, name: string) => string, names: (scope: AppScope) => string[]): ResourceKind {
  const of = (at: CallScope, name: string) => (name.startsWith('arn:') ? name : arn(at, name))
  return { arn: of, patterns: (scope) => names(scope).map((n) => of(scope, n)) }
}

/** A need of `action` on the resource the request names. */
export function on<I extends object>(
  resource: ResourceKind,
  action: string,
  name: (input: I) => string | readonly string[] | undefined,
  extra: Pick<Need<I>, 'conditions' | 'context'> = {},
): Need<I> {
  return { action, resource, name, ...extra }
}

/** A need of an action that takes no resource-level permissions (`Resource: "*"`). */
export function anyResource<I extends object>(action: string, extra: Pick<Need<I>, 'conditions' | 'context'> = {}): Need<I> {
  return { action, ...extra }
}

/** The tag key every resource of shipit carries, and its condition keys. */
const APP_TAG = 'shipit:app'
const RESOURCE_TAG = `aws:ResourceTag/${APP_TAG}`
const REQUEST_TAG = `aws:RequestTag/${APP_TAG}`

/** The tags of a request in any of the shapes the SDKs have: a map, a list of Key/Value or key/value, EC2's TagSpecifications. */
function requestTags(input: object): Record<string, string> {
  const record = input as Record<string, unknown>
  const tags: Record<string, string> = {}
  const add = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const t of value as Record<string, unknown>[]) {
        const key = t?.Key ?? t?.key
        if (typeof key === 'string') tags[key] = String(t.Value ?? t.value ?? '')
      }
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (typeof v === 'string') tags[k] = v
    }
  }
  add(record.Tags)
  add(record.tags)
  add((record.Tagging as { TagSet?: unknown } | undefined)?.TagSet)
  for (const spec of (record.TagSpecifications as { Tags?: unknown }[] | undefined) ?? []) add(spec.Tags)
  return tags
}

/** Granted only when the request tags what it makes with this app's shipit:app tag. */
export const taggedRequest = {
  conditions: (scope: AppScope): Conditions => ({ StringEquals: { [REQUEST_TAG]: scope.app } }),
  context: (input: object) => ({ [REQUEST_TAG]: requestTags(input)[APP_TAG] }),
}

/** Granted only on resources tagged with this app's shipit:app tag (the proof does not read the resources' tags: see test/policy). */
export const taggedResource = {
  conditions: (scope: AppScope): Conditions => ({ StringEquals: { [RESOURCE_TAG]: scope.app } }),
}

/** What one request asks IAM: each action on the ARN it addresses, with its condition values. */
export interface Authorization {
  action: string
  resource: string
  context: Record<string, string | readonly string[] | undefined>
}

/** The authorizations one request needs, from its permission. */
export function authorizationsOf(permission: Permission, input: object, at: CallScope): Authorization[] {
  return permission.needs
    .filter((need) => need.when?.(input) ?? true)
    .flatMap((need) => {
      const context = need.context?.(input, at) ?? {}
      if (!need.resource) return [{ action: need.action, resource: '*', context }]
      const named = need.name?.(input)
      const names = named === undefined ? [''] : typeof named === 'string' ? [named] : named
      return names.map((name) => ({ action: need.action, resource: need.resource?.arn(at, name) ?? '*', context }))
    })
}
