import type { AwsClients } from '../aws/clients.js'
import { estimateMonthlyCost } from '../compare/plan-cost.js'
import { parseDuration } from '../manifest/environments.js'
import { resourceNames, shipitTags, TAG_APP, TAG_ENV, TAG_EXPIRES, TAG_TARGET, TAG_TTL } from '../manifest/names.js'
import type { ContainerDesired, Desired, LambdaDesired } from '../manifest/resolve.js'
import { TARGETS, type TargetName } from '../manifest/schema.js'
import type { ContainerObserved } from '../targets/container/observe.js'
import type { LambdaObserved } from '../targets/lambda/observe.js'
import { findTagged, type TaggedResource } from './expiry.js'

/**
 * `shipit prune`: shipit's environments in a region, found by their tags alone (no app.yaml: a
 * closed pull request's branch is gone), and which of them are due to be destroyed.
 */

/** One env of one app on one target, as its tags tell it. */
interface FoundEnv {
  app: string
  env: string
  target: TargetName
  /** the latest shipit:expires of its resources; absent: the env has no ttl */
  expires?: string
  /** shipit:ttl, as written (3d) */
  ttl?: string
  /** the ARNs GetResources listed (IAM roles are never listed: they are found by name) */
  resources: string[]
}

export interface PruneRules {
  now: Date
  /** --older-than: an env with a ttl not renewed for this long is due before its expiry */
  olderThanMs?: number
  /** --app with --env: the one env that is due even without a ttl (named, so never by age alone) */
  named?: { app: string; env: string }
}

export interface PruneCandidate extends FoundEnv {
  /** why it is destroyed, or undefined when it is kept */
  due?: string
  /** why it is kept */
  kept?: string
}

/** Every env with shipit's tags in the region (of one app with `app`), grouped by app, env and target. */
export async function findEnvironments(clients: AwsClients, app: string | undefined, signal?: AbortSignal): Promise<FoundEnv[]> {
  return groupEnvironments(await findTagged(clients, { app }, signal))
}

export function groupEnvironments(found: TaggedResource[]): FoundEnv[] {
  const groups = new Map<string, FoundEnv>()
  for (const r of found) {
    const app = r.tags[TAG_APP]
    const env = r.tags[TAG_ENV]
    const target = r.tags[TAG_TARGET]
    // app-wide resources (the ECR repository, the artifacts bucket) have no env: destroy of an env never removes them
    if (!app || !env || !isTarget(target)) continue
    const key = `${app}\u0000${env}\u0000${target}`
    const group = groups.get(key) ?? { app, env, target, resources: [] }
    group.resources.push(r.arn)
    const expires = r.tags[TAG_EXPIRES]
    if (expires && Number.isFinite(Date.parse(expires)) && (!group.expires || Date.parse(expires) > Date.parse(group.expires))) {
      group.expires = expires
      if (r.tags[TAG_TTL]) group.ttl = r.tags[TAG_TTL]
    }
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => a.app.localeCompare(b.app) || a.env.localeCompare(b.env) || a.target.localeCompare(b.target))
}

/** Due: past its expiry, or (--older-than) not renewed for that long; an env without a ttl only when named. */
export function decide(env: FoundEnv, rules: PruneRules): PruneCandidate {
  const now = rules.now.getTime()
  if (rules.named && rules.named.app === env.app && rules.named.env === env.env) return { ...env, due: 'named with --app and --env' }
  if (!env.expires) return { ...env, kept: 'no ttl: pruned only when named with --app and --env' }
  const expires = Date.parse(env.expires)
  if (expires <= now) return { ...env, due: `expired ${env.expires}` }
  const ttlMs = env.ttl ? parseDuration(env.ttl) : undefined
  if (rules.olderThanMs !== undefined && ttlMs !== undefined && now - (expires - ttlMs) >= rules.olderThanMs) {
    return { ...env, due: `not renewed since ${new Date(expires - ttlMs).toISOString().replace('.000Z', 'Z')}` }
  }
  return { ...env, kept: `expires ${env.expires}` }
}

/**
 * The Desired that destroy needs, from the tags: names are derived (`<app>-<env>`, `/shipit/<app>/<env>`,
 * `shipit-<app>-<env>-…`); the cluster is the one the env's resources name. Sizes are the defaults:
 * destroy reads what exists and never uses them (pricedAsLive puts the live sizes in for the cost).
 */
export function desiredFromTags(env: FoundEnv, region: string): Desired {
  const cluster = clusterOf(env)
  const base = {
    app: env.app,
    env: env.env,
    region,
    names: resourceNames(env.app, env.env, cluster),
    tags: shipitTags(env.app, env.env, env.target),
    environment: {},
    secrets: {},
    logRetentionDays: 14,
    http: { routes: ['$default'] },
    dir: process.cwd(),
  }
  if (env.target === 'lambda') {
    const fn: LambdaDesired['function'] = {
      source: '.',
      sourceDir: process.cwd(),
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      memory: 128,
      timeout: 10,
      architecture: 'x86_64',
    }
    return { ...base, target: 'lambda', function: fn }
  }
  const container: ContainerDesired['container'] = {
    cpu: 256,
    memory: 512,
    mode: 'service',
    count: 1,
    keepImages: 20,
    architecture: 'x86_64',
    ...(cluster ? { cluster } : {}),
  }
  return { ...base, target: env.target, container }
}

/** The cluster an ECS resource of the env names, when it is not the derived `<app>-<env>` (container.cluster). */
function clusterOf(env: FoundEnv): string | undefined {
  for (const arn of env.resources) {
    const m = /^arn:[^:]+:ecs:[^:]*:[^:]*:(?:cluster\/([^/]+)|service\/([^/]+)\/)/.exec(arn)
    const name = m?.[1] ?? m?.[2]
    if (name && name !== `${env.app}-${env.env}`) return name
  }
  return undefined
}

/** The monthly cost of what is live, at no traffic: the defaults of desiredFromTags replaced by what was read. */
export function liveMonthlyCost(desired: Desired, observed: unknown, region: string): number | undefined {
  if (desired.target === 'lambda') {
    const fn = (observed as LambdaObserved).function
    if (!fn) return 0
    const memory = fn.config.MemorySize ?? desired.function.memory
    return estimateMonthlyCost({ ...desired, function: { ...desired.function, memory } }, region)?.totalUsd
  }
  const o = observed as ContainerObserved
  if (!o.service && !o.express?.service) return 0
  const spec = o.taskDefinition?.spec
  const container = {
    ...desired.container,
    count: o.service?.desiredCount ?? desired.container.count,
    cpu: Number(spec?.cpu) || desired.container.cpu,
    memory: Number(spec?.memory) || desired.container.memory,
  }
  return estimateMonthlyCost({ ...desired, container }, region)?.totalUsd
}

function isTarget(name: string | undefined): name is TargetName {
  return (TARGETS as readonly (string | undefined)[]).includes(name)
}
