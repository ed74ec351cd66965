import { canonicalJson } from '../digest.js'
import type { Ref } from '../plan/types.js'
import { type ObservedRole, SECRETS_POLICY_NAME } from './iam-role.js'
import type { PartBuilder } from './part.js'
import { Iam } from './shared-catalogue.js'
import { tagList } from './target.js'

/** What differs between the execution roles of the targets: who assumes the role and what it is for. */
interface ExecutionRoleSpec {
  /** the role's name (derived, cut to IAM's limit) */
  name: string
  /** the service principal that assumes it, e.g. lambda.amazonaws.com */
  principal: string
  /** whose resources the service may assume it for (AWS's confused-deputy guidance) */
  trust: TrustScope
  description: string
  /** why the role exists, for the plan */
  reason: string
  /** the AWS managed policy it needs (logs, image pulls), with why */
  managedPolicy: { arn: string; name: string; reason: string }
  /** why it reads the app's secrets, for the plan; without it the role gets no secrets policy */
  secretsReason?: string
  /** what it reads them at: the secrets' ARNs and the customer managed KMS keys that encrypt them */
  secretAccess?: SecretAccess
  /** the id of its create step, and the prefix of its other steps' ids (default `role`) */
  id?: string
  /** wait until IAM answers for the new role before dependents run */
  waitUntilExists?: boolean
}

/**
 * The account whose resources the service acts for, and, where the service sends it, the ARN pattern
 * of those resources: a role of this account is then never assumed for another account's resource.
 */
interface TrustScope {
  /** aws:SourceAccount: the caller's account (`<account>` offline) */
  account: string
  /** aws:SourceArn, matched with ArnLike; only for services that send it (ecs-tasks) */
  sourceArn?: string
}

export function trustPolicy(principal: string, scope: TrustScope): string {
  const Condition = {
    StringEquals: { 'aws:SourceAccount': scope.account },
    ...(scope.sourceArn ? { ArnLike: { 'aws:SourceArn': scope.sourceArn } } : {}),
  }
  return canonicalJson({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: principal }, Action: 'sts:AssumeRole', Condition }] })
}

const trustWords = (spec: ExecutionRoleSpec) =>
  `${spec.principal} may assume it for account ${spec.trust.account}${spec.trust.sourceArn ? ` (${spec.trust.sourceArn})` : ''} only`

/** The ARNs of the app's secrets, and the customer managed KMS keys (key or alias ARNs) that encrypt them. */
interface SecretAccess {
  arns: string[]
  kmsKeys: string[]
}

/**
 * The one inline policy that lets an execution role read the app's secrets (SSM parameters and
 * Secrets Manager secrets, one or several at a time), as canonical JSON: IAM returns it reformatted.
 * A secret under a customer managed key needs kms:Decrypt on that key too (ECS's and Lambda's docs;
 * the AWS managed keys aws/ssm and aws/secretsmanager need no grant). IAM grants kms:Decrypt on a
 * key's ARN, never on an alias's: a key named by alias is granted on the account's keys that carry
 * the alias (kms:ResourceAliases), and only through the service that holds the secret (kms:ViaService).
 */
function secretsPolicyDocument(access: SecretAccess): string {
  const keys = [...new Set(access.kmsKeys)].sort()
  const byKey = keys.filter((k) => !k.includes(':alias/'))
  const byAlias = keys.filter((k) => k.includes(':alias/'))
  const services = [...new Set(access.arns.map((a) => a.split(':')[2]).filter((svc) => svc === 'ssm' || svc === 'secretsmanager'))].sort()
  const regionOf = (arn: string) => arn.split(':')[3]
  const viaService = { 'kms:ViaService': [...new Set(keys.flatMap((k) => services.map((svc) => `${svc}.${regionOf(k)}.amazonaws.com`)))].sort() }
  return canonicalJson({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters'], Resource: [...access.arns].sort() },
      ...(byKey.length ? [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: byKey, Condition: { StringEquals: viaService } }] : []),
      ...(byAlias.length
        ? [
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: [...new Set(byAlias.map((a) => a.replace(/:alias\/.*$/, ':key/*')))].sort(),
              Condition: {
                StringEquals: viaService,
                'ForAnyValue:StringEquals': { 'kms:ResourceAliases': byAlias.map((a) => a.slice(a.indexOf(':alias/') + 1)).sort() },
              },
            },
          ]
        : []),
    ],
  })
}

export interface PlannedRole {
  /** the role's ARN, or a reference to CreateRole's answer */
  arn: string | Ref
  /** the steps that must be done before the role is used */
  deps: string[]
  /**
   * those of `deps` that give the role its permissions (the managed policy, the secrets policy): what
   * the workload needs once it runs, not what a service needs to accept the role (Lambda's
   * CreateFunction checks only that it may assume it). Empty for a role given by app.yaml.
   */
  grants: string[]
  /** the role is created by this plan (IAM takes a while before others can assume it) */
  created: boolean
  /** it has shipit's name but not its tags: refused, nothing may use it */
  refused?: boolean
}

/**
 * The execution role shipit makes for a target: created and tagged, with its managed policy and,
 * when the app has secrets, the inline policy that reads them. A role with the name but without
 * shipit's tags is refused (or adopted with --adopt).
 */
export function planExecutionRole(b: PartBuilder, role: ObservedRole | null, spec: ExecutionRoleSpec): PlannedRole {
  const { name } = spec
  const id = spec.id ?? 'role'
  const deps: string[] = []
  if (!role) {
    deps.push(
      b.add({
        id,
        action: 'create',
        resource: { type: 'iam:role', name },
        reason: spec.reason,
        changes: [{ path: 'AssumeRolePolicyDocument', after: trustWords(spec) }],
        request: Iam.CreateRole.request({
          RoleName: name,
          AssumeRolePolicyDocument: trustPolicy(spec.principal, spec.trust),
          Description: spec.description,
          Tags: tagList(b.desired.tags),
        }),
        ...(spec.waitUntilExists ? { wait: { waiter: 'RoleExists', input: { RoleName: name }, description: `role ${name} to exist` } } : {}),
        dependsOn: [],
      }),
    )
  } else if (!b.owned(role.tags)) {
    if (b.refuse('iam:role', name)) return { arn: role.arn, deps, grants: [], created: false, refused: true }
    deps.push(b.adopt(`${id}-tags`, { type: 'iam:role', name }, Iam.TagRole.request({ RoleName: name, Tags: tagList(b.desired.tags) })))
  }
  const afterRole = role ? [] : [id]
  const trust = trustPolicy(spec.principal, spec.trust)
  if (role?.trustPolicy !== undefined && role.trustPolicy !== trust) {
    // a role made before shipit scoped its trust (or changed by hand) is brought in line
    deps.push(
      b.add({
        id: `${id}-trust`,
        action: 'update',
        resource: { type: 'iam:role', name },
        reason: 'trust scoped to this account (confused-deputy guidance)',
        changes: [{ path: 'AssumeRolePolicyDocument', before: role.trustPolicy, after: trustWords(spec) }],
        request: Iam.UpdateAssumeRolePolicy.request({ RoleName: name, PolicyDocument: trust }),
        dependsOn: b.present(`${id}-tags`),
      }),
    )
  }
  if (!role?.attachedPolicies.includes(spec.managedPolicy.arn)) {
    deps.push(
      b.add({
        id: `${id}-policy`,
        action: 'create',
        resource: { type: 'iam:role-policy-attachment', name: `${name}/${spec.managedPolicy.name}` },
        reason: spec.managedPolicy.reason,
        request: Iam.AttachRolePolicy.request({ RoleName: name, PolicyArn: spec.managedPolicy.arn }),
        dependsOn: afterRole,
      }),
    )
  }
  if (spec.secretsReason) deps.push(...planSecretsPolicy(b, role, { ...spec, secretsReason: spec.secretsReason }, afterRole))
  if (role && deps.length === 0) b.keep('iam:role', name)
  const grants = deps.filter((d) => d === `${id}-policy` || d === 'role-secrets')
  return { arn: role ? role.arn : { ref: id, output: 'Role.Arn' }, deps, grants, created: !role }
}

/** The inline secrets policy: written when the app's secrets changed, deleted when it has none any more. */
function planSecretsPolicy(b: PartBuilder, role: ObservedRole | null, spec: ExecutionRoleSpec & { secretsReason: string }, afterRole: string[]): string[] {
  const access = spec.secretAccess ?? { arns: Object.values(b.desired.secrets).filter((s) => s.startsWith('arn:')), kmsKeys: [] }
  const secretArns = [...access.arns].sort()
  const resource = { type: 'iam:role-policy', name: `${spec.name}/${SECRETS_POLICY_NAME}` }
  // the policy as observed: a string, null when there is none, undefined when it was not read (then it is written)
  const observed = role?.secretsPolicy
  if (secretArns.length) {
    const document = secretsPolicyDocument({ arns: secretArns, kmsKeys: access.kmsKeys })
    if (observed === document) return []
    return [
      b.add({
        id: 'role-secrets',
        action: observed ? 'update' : 'create',
        resource,
        reason: spec.secretsReason,
        changes: [{ path: 'Resource', after: secretArns }, ...(access.kmsKeys.length ? [{ path: 'kms:Decrypt', after: [...access.kmsKeys].sort() }] : [])],
        request: Iam.PutRolePolicy.request({ RoleName: spec.name, PolicyName: SECRETS_POLICY_NAME, PolicyDocument: document }),
        dependsOn: afterRole,
      }),
    ]
  }
  if (observed) {
    b.add({
      id: 'role-secrets',
      action: 'delete',
      resource,
      reason: 'no secrets any more',
      request: Iam.DeleteRolePolicy.request({ RoleName: spec.name, PolicyName: SECRETS_POLICY_NAME }),
      dependsOn: [],
      okErrors: ['NoSuchEntityException'],
    })
  }
  return []
}
