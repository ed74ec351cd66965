import { createHash } from 'node:crypto'

/** Names of everything shipit creates for one app and env, derived so that each fits its AWS limit. */
export interface ResourceNames {
  /** `<name>-<env>`: Lambda function, HTTP API, ECS cluster/service/task family */
  base: string
  function: string
  api: string
  cluster: string
  service: string
  family: string
  logGroup: string
  lambdaRole: string
  taskExecutionRole: string
  /** the role ECS Express Mode uses for the load balancer, certificate and scaling it manages */
  infrastructureRole: string
  securityGroup: string
  /** EventBridge Scheduler: the group shipit makes and tags (schedules take no tags), the schedule in it, the role it runs with */
  scheduleGroup: string
  schedule: string
  schedulerRole: string
}

/** IAM role names are at most 64 characters: longer ones keep a prefix and a hash of the whole. */
export function cutName(name: string, limit: number): string {
  if (name.length <= limit) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8)
  return `${name.slice(0, limit - 9)}-${hash}`
}

export function resourceNames(app: string, env: string, cluster?: string): ResourceNames {
  const base = `${app}-${env}`
  return {
    base,
    function: base,
    api: base,
    cluster: cluster ?? base,
    service: base,
    family: base,
    logGroup: `/shipit/${app}/${env}`,
    lambdaRole: cutName(`shipit-${base}-lambda`, 64),
    taskExecutionRole: cutName(`shipit-${base}-task-exec`, 64),
    infrastructureRole: cutName(`shipit-${base}-ecs-infra`, 64),
    securityGroup: `shipit-${base}`,
    scheduleGroup: `shipit-${base}`,
    schedule: base,
    schedulerRole: cutName(`shipit-${base}-scheduler`, 64),
  }
}

/**
 * Names of one component of an app with components: `<app>-<component>-<env>` (cut to Lambda's 64
 * characters when longer), log group `/shipit/<app>/<component>/<env>`; the ECS cluster is the app's
 * and env's (`<app>-<env>`), shared by its container components.
 */
export function componentNames(app: string, component: string, env: string, cluster?: string): ResourceNames {
  const base = cutName(`${app}-${component}-${env}`, 64)
  return {
    base,
    function: base,
    api: base,
    cluster: cluster ?? `${app}-${env}`,
    service: base,
    family: base,
    logGroup: `/shipit/${app}/${component}/${env}`,
    lambdaRole: cutName(`shipit-${base}-lambda`, 64),
    taskExecutionRole: cutName(`shipit-${base}-task-exec`, 64),
    infrastructureRole: cutName(`shipit-${base}-ecs-infra`, 64),
    securityGroup: `shipit-${base}`,
    scheduleGroup: cutName(`shipit-${base}`, 64),
    schedule: base,
    schedulerRole: cutName(`shipit-${base}-scheduler`, 64),
  }
}

export const TAG_APP = 'shipit:app'
/** with components: the component a resource belongs to (a shared cluster: the component that created it) */
export const TAG_COMPONENT = 'shipit:component'
export const TAG_ENV = 'shipit:env'
export const TAG_TARGET = 'shipit:target'
/** on every resource of an env with a ttl: when `shipit prune` may destroy it (ISO time), renewed by deploys */
export const TAG_EXPIRES = 'shipit:expires'
/** beside it, the ttl it was counted with (3d): `shipit prune --older-than` tells when the env was last renewed */
export const TAG_TTL = 'shipit:ttl'

export function shipitTags(app: string, env: string, target: string): Record<string, string> {
  return { [TAG_APP]: app, [TAG_ENV]: env, [TAG_TARGET]: target }
}

export function expiryTags(expires: string, ttl: string): Record<string, string> {
  return { [TAG_EXPIRES]: expires, [TAG_TTL]: ttl }
}

/** True when `tags` mark a resource as shipit's for this app and env. */
export function ownedBy(tags: Record<string, string> | undefined, app: string, env: string): boolean {
  return tags?.[TAG_APP] === app && tags?.[TAG_ENV] === env
}
