import type { AwsClients } from '../aws/clients.js'
import { awsErrorName, translateAwsError } from '../aws/errors.js'
import { expiryTags, TAG_APP, TAG_ENV, TAG_EXPIRES, TAG_TARGET, TAG_TTL } from '../manifest/names.js'
import type { Desired } from '../manifest/resolve.js'
import type { Plan, Step } from '../plan/types.js'
import { Tagging } from '../targets/shared-catalogue.js'
import type { PlanPart } from '../targets/target.js'
import type { Session } from './session.js'

/** The Desired of a deploy made at `now`: what it creates is tagged to expire at now + ttl. */
export { expiringFrom } from '../manifest/resolve.js'

/**
 * The expiry of an env with a `ttl:` (a preview): what a deploy creates carries `shipit:expires`
 * (desired.tags); what exists already is renewed here, through the Resource Groups Tagging API, so
 * that no target needs to know about expiries. A renewal is planned only when the expiry is within
 * half the ttl of passing: a redeploy right after a deploy still makes zero writes, and an env that
 * is deployed at least once per half ttl never expires.
 */

export interface TaggedResource {
  arn: string
  tags: Record<string, string>
}

/** What GetResources is asked for: shipit's resources, of one app, env and target when given. */
interface TagQuery {
  app?: string
  env?: string
  target?: string
}

/**
 * Every resource of the region with shipit's tags (GetResources lists every resource type but
 * IAM's: see findOwnRoles).
 */
export async function findTagged(clients: AwsClients, query: TagQuery, signal?: AbortSignal): Promise<TaggedResource[]> {
  const filter = (Key: string, value: string | undefined) => ({ Key, ...(value === undefined ? {} : { Values: [value] }) })
  const TagFilters = [
    filter(TAG_APP, query.app),
    ...(query.env ? [filter(TAG_ENV, query.env)] : []),
    ...(query.target ? [filter(TAG_TARGET, query.target)] : []),
  ]
  const found: TaggedResource[] = []
  let PaginationToken: string | undefined
  do {
    const page = await clients.send(
      'resourcegroupstaggingapi',
      'GetResources',
      { TagFilters, ResourcesPerPage: 100, ...(PaginationToken ? { PaginationToken } : {}) },
      signal,
    )
    for (const r of page.ResourceTagMappingList ?? []) {
      if (!r.ResourceARN) continue
      found.push({ arn: r.ResourceARN, tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) })
    }
    PaginationToken = page.PaginationToken || undefined
  } while (PaginationToken)
  return found
}

/**
 * The env's IAM roles that are shipit's (its tags for this app, env and target): GetResources never
 * lists IAM roles, so they are read by their derived names; TagResources renews them with the rest.
 */
async function findOwnRoles(clients: AwsClients, desired: Desired, signal?: AbortSignal): Promise<TaggedResource[]> {
  const { names } = desired
  const roleNames = [...new Set([names.lambdaRole, names.taskExecutionRole, names.infrastructureRole, names.schedulerRole])]
  const found = await Promise.all(
    roleNames.map(async (RoleName): Promise<TaggedResource | undefined> => {
      try {
        const { Role } = await clients.send('iam', 'GetRole', { RoleName }, signal)
        const tags = Object.fromEntries((Role?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
        const ours = tags[TAG_APP] === desired.app && tags[TAG_ENV] === desired.env && tags[TAG_TARGET] === desired.target
        return ours && Role?.Arn ? { arn: Role.Arn, tags } : undefined
      } catch (err) {
        if (awsErrorName(err) === 'NoSuchEntityException' || awsErrorName(err) === 'NoSuchEntity') return undefined
        throw err
      }
    }),
  )
  return found.filter((r): r is TaggedResource => r !== undefined)
}

/** TagResources takes at most 20 ARNs a call. */
const ARNS_PER_CALL = 20

/** The steps that renew the expiry of this env's existing resources, when it is due (see above); none otherwise. */
function planExpiryRenewal(desired: Desired, found: TaggedResource[], now: Date): Step[] {
  const ttl = desired.ttl
  if (!ttl || !found.length) return []
  const soonest = Math.min(...found.map((r) => Date.parse(r.tags[TAG_EXPIRES] ?? '') || 0))
  const sameTtl = found.every((r) => r.tags[TAG_TTL] === ttl.text)
  if (sameTtl && soonest - now.getTime() > ttl.ms / 2) return []
  const before = found.map((r) => r.tags[TAG_EXPIRES]).find((e) => e !== undefined)
  const arns = found.map((r) => r.arn).sort()
  const steps: Step[] = []
  for (let i = 0; i < arns.length; i += ARNS_PER_CALL) {
    const batch = arns.slice(i, i + ARNS_PER_CALL)
    steps.push({
      id: i === 0 ? 'expiry' : `expiry-${i / ARNS_PER_CALL + 1}`,
      action: 'update',
      resource: { type: 'shipit:expiry', name: desired.names.base },
      reason: `renew the expiry (ttl ${ttl.text}) of ${batch.length} resource${batch.length === 1 ? '' : 's'}`,
      changes: [{ path: `tags.${TAG_EXPIRES}`, ...(before ? { before } : {}), after: ttl.expires }],
      request: Tagging.TagResources.request({ ResourceARNList: batch, Tags: expiryTags(ttl.expires, ttl.text) }),
      dependsOn: [],
    })
  }
  return steps
}

/** When the env expires after a deploy: the new expiry when it is renewed or created, else the latest one it has. */
function expiryAfter(renewed: string, found: TaggedResource[], renewing: boolean): string {
  const current = found.map((r) => r.tags[TAG_EXPIRES]).filter((e): e is string => Boolean(e && Number.isFinite(Date.parse(e))))
  if (renewing || !current.length) return renewed
  return current.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
}

/**
 * For a deploy of an env with a ttl (online, not blocked): reads its resources' expiry, adds the
 * renewal steps to `part` when due, and says when the env expires after this deploy.
 */
export async function planExpiry(session: Session, part: PlanPart, now: Date, signal?: AbortSignal): Promise<Plan['expires']> {
  const { desired } = session
  if (!desired.ttl) return undefined
  if (session.offline || part.blocked.length) return { at: desired.ttl.expires, ttl: desired.ttl.text }
  let found: TaggedResource[]
  try {
    const [tagged, roles] = await Promise.all([
      findTagged(session.clients, { app: desired.app, env: desired.env, target: desired.target }, signal),
      findOwnRoles(session.clients, desired, signal),
    ])
    found = [...tagged, ...roles]
  } catch (err) {
    throw translateAwsError(err, `reading the expiry of ${desired.names.base}`)
  }
  const renewal = planExpiryRenewal(desired, found, now)
  part.steps.push(...renewal)
  return { at: expiryAfter(desired.ttl.expires, found, renewal.length > 0), ttl: desired.ttl.text }
}
