import type { RetryOn } from '../../plan/types.js'
import { ROLE_PROPAGATION_SECONDS } from '../iam-role.js'

/**
 * Retries for the first CreateService / RunTask after shipit made what they use. IAM is eventually
 * consistent: for a while after CreateRole, ECS answers RunTask with ClientException (CreateService
 * with InvalidParameterException) "ECS was unable to assume the role '…' that was provided for this
 * task. Please verify that the role being passed has the proper trust relationship and permissions
 * and that your IAM user has permissions to pass this role.", or the iam:PassRole check answers
 * AccessDeniedException. In a new account, the first CreateCluster makes AWSServiceRoleForECS, and
 * the first service or task can fail once with InvalidParameterException "Unable to assume the
 * service linked role. Please verify that the ECS service linked role exists." (Terraform's AWS
 * provider retries both for the same reasons.) Each retry is bounded; at the bound AWS's error stands.
 */

/** How long AWSServiceRoleForECS may take after the first CreateCluster of an account. */
const SERVICE_LINKED_ROLE_SECONDS = 60
/** How long a service deleted by an earlier destroy may stay DRAINING before its name can be used again. */
const SERVICE_DRAINING_SECONDS = 600

const UNABLE_TO_ASSUME = 'ECS was unable to assume the role'

/** The rules for a call that passes `roleName`, made by this plan, to ECS. */
function newRoleRetries(roleName: string): RetryOn[] {
  const waitingFor = `IAM to propagate role ${roleName}`
  return [
    { errorName: 'ClientException', messageIncludes: UNABLE_TO_ASSUME, seconds: ROLE_PROPAGATION_SECONDS, waitingFor },
    { errorName: 'InvalidParameterException', messageIncludes: UNABLE_TO_ASSUME, seconds: ROLE_PROPAGATION_SECONDS, waitingFor },
    { errorName: 'AccessDeniedException', messageIncludes: 'iam:PassRole', seconds: ROLE_PROPAGATION_SECONDS, waitingFor },
  ]
}

/** The rule for the first service or task in a cluster this plan creates (possibly the account's first). */
function serviceLinkedRoleRetry(): RetryOn {
  return {
    errorName: 'InvalidParameterException',
    messageIncludes: 'Unable to assume the service linked role',
    seconds: SERVICE_LINKED_ROLE_SECONDS,
    waitingFor: 'ECS to create its service-linked role AWSServiceRoleForECS',
  }
}

/** The rule for CreateService of a name whose earlier service is still DRAINING (ECS: "Creation of service was not idempotent."). */
function drainingServiceRetry(serviceName: string): RetryOn {
  return {
    errorName: 'InvalidParameterException',
    messageIncludes: 'Creation of service was not idempotent',
    seconds: SERVICE_DRAINING_SECONDS,
    waitingFor: `service ${serviceName}, deleted earlier, to finish draining (DRAINING → INACTIVE)`,
  }
}

/** All the rules a first CreateService / RunTask needs, or none. */
export function firstUseRetries(o: { createdRole?: string; clusterCreated: boolean; drainingService?: string }): RetryOn[] | undefined {
  const rules = [
    ...(o.createdRole ? newRoleRetries(o.createdRole) : []),
    ...(o.clusterCreated ? [serviceLinkedRoleRetry()] : []),
    ...(o.drainingService ? [drainingServiceRetry(o.drainingService)] : []),
  ]
  return rules.length ? rules : undefined
}
