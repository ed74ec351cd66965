import { awsOperation, type Catalogue, type CliVersions, type WaitRunbook } from '../plan/catalogue.js'
import {
  anyResource,
  arnKind,
  baseName,
  type Need,
  on,
  type Permission,
  type PolicyUse,
  permission,
  READ,
  type ResourceKind,
  regional,
} from '../plan/permissions.js'
import { kebab } from '../plan/render.js'
import type { Idempotency } from '../plan/types.js'
import { BEFORE_2020, LOGS_TAG_RESOURCE } from './cli-versions.js'
import { notOurs, read, sameOwner } from './read-back.js'
import { SECRET_PERMISSIONS, SecretReads } from './secret-versions.js'
import { ACCOUNT_PLACEHOLDER } from './target.js'

/**
 * The operations both targets send (the roles and log groups), their idempotency rules in words, and
 * what every catalogue has: the account placeholder of offline plans. A target's catalogue joins these
 * with its own (src/plan/catalogue.ts).
 */

const natural = (why: string): Idempotency => ({ kind: 'natural', why })
export const UPDATE = natural('an update or put: sending it again sets the same values')
export const TAG = natural('tags: setting them again changes nothing')
export const DELETE = natural('a delete: sent again it answers not found, and the next deploy sees it gone')

/** The runbook of a command every aws CLI since 2020 knows. */
export const OLD_COMMAND = { cli: BEFORE_2020 }

/** An SDK waiter the aws CLI has under the same name (`FunctionActiveV2` → `aws lambda wait function-active-v2`). */
export function cliWait(service: string, waiter: string, versions: CliVersions = BEFORE_2020): Record<string, WaitRunbook> {
  return { [waiter]: (input) => ({ cli: { service, waiter: kebab(waiter), input, versions } }) }
}

export const Iam = {
  CreateRole: awsOperation('iam', 'CreateRole', {
    idempotency: { kind: 'recover', read: 'GetRole with shipit tags' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const role = (await read(clients.send('iam', 'GetRole', { RoleName: input.RoleName })))?.Role
      if (!role) return undefined
      const what = `role ${input.RoleName}`
      if (!role.Tags || !sameOwner(input.Tags, role.Tags)) throw notOurs(what)
      return { outputs: { Role: role }, what }
    },
  }),
  AttachRolePolicy: awsOperation('iam', 'AttachRolePolicy', { idempotency: natural('attaching an attached policy changes nothing'), runbook: OLD_COMMAND }),
  PutRolePolicy: awsOperation('iam', 'PutRolePolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateAssumeRolePolicy: awsOperation('iam', 'UpdateAssumeRolePolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagRole: awsOperation('iam', 'TagRole', { idempotency: TAG, runbook: OLD_COMMAND }),
  DetachRolePolicy: awsOperation('iam', 'DetachRolePolicy', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteRolePolicy: awsOperation('iam', 'DeleteRolePolicy', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteRole: awsOperation('iam', 'DeleteRole', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

export const Logs = {
  CreateLogGroup: awsOperation('logs', 'CreateLogGroup', {
    idempotency: natural('a second create answers ResourceAlreadyExistsException, which the step accepts'),
    runbook: OLD_COMMAND,
  }),
  PutRetentionPolicy: awsOperation('logs', 'PutRetentionPolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagResource: awsOperation('logs', 'TagResource', { idempotency: TAG, runbook: { cli: LOGS_TAG_RESOURCE } }),
  DeleteLogGroup: awsOperation('logs', 'DeleteLogGroup', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

/** The reads of roles and log groups that observe, the waits and the read-backs send. */
const IamReads = {
  GetRole: awsOperation('iam', 'GetRole', { read: true }),
  GetRolePolicy: awsOperation('iam', 'GetRolePolicy', { read: true }),
  ListAttachedRolePolicies: awsOperation('iam', 'ListAttachedRolePolicies', { read: true }),
}
const LogsReads = {
  DescribeLogGroups: awsOperation('logs', 'DescribeLogGroups', { read: true }),
  ListTagsForResource: awsOperation('logs', 'ListTagsForResource', { read: true }),
  FilterLogEvents: awsOperation('logs', 'FilterLogEvents', { read: true }),
  GetLogEvents: awsOperation('logs', 'GetLogEvents', { read: true }),
}
const StsReads = { GetCallerIdentity: awsOperation('sts', 'GetCallerIdentity', { read: true }) }

/** Resources found and tagged by their tags: the expiry of preview envs, renewed by deploys, and `shipit prune`. */
export const Tagging = {
  TagResources: awsOperation('resourcegroupstaggingapi', 'TagResources', { idempotency: TAG, runbook: OLD_COMMAND }),
}
const TaggingReads = { GetResources: awsOperation('resourcegroupstaggingapi', 'GetResources', { read: true }) }

/** shipit's roles of the app (`shipit-<app>-<env>-…`), and the roles app.yaml names. */
const ROLES = arnKind(
  (at, name) => `arn:${at.partition}:iam::${at.account}:role/${name}`,
  (scope) => [scope.env === '*' ? `shipit-${scope.app}-*` : `shipit-${baseName(scope)}-*`],
)
export const PASSED_ROLES = arnKind(ROLES.arn, (scope) => [...ROLES.patterns(scope), ...scope.roles])
/** The log groups of the app, `/shipit/<app>/<env>` (a stream's ARN is the group's with `:log-stream:…`). */
const LOG_GROUPS = regional(
  'logs',
  (name) => `log-group:${name}`,
  (scope) => {
    const group = scope.component ? `/shipit/${scope.app}/${scope.component}/${scope.env}` : `/shipit/${scope.app}/${scope.env}`
    return [group, `${group}:*`]
  },
)

/** The AWS managed policies shipit attaches to its roles: a deployer may attach these and no other. */
const ATTACHABLE_POLICIES = ['AWSLambdaBasicExecutionRole', 'AmazonECSTaskExecutionRolePolicy', 'AmazonECSInfrastructureRoleforExpressGatewayServices']

const role = (i: { RoleName?: string }) => i.RoleName
const group = (i: { logGroupName?: string; logGroupIdentifier?: string }) => i.logGroupName ?? i.logGroupIdentifier
const BOTH: PolicyUse[] = ['deploy', 'destroy']

const SHARED_PERMISSIONS: Permission[] = [
  permission(Iam.CreateRole, ['deploy'], on(ROLES, 'iam:CreateRole', role), on(ROLES, 'iam:TagRole', role)),
  permission(Iam.AttachRolePolicy, ['deploy'], {
    ...on(ROLES, 'iam:AttachRolePolicy', role),
    // a deployer that could attach any policy to a role it may pass would hold every permission
    conditions: (scope) => ({ ArnEquals: { 'iam:PolicyARN': ATTACHABLE_POLICIES.map((p) => `arn:${scope.partition}:iam::aws:policy/service-role/${p}`) } }),
    context: (i) => ({ 'iam:PolicyARN': i.PolicyArn }),
  }),
  permission(Iam.PutRolePolicy, ['deploy'], on(ROLES, 'iam:PutRolePolicy', role)),
  permission(Iam.UpdateAssumeRolePolicy, ['deploy'], on(ROLES, 'iam:UpdateAssumeRolePolicy', role)),
  permission(Iam.TagRole, BOTH, on(ROLES, 'iam:TagRole', role)),
  permission(Iam.DetachRolePolicy, BOTH, on(ROLES, 'iam:DetachRolePolicy', role)),
  permission(Iam.DeleteRolePolicy, BOTH, on(ROLES, 'iam:DeleteRolePolicy', role)),
  permission(Iam.DeleteRole, ['destroy'], on(ROLES, 'iam:DeleteRole', role)),
  permission(IamReads.GetRole, READ, on(ROLES, 'iam:GetRole', role)),
  permission(IamReads.GetRolePolicy, READ, on(ROLES, 'iam:GetRolePolicy', role)),
  permission(IamReads.ListAttachedRolePolicies, READ, on(ROLES, 'iam:ListAttachedRolePolicies', role)),
  // CreateLogGroup with tags needs logs:TagResource as well
  permission(Logs.CreateLogGroup, ['deploy'], on(LOG_GROUPS, 'logs:CreateLogGroup', group), on(LOG_GROUPS, 'logs:TagResource', group)),
  permission(Logs.PutRetentionPolicy, ['deploy'], on(LOG_GROUPS, 'logs:PutRetentionPolicy', group)),
  permission(
    Logs.TagResource,
    BOTH,
    on(LOG_GROUPS, 'logs:TagResource', (i) => i.resourceArn),
  ),
  permission(Logs.DeleteLogGroup, ['destroy'], on(LOG_GROUPS, 'logs:DeleteLogGroup', group)),
  // lists log groups by prefix: no resource-level permissions to scope it by
  permission(LogsReads.DescribeLogGroups, READ, anyResource('logs:DescribeLogGroups')),
  permission(
    LogsReads.ListTagsForResource,
    READ,
    on(LOG_GROUPS, 'logs:ListTagsForResource', (i) => i.resourceArn),
  ),
  permission(LogsReads.FilterLogEvents, READ, on(LOG_GROUPS, 'logs:FilterLogEvents', group)),
  permission(LogsReads.GetLogEvents, READ, on(LOG_GROUPS, 'logs:GetLogEvents', group)),
  // GetCallerIdentity needs no permission: it cannot be denied
  permission(StsReads.GetCallerIdentity, READ),
  // the Tagging API's actions take no resource-level permissions; TagResources also needs each service's own
  // tagging action on each resource (lambda:TagResource, ecs:TagResource, iam:TagRole, …), granted above and in each catalogue
  permission(TaggingReads.GetResources, READ, anyResource('tag:GetResources')),
  permission(Tagging.TagResources, ['deploy'], anyResource('tag:TagResources')),
  ...SECRET_PERMISSIONS,
]

/** The part of every target's catalogue: roles, log groups and the account of offline plans. */
export const SHARED_CATALOGUE: Partial<Catalogue> = {
  operations: [
    ...Object.values(Iam),
    ...Object.values(Logs),
    ...Object.values(IamReads),
    ...Object.values(LogsReads),
    ...Object.values(StsReads),
    ...Object.values(Tagging),
    ...Object.values(TaggingReads),
    ...Object.values(SecretReads),
  ],
  permissions: SHARED_PERMISSIONS,
  waitRunbook: cliWait('iam', 'RoleExists'),
  placeholders: {
    [ACCOUNT_PLACEHOLDER]: {
      variable: 'ACCOUNT_ID',
      lookup: 'aws sts get-caller-identity --query Account --output text',
      missing: 'the caller has no account',
    },
  },
}

/** iam:PassRole of a role to one service. */
export function passRole<I extends object>(roles: ResourceKind, service: string, arn: (input: I) => string | undefined): Need<I> {
  return on(roles, 'iam:PassRole', arn, {
    conditions: () => ({ StringEquals: { 'iam:PassedToService': service } }),
    context: () => ({ 'iam:PassedToService': service }),
  })
}
