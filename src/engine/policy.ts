import { AwsClients } from '../aws/clients.js'
import { resolveRegion } from '../aws/region.js'
import { invalid } from '../errors.js'
import { LOCK_PERMISSIONS } from '../lock/permissions.js'
import type { LoadedComponent } from '../manifest/components.js'
import { findManifest } from '../manifest/discover.js'
import { domainNamesOf } from '../manifest/domain.js'
import { isEnvPattern } from '../manifest/environments.js'
import { type LoadedManifest, loadManifest } from '../manifest/load.js'
import { cutName } from '../manifest/names.js'
import { DEFAULT_ENV, type Desired, resolveDesired } from '../manifest/resolve.js'
import { TARGETS, type TargetName } from '../manifest/schema.js'
import type { AppScope, Permission, PolicyUse } from '../plan/permissions.js'
import { POLICY_USES } from '../plan/permissions.js'
import { deployerPolicy, type GithubSubject, githubSubjectClaim, githubTrustPolicy, type PolicyDocument, wildcardMatch } from '../policy/document.js'
import { loadTarget } from '../targets/index.js'
import { ACCOUNT_PLACEHOLDER, partition } from '../targets/target.js'

/**
 * `shipit policy`: the deployer's policy for one app.yaml, from its targets' catalogues. Reads no
 * AWS but the caller's account (and none with --account or without credentials).
 */

interface PolicyOptions {
  file?: string
  /** one target or several (a move's two: their union); default: every target the app can be deployed to */
  target?: string | string[]
  /** one environment; default: all of them (`<app>-*`) */
  env?: string
  /** what the policy is for; `move` is plan, deploy and destroy (of --to and --from); several: their union */
  for: PolicyFor | PolicyFor[]
  region?: string
  profile?: string
  account?: string
  github?: string
  roleName?: string
  vars?: Record<string, string | undefined>
}

export interface DerivedPolicy {
  app: string
  targets: TargetName[]
  env: string
  for: PolicyUse[]
  region: string
  partition: string
  account: string
  /** where the account came from: --account, the credentials (STS), or a placeholder to replace */
  accountFrom: 'flag' | 'credentials' | 'placeholder'
  policy: PolicyDocument
  github?: { subject: string; roleName: string; trustPolicy: object }
}

export type PolicyFor = PolicyUse | 'all' | 'move'

/** The uses of `--for`: all of them, a move's (its reads, the deploy of one target and the destroy of the other), or those named. */
function usesOf(given: PolicyFor | PolicyFor[]): PolicyUse[] {
  const named = Array.isArray(given) ? given : [given]
  const uses = named.flatMap((u): readonly PolicyUse[] => (u === 'all' ? POLICY_USES : u === 'move' ? ['plan', 'deploy', 'destroy'] : [u]))
  return POLICY_USES.filter((u) => uses.includes(u))
}

/** The targets an app.yaml can be deployed to: containers to fargate and ecs, a function (or a container with http:) to lambda. */
function targetsOf(loaded: LoadedManifest, target: string | string[] | undefined): TargetName[] {
  const named = target === undefined ? [] : Array.isArray(target) ? target : [target]
  if (named.length) {
    for (const t of named) if (!TARGETS.includes(t as TargetName)) throw invalid('UnknownTarget', `unknown target "${t}"`, [`use one of ${TARGETS.join(', ')}`])
    return TARGETS.filter((t) => named.includes(t))
  }
  const { manifest } = loaded
  // a container with http: also goes to lambda, as an image function
  const lambda = manifest.function || (manifest.container && manifest.http)
  const all: TargetName[] = [...(manifest.container ? (['fargate', 'ecs'] as const) : []), ...(lambda ? (['lambda'] as const) : [])]
  return all.length ? all : manifest.target ? [manifest.target as TargetName] : []
}

/** Every (env, target) the policy is for, resolved: what app.yaml names outside shipit's own names (a cluster, a role, a bucket). */
function resolveAll(loaded: LoadedManifest, targets: TargetName[], env: string | undefined): Desired[] {
  // a pattern (`pr-*`) is resolved for one name it matches: what its overlay names (a cluster, a role) is what matters
  const envs = env ? [env] : [DEFAULT_ENV, ...Object.keys(loaded.manifest.environments).map((k) => (isEnvPattern(k) ? k.replaceAll('*', 'x') : k))]
  const resolved: Desired[] = []
  for (const e of envs) {
    for (const target of targets) {
      try {
        resolved.push(resolveDesired(loaded, { env: e, target }))
      } catch (error) {
        // an env or target the user named must resolve; among all of them, one that cannot is not deployed
        if (env || targets.length === 1) throw error
      }
    }
  }
  return resolved
}

function scopeOf(loaded: LoadedManifest, desired: Desired[], env: string | undefined, region: string, account: string): AppScope {
  const app = loaded.manifest.name
  const clusters = new Set<string>()
  const roles = new Set<string>()
  const buckets = new Set<string>()
  const secrets = new Set<string>()
  const domains = new Set<string>()
  for (const d of desired) {
    for (const text of Object.values(d.secrets)) secrets.add(text)
    for (const name of domainNamesOf(d.http)) domains.add(name)
    if (d.target === 'lambda') {
      if (d.function.role) roles.add(d.function.role)
      if (d.function.bucket) buckets.add(d.function.bucket)
    } else {
      for (const r of [d.container.executionRole, d.container.taskRole, d.container.infrastructureRole]) if (r) roles.add(r)
      // shipit's own cluster names are covered by one pattern, `<app>-<env>` or `<app>-*`
      clusters.add(d.names.cluster === d.names.base ? `${app}-${env ?? '*'}` : d.names.cluster)
    }
  }
  return {
    partition: partition(region),
    region,
    account,
    app,
    env: env ?? '*',
    clusters: [...clusters].sort(),
    roles: [...roles].sort(),
    buckets: [...buckets].sort(),
    secrets: [...secrets].sort(),
    domains: [...domains].sort(),
  }
}

/** The caller's account: --account, else STS with the credentials configured, else a placeholder. */
async function accountOf(options: PolicyOptions, region: string): Promise<{ account: string; from: DerivedPolicy['accountFrom'] }> {
  if (options.account) {
    if (!/^\d{12}$/.test(options.account)) throw invalid('InvalidAccount', `--account ${options.account} is not a 12-digit AWS account id`)
    return { account: options.account, from: 'flag' }
  }
  const clients = new AwsClients({ region, profile: options.profile })
  try {
    if ((await clients.credentialStatus()) === 'none') return { account: ACCOUNT_PLACEHOLDER, from: 'placeholder' }
    const identity = await clients.send('sts', 'GetCallerIdentity', {})
    return identity.Account ? { account: identity.Account, from: 'credentials' } : { account: ACCOUNT_PLACEHOLDER, from: 'placeholder' }
  } finally {
    clients.destroy()
  }
}

/** `OWNER/REPO[:ENVIRONMENT]` as GitHub spells them. */
function parseGithubSubject(text: string): GithubSubject {
  const match = /^([A-Za-z0-9-]+\/[A-Za-z0-9._-]+)(?::([^:\s]+))?$/.exec(text)
  if (!match)
    throw invalid('InvalidGithubRepository', `--github-oidc ${text} is not OWNER/REPO or OWNER/REPO:ENVIRONMENT`, [
      'e.g. --github-oidc my-org/my-repo:production',
    ])
  return { repository: match[1], ...(match[2] ? { environment: match[2] } : {}) }
}

/** The role GitHub Actions assumes; it must not be one of the roles the policy lets it change or pass, or it could raise its own permissions. */
function deployerRoleName(options: PolicyOptions, policy: PolicyDocument, scope: AppScope): string {
  const name = options.roleName ?? cutName(`shipit-deployer-${scope.app}`, 64)
  const arn = `arn:${scope.partition}:iam::${scope.account}:role/${name}`
  const reached = policy.Statement.some((s) => s.Action.some((a) => a.startsWith('iam:')) && s.Resource.some((r) => wildcardMatch(r, arn)))
  if (reached) throw invalid('DeployerRoleInScope', `the deployer role ${name} is one the policy may change or pass`, ['name it otherwise with --role-name'])
  return name
}

export async function derivePolicy(options: PolicyOptions): Promise<DerivedPolicy> {
  const loaded = await loadManifest(options.file ?? (await findManifest(process.cwd())), options.vars ?? process.env)
  const targets = loaded.components ? [...new Set(loaded.components.map((c) => c.target))] : targetsOf(loaded, options.target)
  const desired = loaded.components ? componentsDesired(loaded.components, options.env) : resolveAll(loaded, targets, options.env)
  const resolvedRegion = await resolveRegion({ flag: options.region, manifest: loaded.manifest.region, profile: options.profile })
  if (!resolvedRegion) throw invalid('NoRegion', 'no AWS region configured', ['pass --region, set region: in app.yaml, or set AWS_REGION'])
  const region = resolvedRegion.region
  const github = options.github ? parseGithubSubject(options.github) : undefined
  const { account, from } = await accountOf(options, region)
  const scope = scopeOf(loaded, desired, options.env, region, account)
  const uses = usesOf(options.for)
  // the deploy lock is taken by every command that changes AWS (src/lock/)
  const permissions: Permission[] = [...LOCK_PERMISSIONS]
  for (const t of targets) {
    const own = (await loadTarget(t)).catalogue.permissions ?? []
    // with components, each target's operations reach the names of that target's components only: an ECS
    // service pattern for the API's lambda component would widen the policy and lengthen it past IAM's limit
    const names = loaded.components?.filter((c) => c.target === t).map((c) => c.name)
    permissions.push(...(names ? forComponents(own, names) : own))
  }
  const policy = deployerPolicy([...new Set(permissions)], scope, uses)
  return {
    app: scope.app,
    targets,
    env: scope.env,
    for: uses,
    region,
    partition: scope.partition,
    account,
    accountFrom: from,
    policy,
    ...(github
      ? {
          github: {
            subject: githubSubjectClaim(github),
            roleName: deployerRoleName(options, policy, scope),
            trustPolicy: githubTrustPolicy(github, scope.partition, account),
          },
        }
      : {}),
  }
}

/**
 * With components: every component's Desired, its cluster written as `<app>-<env>` is shipit's own
 * (scopeOf then covers it with the `<app>-<env>` or `<app>-*` pattern, as for an app of one).
 */
function componentsDesired(components: LoadedComponent[], env: string | undefined): Desired[] {
  return components.flatMap((c) => {
    const envs = env ? [env] : [DEFAULT_ENV, ...Object.keys(c.loaded.manifest.environments).map((k) => (isEnvPattern(k) ? k.replaceAll('*', 'x') : k))]
    return envs.map((e) => {
      const d = resolveDesired(c.loaded, { env: e, target: c.target })
      const named = d.target !== 'lambda' && d.container.cluster
      return named ? d : { ...d, names: { ...d.names, cluster: d.names.base } }
    })
  })
}

/** Each permission's resources for every component's names (`<app>-<component>-<env>`, its log group). */
function forComponents(permissions: readonly Permission[], components: string[]): Permission[] {
  return permissions.map((p) => ({
    ...p,
    needs: p.needs.map((need) => {
      const resource = need.resource
      if (!resource) return need
      return {
        ...need,
        resource: { ...resource, patterns: (scope: AppScope) => [...new Set(components.flatMap((component) => resource.patterns({ ...scope, component })))] },
      }
    }),
  }))
}
