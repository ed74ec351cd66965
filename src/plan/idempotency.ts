import type { AwsClients } from '../aws/clients.js'
import { canonicalJson, sha256Hex } from '../digest.js'
import type { Idempotency, Plan, Step } from './types.js'

/**
 * The idempotency rule of every mutating operation the planners emit, in one place, keyed by
 * `service:Operation`. A plan step gets its rule when the plan is assembled (withIdempotency), so
 * planners stay as they are and a saved plan keeps the rule with its step.
 */

const natural = (why: string): Idempotency => ({ kind: 'natural', why })
const recover = (read: string): Idempotency => ({ kind: 'recover', read })
const UPDATE = natural('an update or put: sending it again sets the same values')
const TAG = natural('tags: setting them again changes nothing')
const DELETE = natural('a delete: sent again it answers not found, and the next deploy sees it gone')

/** Rules for operations without a client token; tokens are added by withIdempotency. */
export const IDEMPOTENCY_RULES: Record<string, Idempotency | 'token'> = {
  // API Gateway v2 has no client token: creates are read back
  'apigatewayv2:CreateApi': recover('GetApis by name and shipit tags'),
  'apigatewayv2:CreateIntegration': recover('GetIntegrations by URI'),
  'apigatewayv2:CreateRoute': recover('GetRoutes by RouteKey'),
  'apigatewayv2:CreateStage': recover('GetStage'),
  'apigatewayv2:UpdateApi': UPDATE,
  'apigatewayv2:UpdateIntegration': UPDATE,
  'apigatewayv2:UpdateRoute': UPDATE,
  'apigatewayv2:UpdateStage': UPDATE,
  'apigatewayv2:TagResource': TAG,
  'apigatewayv2:DeleteApi': DELETE,
  'apigatewayv2:DeleteCorsConfiguration': DELETE,
  'apigatewayv2:DeleteIntegration': DELETE,
  'apigatewayv2:DeleteRoute': DELETE,
  // Lambda has no client token either
  'lambda:CreateFunction': recover('GetFunction with shipit tags'),
  'lambda:CreateAlias': recover('GetAlias'),
  'lambda:AddPermission': recover('GetPolicy by statement id'),
  'lambda:PublishVersion': natural('Lambda publishes no new version when code and configuration are unchanged since the last one'),
  'lambda:UpdateFunctionCode': UPDATE,
  'lambda:UpdateFunctionConfiguration': UPDATE,
  'lambda:UpdateAlias': UPDATE,
  'lambda:TagResource': TAG,
  'lambda:RemovePermission': DELETE,
  'lambda:DeleteAlias': DELETE,
  'lambda:DeleteFunction': DELETE,
  'iam:CreateRole': recover('GetRole with shipit tags'),
  'iam:AttachRolePolicy': natural('attaching an attached policy changes nothing'),
  'iam:PutRolePolicy': UPDATE,
  'iam:TagRole': TAG,
  'iam:DetachRolePolicy': DELETE,
  'iam:DeleteRolePolicy': DELETE,
  'iam:DeleteRole': DELETE,
  'logs:CreateLogGroup': natural('a second create answers ResourceAlreadyExistsException, which the step accepts'),
  'logs:PutRetentionPolicy': UPDATE,
  'logs:TagResource': TAG,
  'logs:DeleteLogGroup': DELETE,
  'ecs:CreateCluster': natural('ECS answers a create of an existing cluster with that cluster'),
  'ecs:RegisterTaskDefinition': recover('the latest revision of the family, compared in normal form'),
  'ecs:CreateService': 'token',
  'ecs:RunTask': 'token',
  'ecs:CreateExpressGatewayService': {
    kind: 'single',
    why: 'no client token; a second create of the same service name fails instead of making another',
  },
  'ecs:UpdateService': UPDATE,
  'ecs:UpdateClusterSettings': UPDATE,
  'ecs:UpdateExpressGatewayService': UPDATE,
  'ecs:TagResource': TAG,
  'ecs:DeleteService': DELETE,
  'ecs:DeleteCluster': DELETE,
  'ecs:DeleteExpressGatewayService': DELETE,
  'ecs:StopTask': natural('stopping a stopped task changes nothing'),
  'ecs:DeregisterTaskDefinition': DELETE,
  'ec2:CreateSecurityGroup': recover('DescribeSecurityGroups by group name and VPC, with shipit tags'),
  'ec2:AuthorizeSecurityGroupIngress': natural('a rule that exists answers InvalidPermission.Duplicate, and the next deploy sees it'),
  'ec2:RevokeSecurityGroupIngress': DELETE,
  'ec2:CreateTags': TAG,
  'ec2:DeleteSecurityGroup': DELETE,
  'ecr:CreateRepository': { kind: 'single', why: 'a second create answers RepositoryAlreadyExistsException instead of making another' },
  'ecr:PutLifecyclePolicy': UPDATE,
  'ecr:PutImageScanningConfiguration': UPDATE,
  'ecr:PutImageTagMutability': UPDATE,
  'ecr:TagResource': TAG,
  'ecr:UntagResource': TAG,
  'ecr:DeleteRepository': DELETE,
  // local steps: an image is addressed by the content hash of its build context
  'container:Build': natural('the image is tagged by the hash of its build context'),
  'container:Push': natural('pushing an image the registry has changes nothing'),
  // the package bucket: S3 answers a create of a bucket of ours with BucketAlreadyOwnedByYou (accepted), or 200 in us-east-1
  's3:CreateBucket': natural('a bucket of ours answers BucketAlreadyOwnedByYou, which the step accepts'),
  's3:PutBucketTagging': TAG,
  's3:PutPublicAccessBlock': UPDATE,
  's3:PutBucketEncryption': UPDATE,
  's3:DeleteObjects': DELETE,
  's3:DeleteBucket': DELETE,
  'local:UploadArtifact': natural('the key is the hash of the package: uploading it again writes the same bytes'),
}

const READ_OPERATION = /^(Get|List|Describe|Filter)/

/** The rule of a mutating step's operation; undefined for reads and for operations no rule covers. */
export function ruleFor(service: string, operation: string): Idempotency | 'token' | undefined {
  return IDEMPOTENCY_RULES[`${service}:${operation}`]
}

export function isReadOperation(operation: string): boolean {
  return READ_OPERATION.test(operation)
}

/**
 * ECS client tokens (CreateService takes up to 36 ASCII characters, RunTask up to 64): a hash of the
 * app, env, step id, the request as planned and the plan's creation time, so that the SDK's retries
 * and a re-run of the same saved plan send the same token, and the next plan (another one-off task) a new one.
 */
export function clientToken(plan: Pick<Plan, 'app' | 'env' | 'createdAt'>, step: Step): string {
  return sha256Hex(canonicalJson([plan.app, plan.env, plan.createdAt, step.id, step.request])).slice(0, 32)
}

/** Every mutating step with its rule. */
export function withIdempotency(plan: Pick<Plan, 'app' | 'env' | 'createdAt'>, steps: Step[]): Step[] {
  return steps.map((step) => {
    const { service, operation } = step.request
    if (isReadOperation(operation)) return step
    const rule = ruleFor(service, operation)
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
// reading back what a create made: each target gives its read-backs (src/targets/recoveries.ts)

/** What a read found: the step's outputs, shaped like the create's answer, and what it is, in words. */
export interface Recovered {
  outputs: Record<string, unknown>
  what: string
}

/**
 * Reads back what a create step asked for (its input resolved): what was found when it is there and
 * shipit's; undefined when it is not there; throws the ownership error when something else holds the
 * name. `since`: when the step's first send started (a one-off task is recognised by its start).
 */
export type Recovery = (input: Record<string, unknown>, clients: AwsClients, since: number) => Promise<Recovered | undefined>

/** The read-backs of a target, by `service:Operation`, given to the executor with the plan. */
export type Recoveries = Readonly<Record<string, Recovery>>

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

/** Throttled: AWS did not process the request, so sending it again is safe. */
export function throttled(err: unknown): boolean {
  const e = fields(err)
  return Boolean(e.$retryable?.throttling) || /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/.test(e.name ?? '')
}

/** The name is taken: by an earlier attempt of this step, or by someone else. */
export function conflict(err: unknown): boolean {
  const name = fields(err).name ?? ''
  return /Conflict|AlreadyExists|Duplicate/.test(name)
}
