import { awsOperation, type Catalogue, type CliVersions, type WaitRunbook } from '../plan/catalogue.js'
import { kebab } from '../plan/render.js'
import type { Idempotency } from '../plan/types.js'
import { BEFORE_2020, LOGS_TAG_RESOURCE } from './cli-versions.js'
import { notOurs, read, sameOwner } from './read-back.js'
import { ACCOUNT_PLACEHOLDER } from './target.js'

/**
 * The operations both targets send (the roles and log groups), their idempotency rules in words, and
 * what every catalogue has: the account placeholder of offline plans. A target's catalogue joins these
 * with its own (src/plan/catalogue.ts).
 */

const natural = (why: string): Idempotency => ({ kind: 'natural', why })
export const UPDATE = natural('an update or put: sending it again sets the same values')
export const TAG = natural('tags: setting them again changes nothing')
export const DELETE = natural('a delete: sent again it answers not found, and the next deploy sees it gone')

/** The runbook of a command every aws CLI since 2020 knows. */
export const OLD_COMMAND = { cli: BEFORE_2020 }

/** An SDK waiter the aws CLI has under the same name (`FunctionActiveV2` → `aws lambda wait function-active-v2`). */
export function cliWait(service: string, waiter: string, versions: CliVersions = BEFORE_2020): Record<string, WaitRunbook> {
  return { [waiter]: (input) => ({ cli: { service, waiter: kebab(waiter), input, versions } }) }
}

export const Iam = {
  CreateRole: awsOperation('iam', 'CreateRole', {
    idempotency: { kind: 'recover', read: 'GetRole with shipit tags' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const role = (await read(clients.send('iam', 'GetRole', { RoleName: input.RoleName })))?.Role
      if (!role) return undefined
      const what = `role ${input.RoleName}`
      if (!role.Tags || !sameOwner(input.Tags, role.Tags)) throw notOurs(what)
      return { outputs: { Role: role }, what }
    },
  }),
  AttachRolePolicy: awsOperation('iam', 'AttachRolePolicy', { idempotency: natural('attaching an attached policy changes nothing'), runbook: OLD_COMMAND }),
  PutRolePolicy: awsOperation('iam', 'PutRolePolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateAssumeRolePolicy: awsOperation('iam', 'UpdateAssumeRolePolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagRole: awsOperation('iam', 'TagRole', { idempotency: TAG, runbook: OLD_COMMAND }),
  DetachRolePolicy: awsOperation('iam', 'DetachRolePolicy', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteRolePolicy: awsOperation('iam', 'DeleteRolePolicy', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteRole: awsOperation('iam', 'DeleteRole', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

export const Logs = {
  CreateLogGroup: awsOperation('logs', 'CreateLogGroup', {
    idempotency: natural('a second create answers ResourceAlreadyExistsException, which the step accepts'),
    runbook: OLD_COMMAND,
  }),
  PutRetentionPolicy: awsOperation('logs', 'PutRetentionPolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagResource: awsOperation('logs', 'TagResource', { idempotency: TAG, runbook: { cli: LOGS_TAG_RESOURCE } }),
  DeleteLogGroup: awsOperation('logs', 'DeleteLogGroup', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

/** The part of every target's catalogue: roles, log groups and the account of offline plans. */
export const SHARED_CATALOGUE: Partial<Catalogue> = {
  operations: [...Object.values(Iam), ...Object.values(Logs)],
  waitRunbook: cliWait('iam', 'RoleExists'),
  placeholders: {
    [ACCOUNT_PLACEHOLDER]: {
      variable: 'ACCOUNT_ID',
      lookup: 'aws sts get-caller-identity --query Account --output text',
      missing: 'the caller has no account',
    },
  },
}
