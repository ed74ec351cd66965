import type { GetRoleCommandOutput } from '@aws-sdk/client-iam'
import type { AwsClients } from '../aws/clients.js'
import { orNullIfMissing } from '../aws/errors.js'
import { NotNeeded, type Speculative } from '../aws/in-flight.js'
import { canonicalJson } from '../digest.js'
import { tagMap } from './target.js'

/** The inline policy shipit puts on the roles it creates when the app has secrets (both targets). */
/**
 * How long a role shipit just made may take to be usable by the service it is passed to (Lambda,
 * ECS, ECS Express, EventBridge Scheduler): IAM documents "a few seconds", seen up to a minute or more.
 * The first call that passes a new role retries its service's "cannot assume" answer this long.
 */
export const ROLE_PROPAGATION_SECONDS = 90

export const SECRETS_POLICY_NAME = 'shipit-read-secrets'

/** A role shipit creates (Lambda execution role, ECS task execution role), as observed. */
export interface ObservedRole {
  arn: string
  tags: Record<string, string>
  attachedPolicies: string[]
  /** who may assume it, as canonical JSON (GetRole returns it URL-encoded) */
  trustPolicy?: string
  /** the inline secrets policy as canonical JSON; null when there is none, absent when not read */
  secretsPolicy?: string | null
}

/** GetRole of a role, and how to read its parts beside it. */
interface RoleReads {
  role: Promise<GetRoleCommandOutput | null>
  /** a read of one of the role's parts: null when it was not sent because the role proved missing */
  part: <T>(read: (speculative: Speculative) => Promise<T>) => Promise<T | null>
}

/**
 * GetRole, and the reads of the role's parts sent beside it as speculative reads: with IAM's slots
 * free (one app) they go at once, as before; when many components are read at once they wait behind
 * the GetRoles, and those of a role found missing are never sent (a first deploy of many components
 * reads its roles in fewer rounds of IAM's bounded calls).
 */
export function roleReads(clients: AwsClients, roleName: string): RoleReads {
  let missing = false
  const role = orNullIfMissing(clients.send('iam', 'GetRole', { RoleName: roleName })).then((r) => {
    missing = !r?.Role
    return r
  })
  const speculative: Speculative = { needed: () => !missing }
  const part = <T>(read: (speculative: Speculative) => Promise<T>): Promise<T | null> =>
    read(speculative).catch((err: unknown) => {
      if (err instanceof NotNeeded) return null
      throw err
    })
  return { role, part }
}

/** The role, its managed policies and (when asked: it costs a read) shipit's inline secrets policy. */
export async function observeRole(
  clients: AwsClients,
  roleName: string,
  readSecretsPolicy = true,
  reads: RoleReads = roleReads(clients, roleName),
): Promise<ObservedRole | null> {
  const [role, attached, inline] = await Promise.all([
    reads.role,
    reads.part((speculative) => orNullIfMissing(clients.send('iam', 'ListAttachedRolePolicies', { RoleName: roleName }, undefined, { speculative }))),
    readSecretsPolicy
      ? reads.part((speculative) =>
          orNullIfMissing(clients.send('iam', 'GetRolePolicy', { RoleName: roleName, PolicyName: SECRETS_POLICY_NAME }, undefined, { speculative })),
        )
      : Promise.resolve(undefined),
  ])
  if (!role?.Role) return null
  // GetRolePolicy returns the document URL-encoded (RFC 3986)
  const secretsPolicy: string | null | undefined = inline === undefined ? undefined : inline ? canonicalDocument(inline.PolicyDocument) : null
  const trustPolicy = role.Role.AssumeRolePolicyDocument ? canonicalDocument(role.Role.AssumeRolePolicyDocument) : undefined
  return {
    arn: role.Role.Arn ?? '',
    ...(trustPolicy === undefined ? {} : { trustPolicy }),
    tags: tagMap(role.Role.Tags),
    attachedPolicies: (attached?.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])),
    ...(secretsPolicy === undefined ? {} : { secretsPolicy }),
  }
}

/** An IAM policy document as IAM returns it (URL-encoded JSON), in canonical JSON; the raw text when it is not JSON. */
function canonicalDocument(encoded: string | undefined): string {
  const raw = decodeURIComponent(encoded ?? '')
  try {
    return canonicalJson(JSON.parse(raw))
  } catch {
    return raw
  }
}
