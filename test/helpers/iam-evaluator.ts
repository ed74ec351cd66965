import { type Authorization, authorizationsOf, type CallScope, type Permission } from '../../src/plan/permissions.js'
import { type PolicyDocument, wildcardMatch } from '../../src/policy/document.js'

/**
 * A small evaluator of identity-policy Allow statements, as IAM evaluates them for one request:
 * the action (case-insensitive, wildcards), the resource (wildcards) and every condition of the
 * statement, against the values the request carries (iam:PassedToService, iam:PolicyARN,
 * aws:RequestTag/…) and, for aws:ResourceTag/…, the tags of the resource as `resourceTags` gives
 * them. Without `resourceTags`, aws:ResourceTag conditions are skipped (taken as met).
 */

/** The tags of a resource by its ARN, or undefined when it has none (or is not known). */
export type ResourceTags = (arn: string) => Record<string, string> | undefined

const OPERATORS = ['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'] as const

function conditionHolds(operator: string, key: string, wanted: string | string[], auth: Authorization, resourceTags?: ResourceTags): boolean {
  // ForAllValues: every value of a multivalued key matches (IAM: and a key the request lacks matches too; shipit's requests always carry theirs)
  const forAll = /^ForAllValues:(.+)$/.exec(operator)
  if (forAll) {
    const values = auth.context[key]
    if (values === undefined) return false
    return (typeof values === 'string' ? [values] : values).every((v) =>
      conditionHolds(forAll[1], key, wanted, { ...auth, context: { ...auth.context, [key]: v } }, resourceTags),
    )
  }
  if (!(OPERATORS as readonly string[]).includes(operator)) throw new Error(`the evaluator has no condition operator ${operator}`)
  const resourceTag = /^aws:ResourceTag\/(.+)$/.exec(key)
  if (resourceTag && !resourceTags) return true
  const value = resourceTag ? resourceTags?.(auth.resource)?.[resourceTag[1]] : auth.context[key]
  // a key the request does not carry fails every operator but ...IfExists, which shipit does not write
  if (value === undefined) return false
  if (typeof value !== 'string') throw new Error(`${key} is multivalued: test it with ForAllValues`)
  const values = Array.isArray(wanted) ? wanted : [wanted]
  return values.some((w) => (operator === 'StringEquals' ? w === value : wildcardMatch(w, value)))
}

/** The statement that allows the authorization, or undefined. */
export function allowingStatement(policy: PolicyDocument, auth: Authorization, resourceTags?: ResourceTags): PolicyDocument['Statement'][number] | undefined {
  return policy.Statement.find(
    (s) =>
      s.Effect === 'Allow' &&
      s.Action.some((a) => wildcardMatch(a.toLowerCase(), auth.action.toLowerCase())) &&
      s.Resource.some((r) => wildcardMatch(r, auth.resource)) &&
      Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, wanted]) => conditionHolds(operator, key, wanted, auth, resourceTags)),
      ),
  )
}

/** What a request was denied or could not be checked for, in words. */
export function deniedRequests(
  requests: { service: string; operation: string; input: object }[],
  permissions: readonly Permission[],
  policy: PolicyDocument,
  at: CallScope,
  resourceTags?: ResourceTags,
): string[] {
  const problems: string[] = []
  for (const request of requests) {
    const permission = permissions.find((p) => p.service === request.service && p.operation === request.operation)
    if (!permission) {
      problems.push(`${request.service}:${request.operation} was sent, but no catalogue declares its permissions`)
      continue
    }
    const denied = authorizationsOf(permission, request.input, at).filter((auth) => !allowingStatement(policy, auth, resourceTags))
    for (const auth of denied)
      problems.push(`${request.service}:${request.operation} needs ${auth.action} on ${auth.resource} ${JSON.stringify(auth.context)}: denied`)
  }
  return [...new Set(problems)]
}
