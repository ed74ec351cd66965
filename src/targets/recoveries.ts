import type { TaskDefinition } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../aws/clients.js'
import { isNotFound } from '../aws/errors.js'
import { canonicalJson } from '../digest.js'
import { ExitCode, ShipitError } from '../errors.js'
import { TAG_APP, TAG_ENV } from '../manifest/names.js'
import type { Recoveries } from '../plan/idempotency.js'
import { describedSpec } from './container/task-definition.js'
import { NOT_OURS } from './part.js'

type Input = Record<string, unknown>

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

/**
 * The read-backs of the creates both targets send after a lost answer or a conflict (the rules of
 * src/plan/idempotency.ts say which operations are read back), given to the executor by the target.
 */
export const RECOVERIES: Recoveries = {
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

/** The operations whose rule is `recover` and that have a read-back (a test checks they agree). */
export const RECOVERABLE_OPERATIONS = Object.keys(RECOVERIES)
