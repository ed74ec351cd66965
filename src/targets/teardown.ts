import type { Step } from '../plan/types.js'
import { type ObservedRole, SECRETS_POLICY_NAME } from './iam-role.js'
import { Iam } from './shared-catalogue.js'

/**
 * Deleting a role shipit created: its managed policies are detached and its inline secrets policy
 * deleted first (DeleteRole refuses a role that still has either), after `after`.
 * `deleteInlinePolicy` says whether that inline policy is there (observed, or assumed when not read).
 */
export function roleDeleteSteps(roleName: string, role: ObservedRole, after: string[], deleteInlinePolicy: boolean): Step[] {
  const detach: Step[] = role.attachedPolicies.map((arn, i) => ({
    id: `role-policy-${i}`,
    action: 'delete',
    resource: { type: 'iam:role-policy-attachment', name: `${roleName}/${arn.split('/').pop()}` },
    request: Iam.DetachRolePolicy.request({ RoleName: roleName, PolicyArn: arn }),
    dependsOn: after,
    okErrors: ['NoSuchEntityException'],
  }))
  const inline: Step[] = deleteInlinePolicy
    ? [
        {
          id: 'role-secrets',
          action: 'delete',
          resource: { type: 'iam:role-policy', name: `${roleName}/${SECRETS_POLICY_NAME}` },
          request: Iam.DeleteRolePolicy.request({ RoleName: roleName, PolicyName: SECRETS_POLICY_NAME }),
          dependsOn: after,
          okErrors: ['NoSuchEntityException'],
        },
      ]
    : []
  const first = [...detach, ...inline]
  return [
    ...first,
    {
      id: 'role',
      action: 'delete',
      resource: { type: 'iam:role', name: roleName },
      request: Iam.DeleteRole.request({ RoleName: roleName }),
      dependsOn: [...first.map((s) => s.id), ...after],
      okErrors: ['NoSuchEntityException'],
    },
  ]
}
