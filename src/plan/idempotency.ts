import type { TaskDefinition } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../aws/clients.js'
import { isNotFound } from '../aws/errors.js'
import { canonicalJson, sha256Hex } from '../digest.js'
import { ExitCode, ShipitError } from '../errors.js'
import { TAG_APP, TAG_ENV } from '../manifest/names.js'
import { describedSpec } from '../targets/container/task-definition.js'
import { NOT_OURS } from '../targets/part.js'
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
// reading back what a create made

/** What a read found: the step's outputs, shaped like the create's answer, and what it is, in words. */
export interface Recovered {
  outputs: Record<string, unknown>
  what: string
}

type Input = Record<string, unknown>
/** `since`: when the step's first send started (a one-off task is recognised by its start) */
type Recovery = (input: Input, clients: AwsClients, since: number) => Promise<Recovered | undefined>

/** Tags in any of the shapes AWS uses (a map, [{Key,Value}], [{key,value}], EC2 TagSpecifications) as a map. */
export function tagMap(tags: unknown): Record<string, string> {
  if (!tags) return {}
  if (Array.isArray(tags)) {
    const out: Record<string, string> = {}
    for (const t of tags as Record<string, unknown>[]) {
      if (Array.isArray(t.Tags)) Object.assign(out, tagMap(t.Tags))
      const key = t.Key ?? t.key
      if (typeof key === 'string') out[key] = String(t.Value ?? t.value ?? '')
    }
    return out
  }
  return typeof tags === 'object' ? (tags as Record<string, string>) : {}
}

/** The resource carries the shipit:app and shipit:env tags the create asked for. */
function sameOwner(wanted: unknown, found: unknown): boolean {
  const want = tagMap(wanted)
  const have = tagMap(found)
  return [TAG_APP, TAG_ENV].every((k) => want[k] === undefined || have[k] === want[k])
}

/** Something with the step's name exists but is not what shipit asked for, nor carries its tags. */
export function notOurs(what: string, detail = NOT_OURS): ShipitError {
  return new ShipitError('NotOurs', `${what} ${detail}`, {
    exitCode: ExitCode.Failure,
    source: 'aws',
    suggestions: ['it was made by someone else after shipit planned; look at it before running the deploy again'],
  })
}

async function allPages(clients: AwsClients, request: { service: 'apigatewayv2'; operation: string; input: Input }): Promise<Input[]> {
  const items: Input[] = []
  let NextToken: string | undefined
  do {
    const page = await clients.sendRequest({ ...request, input: { ...request.input, ...(NextToken ? { NextToken } : {}) } })
    items.push(...((page.Items as Input[] | undefined) ?? []))
    NextToken = page.NextToken as string | undefined
  } while (NextToken)
  return items
}

const withoutMetadata = ({ $metadata: _m, ...rest }: Input): Input => rest

const RECOVERIES: Record<string, Recovery> = {
  'ecs:CreateService': async (input, clients) => {
    const answer = await clients.sendRequest({
      service: 'ecs',
      operation: 'DescribeServices',
      input: { cluster: input.cluster, services: [input.serviceName], include: ['TAGS'] },
    })
    const service = ((answer.services as Input[] | undefined) ?? []).find((s) => s.status === 'ACTIVE')
    if (!service) return undefined
    const what = `service ${input.serviceName}`
    if (!service.tags || !sameOwner(input.tags, service.tags)) throw notOurs(what)
    return { outputs: { service }, what }
  },
  'ecs:RunTask': async (input, clients, since) => {
    // the tasks this RunTask started: same revision, started by shipit, created after the step began
    const arns: string[] = []
    // startedBy must be ListTasks' only filter: the tasks it lists are those meant to run (PENDING or
    // RUNNING); one that already stopped is not found, and the resend's clientToken still answers with it
    const listed = await clients.sendRequest({ service: 'ecs', operation: 'ListTasks', input: { cluster: input.cluster, startedBy: input.startedBy } })
    arns.push(...((listed.taskArns as string[] | undefined) ?? []))
    if (!arns.length) return undefined
    const described = await clients.sendRequest({
      service: 'ecs',
      operation: 'DescribeTasks',
      input: { cluster: input.cluster, tasks: arns.slice(0, 100), include: ['TAGS'] },
    })
    const tasks = ((described.tasks as Input[] | undefined) ?? []).filter(
      (t) =>
        (t.taskDefinitionArn === input.taskDefinition || String(t.taskDefinitionArn).endsWith(`/${input.taskDefinition}`)) &&
        new Date(t.createdAt as string | Date).getTime() >= since - 1000 &&
        sameOwner(input.tags, t.tags),
    )
    if (tasks.length < Number(input.count ?? 1)) return undefined
    return { outputs: { tasks, failures: [] }, what: tasks.length === 1 ? `task ${String(tasks[0].taskArn).split('/').pop()}` : `${tasks.length} tasks` }
  },
  'apigatewayv2:CreateRoute': async (input, clients) => {
    const routes = await allPages(clients, { service: 'apigatewayv2', operation: 'GetRoutes', input: { ApiId: input.ApiId } })
    const route = routes.find((r) => r.RouteKey === input.RouteKey)
    if (!route) return undefined
    const what = `route ${input.RouteKey}`
    if (route.Target !== input.Target) throw notOurs(what, `exists with target ${route.Target ?? 'none'}, not ${input.Target}: shipit did not make it`)
    return { outputs: route, what }
  },
  'apigatewayv2:CreateIntegration': async (input, clients) => {
    const found = await allPages(clients, { service: 'apigatewayv2', operation: 'GetIntegrations', input: { ApiId: input.ApiId } })
    const integration = found.find((i) => i.IntegrationUri === input.IntegrationUri && i.IntegrationType === input.IntegrationType)
    return integration ? { outputs: integration, what: `integration ${input.IntegrationUri}` } : undefined
  },
  'apigatewayv2:CreateApi': async (input, clients) => {
    const apis = (await allPages(clients, { service: 'apigatewayv2', operation: 'GetApis', input: {} })).filter((a) => a.Name === input.Name)
    // an API of the same name without our tags is someone else's: API names are not unique, so it is no conflict
    const ours = apis.filter((a) => sameOwner(input.Tags, a.Tags) && Object.keys(tagMap(a.Tags)).includes(TAG_APP))
    return ours.length === 1 ? { outputs: ours[0], what: `HTTP API ${input.Name}` } : undefined
  },
  'apigatewayv2:CreateStage': async (input, clients) => {
    const stage = await read(clients.sendRequest({ service: 'apigatewayv2', operation: 'GetStage', input: { ApiId: input.ApiId, StageName: input.StageName } }))
    if (!stage) return undefined
    const what = `stage ${input.StageName}`
    if (!sameOwner(input.Tags, stage.Tags)) throw notOurs(what)
    return { outputs: withoutMetadata(stage), what }
  },
  'lambda:CreateFunction': async (input, clients) => {
    const fn = await read(clients.sendRequest({ service: 'lambda', operation: 'GetFunction', input: { FunctionName: input.FunctionName } }))
    if (!fn) return undefined
    const what = `function ${input.FunctionName}`
    if (!sameOwner(input.Tags, fn.Tags) || !fn.Tags) throw notOurs(what)
    return { outputs: (fn.Configuration as Input) ?? {}, what }
  },
  'lambda:CreateAlias': async (input, clients) => {
    const alias = await read(clients.sendRequest({ service: 'lambda', operation: 'GetAlias', input: { FunctionName: input.FunctionName, Name: input.Name } }))
    if (!alias) return undefined
    const what = `alias ${input.Name} of ${input.FunctionName}`
    if (String(alias.FunctionVersion) !== String(input.FunctionVersion)) {
      throw notOurs(what, `exists at version ${alias.FunctionVersion}, not ${input.FunctionVersion}: shipit did not make it`)
    }
    return { outputs: withoutMetadata(alias), what }
  },
  'lambda:AddPermission': async (input, clients) => {
    const policy = await read(
      clients.sendRequest({ service: 'lambda', operation: 'GetPolicy', input: { FunctionName: input.FunctionName, Qualifier: input.Qualifier } }),
    )
    if (!policy?.Policy) return undefined
    const statements = (JSON.parse(String(policy.Policy)).Statement ?? []) as Input[]
    const statement = statements.find((s) => s.Sid === input.StatementId)
    if (!statement) return undefined
    const what = `permission ${input.StatementId} on ${input.FunctionName}`
    if (!JSON.stringify(statement).includes(JSON.stringify(input.SourceArn))) {
      throw notOurs(what, `exists for another source than ${input.SourceArn}: shipit did not make it`)
    }
    return { outputs: { Statement: JSON.stringify(statement) }, what }
  },
  'iam:CreateRole': async (input, clients) => {
    const answer = await read(clients.sendRequest({ service: 'iam', operation: 'GetRole', input: { RoleName: input.RoleName } }))
    const role = answer?.Role as Input | undefined
    if (!role) return undefined
    const what = `role ${input.RoleName}`
    if (!role.Tags || !sameOwner(input.Tags, role.Tags)) throw notOurs(what)
    return { outputs: { Role: role }, what }
  },
  'ec2:CreateSecurityGroup': async (input, clients) => {
    const answer = await clients.sendRequest({
      service: 'ec2',
      operation: 'DescribeSecurityGroups',
      input: {
        Filters: [
          { Name: 'group-name', Values: [input.GroupName] },
          { Name: 'vpc-id', Values: [input.VpcId] },
        ],
      },
    })
    const group = ((answer.SecurityGroups as Input[] | undefined) ?? [])[0]
    if (!group) return undefined
    const what = `security group ${input.GroupName}`
    if (!group.Tags || !sameOwner(input.TagSpecifications, group.Tags)) throw notOurs(what)
    return { outputs: { GroupId: group.GroupId, ...(group.SecurityGroupArn ? { SecurityGroupArn: group.SecurityGroupArn } : {}) }, what }
  },
  'ecs:RegisterTaskDefinition': async (input, clients) => {
    const family = String(input.family)
    const list = await clients.sendRequest({ service: 'ecs', operation: 'ListTaskDefinitions', input: { familyPrefix: family, sort: 'DESC', maxResults: 1 } })
    const latest = ((list.taskDefinitionArns as string[] | undefined) ?? [])[0]
    if (!latest) return undefined
    const described = await clients.sendRequest({ service: 'ecs', operation: 'DescribeTaskDefinition', input: { taskDefinition: latest, include: ['TAGS'] } })
    const td = described.taskDefinition as TaskDefinition | undefined
    if (!td) return undefined
    const same = canonicalJson(describedSpec(td, new Set())) === canonicalJson(describedSpec(input as TaskDefinition, new Set()))
    // a revision that differs, or is not ours, was not made by this step: the step was not done
    if (!same || !sameOwner(input.tags, described.tags)) return undefined
    return { outputs: { taskDefinition: td, tags: described.tags }, what: `task definition ${family}:${td.revision}` }
  },
}

/** A read whose not-found answer means the create did not happen. */
async function read(answer: Promise<Input>): Promise<Input | undefined> {
  try {
    return await answer
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}

/**
 * Read back what a create step asked for (its input resolved). Resolves to what was found when it is
 * there and shipit's; to undefined when it is not there; throws the ownership error when something
 * else holds the name.
 */
export async function recoverCreate(step: Step, input: Input, clients: AwsClients, since: number): Promise<Recovered | undefined> {
  const recovery = RECOVERIES[`${step.request.service}:${step.request.operation}`]
  return recovery ? recovery(input, clients, since) : undefined
}

/** The operations whose rule is `recover` and that have a read-back (a test checks they agree). */
export const RECOVERABLE_OPERATIONS = Object.keys(RECOVERIES)

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
