import type { AppScope, Conditions, Permission, PolicyUse } from '../plan/permissions.js'

/**
 * The IAM policy of shipit's deployer, written from the permissions the catalogues declare: each
 * action on the ARN patterns of the app's resources, under the conditions its need gives. Needs with
 * the same resources and conditions share a statement; nothing is granted that no operation needs.
 */

interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Action: string[]
  Resource: string[]
  Condition?: Conditions
}

export interface PolicyDocument {
  Version: '2012-10-17'
  Statement: PolicyStatement[]
}

/** IAM's wildcard match: `*` any run of characters, `?` one; case-sensitive as ARNs are. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${source}$`, 's').test(value)
}

/** The patterns none of the others already covers (`/shipit/app/*` covers `/shipit/app/*:*`). */
function withoutCovered(patterns: string[]): string[] {
  const unique = [...new Set(patterns)].sort()
  return unique.filter((p) => !unique.some((q) => q !== p && wildcardMatch(q, p)))
}

const key = (value: unknown) => JSON.stringify(value ?? null)

/** A statement id from its actions' services (`LambdaApigateway2`): readable in the console, unique in the document. */
function sid(actions: string[], taken: Set<string>): string {
  const services = [...new Set(actions.map((a) => a.split(':')[0]))]
  const stem = services.map((s) => s.charAt(0).toUpperCase() + s.slice(1).replace(/[^A-Za-z0-9]/g, '')).join('')
  let name = stem
  for (let n = 2; taken.has(name); n++) name = `${stem}${n}`
  taken.add(name)
  return name
}

type Grant = { actions: string[]; conditions?: Conditions; resources: string[] }

/** Drops an action from a statement when other statements with the same conditions grant it on each of its resources (ecs:TagResource on any of the app's ECS resources). */
function withoutRedundantActions(grants: Grant[]): Grant[] {
  const kept = grants.map((g) => ({ ...g, actions: [...g.actions] }))
  for (const grant of kept) {
    const others = kept.filter((o) => o !== grant && key(o.conditions) === key(grant.conditions))
    grant.actions = grant.actions.filter(
      (action) => !grant.resources.every((r) => others.some((o) => o.actions.includes(action) && o.resources.some((q) => wildcardMatch(q, r)))),
    )
  }
  return kept.filter((g) => g.actions.length > 0)
}

/** The policy the deployer of one app needs for the commands of `uses`. */
export function deployerPolicy(permissions: readonly Permission[], scope: AppScope, uses: readonly PolicyUse[]): PolicyDocument {
  // first by resources and conditions, gathering actions
  const byResources = new Map<string, { resources: string[]; conditions?: Conditions; actions: Set<string> }>()
  for (const permission of permissions) {
    if (!permission.uses.some((u) => uses.includes(u))) continue
    if (permission.onlyIf && !permission.onlyIf(scope)) continue
    for (const need of permission.needs) {
      const resources = need.resource ? withoutCovered(need.resource.patterns(scope)) : ['*']
      // a kind of resource the app has none of (no secrets: no secret reads) grants nothing
      if (resources.length === 0) continue
      const conditions = need.conditions?.(scope)
      const k = key([resources, conditions])
      const entry = byResources.get(k) ?? { resources, conditions, actions: new Set<string>() }
      entry.actions.add(need.action)
      byResources.set(k, entry)
    }
  }
  // then statements with the same actions and conditions share their resources
  const byActions = new Map<string, { actions: string[]; conditions?: Conditions; resources: string[] }>()
  for (const { resources, conditions, actions } of byResources.values()) {
    const sorted = [...actions].sort()
    const k = key([sorted, conditions])
    const entry = byActions.get(k) ?? { actions: sorted, conditions, resources: [] }
    entry.resources = withoutCovered([...entry.resources, ...resources])
    byActions.set(k, entry)
  }
  const statements = withoutRedundantActions([...byActions.values()]).sort((a, b) => key([a.actions, a.resources]).localeCompare(key([b.actions, b.resources])))
  const taken = new Set<string>()
  return {
    Version: '2012-10-17',
    Statement: statements.map(({ actions, resources, conditions }) => ({
      Sid: sid(actions, taken),
      Effect: 'Allow',
      Action: actions,
      Resource: resources,
      ...(conditions ? { Condition: conditions } : {}),
    })),
  }
}

/** The trust policy of a role that GitHub Actions assumes through its OIDC provider. */
export interface GithubSubject {
  repository: string
  /** a GitHub environment: only jobs that name it may assume the role; else only the main branch */
  environment?: string
}

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com'

/** The `sub` claim the role trusts: `repo:OWNER/REPO:environment:ENV`, or `repo:OWNER/REPO:ref:refs/heads/main`. */
export function githubSubjectClaim(subject: GithubSubject): string {
  return subject.environment ? `repo:${subject.repository}:environment:${subject.environment}` : `repo:${subject.repository}:ref:refs/heads/main`
}

export function githubTrustPolicy(subject: GithubSubject, partition: string, account: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GithubActions',
        Effect: 'Allow',
        Principal: { Federated: `arn:${partition}:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
            [`${GITHUB_OIDC_HOST}:sub`]: githubSubjectClaim(subject),
          },
        },
      },
    ],
  }
}
