/**
 * Resource Groups Tagging API: GetResources lists the resources the other fakes hold, with their
 * tags, as AWS does for every resource type but IAM's (its API reference: "The GetResources
 * operation does not currently support IAM users and roles"); TagResources tags them by ARN, IAM
 * roles included, and reports the ARNs it cannot tag in FailedResourcesMap (the call still succeeds).
 */
import type { FakeContext } from './context.js'
import { awsError, decodeToken, encodeToken, type Handlers, page } from './core.js'

type Tags = Record<string, string>

interface Tagged {
  arn: string
  tags: () => Tags
  addTags: (tags: Tags) => void
}

const fromEcs = (list: { key?: string; value?: string }[] | undefined): Tags =>
  Object.fromEntries((list ?? []).filter((t) => t.key !== undefined).map((t) => [t.key as string, t.value ?? '']))
const fromUpper = (list: { Key?: string; Value?: string }[] | undefined): Tags =>
  Object.fromEntries((list ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']))

function mergeEcs(list: { key?: string; value?: string }[], tags: Tags): { key: string; value: string }[] {
  const merged = { ...fromEcs(list), ...tags }
  return Object.entries(merged).map(([key, value]) => ({ key, value }))
}

/** Every resource the GetResources of this account and region lists (ACTIVE ones: a deleted cluster is not listed). */
function listed(ctx: FakeContext): Tagged[] {
  const { state, region, account } = ctx
  const out: Tagged[] = []
  for (const fn of state.lambda.functions.values()) {
    out.push({ arn: `arn:aws:lambda:${region}:${account}:function:${fn.name}`, tags: () => fn.tags, addTags: (t) => Object.assign(fn.tags, t) })
  }
  for (const rec of state.apigatewayv2.apis.values()) {
    const api = rec.api
    out.push({
      arn: `arn:aws:apigateway:${region}::/apis/${api.ApiId}`,
      tags: () => api.Tags ?? {},
      addTags: (t) => (api.Tags = { ...(api.Tags ?? {}), ...t }),
    })
    for (const [name, stage] of rec.stages) {
      out.push({
        arn: `arn:aws:apigateway:${region}::/apis/${api.ApiId}/stages/${name}`,
        tags: () => stage.Tags ?? {},
        addTags: (t) => (stage.Tags = { ...(stage.Tags ?? {}), ...t }),
      })
    }
  }
  for (const g of state.logs.logGroups.values()) {
    out.push({ arn: `arn:aws:logs:${region}:${account}:log-group:${g.logGroupName}`, tags: () => g.tags, addTags: (t) => Object.assign(g.tags, t) })
  }
  for (const map of [state.ecs.clusters, state.ecs.services]) {
    for (const [arn, r] of map) {
      if (r.status !== 'ACTIVE') continue
      out.push({ arn, tags: () => fromEcs(r.tags), addTags: (t) => (r.tags = mergeEcs(r.tags ?? [], t)) })
    }
  }
  for (const [arn, td] of state.ecs.taskDefinitions) {
    if (td.taskDefinition.status !== 'ACTIVE') continue
    out.push({ arn, tags: () => fromEcs(td.tags), addTags: (t) => (td.tags = mergeEcs(td.tags, t)) })
  }
  for (const sg of state.ec2.securityGroups.values()) {
    out.push({
      arn: `arn:aws:ec2:${region}:${account}:security-group/${sg.GroupId}`,
      tags: () => fromUpper(sg.Tags),
      addTags: (t) => {
        sg.Tags = Object.entries({ ...fromUpper(sg.Tags), ...t }).map(([Key, Value]) => ({ Key, Value }))
      },
    })
  }
  for (const repo of state.ecr.repositories.values()) {
    out.push({ arn: repo.repositoryArn, tags: () => repo.tags, addTags: (t) => Object.assign(repo.tags, t) })
  }
  for (const b of state.s3.buckets.values()) {
    out.push({ arn: `arn:aws:s3:::${b.name}`, tags: () => b.tags ?? {}, addTags: (t) => (b.tags = { ...(b.tags ?? {}), ...t }) })
  }
  // EventBridge Scheduler: schedule groups only (schedules carry no tags)
  for (const g of state.scheduler.groups.values()) {
    out.push({ arn: g.Arn, tags: () => g.Tags, addTags: (t) => Object.assign(g.Tags, t) })
  }
  return out
}

/** IAM roles: taggable through this API, never listed by GetResources. */
function taggableRoles(ctx: FakeContext): Tagged[] {
  return [...ctx.state.iam.roles.values()].map((r) => ({
    arn: String(r.role.Arn),
    tags: () => fromUpper(r.tags),
    addTags: (t) => {
      r.tags = Object.entries({ ...fromUpper(r.tags), ...t }).map(([Key, Value]) => ({ Key, Value }))
    },
  }))
}

export function taggingHandlers(ctx: FakeContext): Handlers {
  const invalid = (message: string) => awsError('resourcegroupstaggingapi', 'InvalidParameterException', message, 400)
  return {
    GetResources: (input) => {
      const perPage = input.ResourcesPerPage ?? 100
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) throw invalid('ResourcesPerPage must be between 1 and 100.')
      const filters: { Key: string; Values?: string[] }[] = input.TagFilters ?? []
      if (filters.length > 50) throw invalid('TagFilters can have at most 50 items.')
      if (input.ResourceARNList && (filters.length || input.ResourceTypeFilters))
        throw invalid('ResourceARNList cannot be used with TagFilters or ResourceTypeFilters.')
      const types: string[] = input.ResourceTypeFilters ?? []
      const matches = listed(ctx).filter((r) => {
        const tags = r.tags()
        if (!filters.every((f) => f.Key in tags && (!f.Values?.length || f.Values.includes(tags[f.Key])))) return false
        if (types.length && !types.some((t) => resourceTypeOf(r.arn).startsWith(t))) return false
        return !input.ResourceARNList || input.ResourceARNList.includes(r.arn)
      })
      const start = decodeToken(input.PaginationToken, 'tag') ?? 0
      if (start < 0) throw awsError('resourcegroupstaggingapi', 'PaginationTokenExpiredException', 'The pagination token is invalid or has expired.', 400)
      const { items, next } = page(matches, start, perPage)
      return {
        ResourceTagMappingList: items.map((r) => ({ ResourceARN: r.arn, Tags: Object.entries(r.tags()).map(([Key, Value]) => ({ Key, Value })) })),
        PaginationToken: next === undefined ? '' : encodeToken(next, 'tag'),
      }
    },
    TagResources: (input) => {
      const arns: string[] = input.ResourceARNList ?? []
      if (arns.length < 1 || arns.length > 20) throw invalid('ResourceARNList must hold 1 to 20 ARNs.')
      const tags: Tags = input.Tags ?? {}
      if (!Object.keys(tags).length) throw invalid('Tags must hold at least 1 tag.')
      const known = new Map([...listed(ctx), ...taggableRoles(ctx)].map((r) => [r.arn, r]))
      const failed: Record<string, { StatusCode: number; ErrorCode: string; ErrorMessage: string }> = {}
      for (const arn of arns) {
        const r = known.get(arn)
        if (r) r.addTags(tags)
        else failed[arn] = { StatusCode: 404, ErrorCode: 'InvalidParameterException', ErrorMessage: `Resource ${arn} not found.` }
      }
      return { FailedResourcesMap: failed }
    },
  }
}

/** `service:type` of an ARN, the form ResourceTypeFilters take (`ecs:service`, `lambda:function`). */
function resourceTypeOf(arn: string): string {
  const [, , service, , , rest = ''] = arn.split(':')
  return `${service}:${rest.split(/[/:]/)[0]}`
}
