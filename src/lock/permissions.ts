import { type Permission, permission, READ, regional } from '../plan/permissions.js'
import { LOCK_TABLE } from './requests.js'

/**
 * What IAM must allow for the deploy lock, in the shape the targets' catalogues declare theirs, so
 * `shipit policy` grants it: every command that changes AWS takes and releases the lock, `plan` and
 * `status` read it, and the first deploy in an account and region creates the table.
 */
const TABLE = regional(
  'dynamodb',
  (name) => `table/${name}`,
  () => [LOCK_TABLE],
)
const CHANGES = ['deploy', 'destroy', 'other'] as const
const table = (i: { TableName?: string; ResourceArn?: string }) => i.TableName ?? i.ResourceArn

export const LOCK_PERMISSIONS: readonly Permission[] = [
  permission({ service: 'dynamodb', operation: 'GetItem' }, READ, { action: 'dynamodb:GetItem', resource: TABLE, name: table }),
  permission({ service: 'dynamodb', operation: 'DescribeTable' }, CHANGES, { action: 'dynamodb:DescribeTable', resource: TABLE, name: table }),
  permission({ service: 'dynamodb', operation: 'PutItem' }, CHANGES, { action: 'dynamodb:PutItem', resource: TABLE, name: table }),
  permission({ service: 'dynamodb', operation: 'UpdateItem' }, CHANGES, { action: 'dynamodb:UpdateItem', resource: TABLE, name: table }),
  permission({ service: 'dynamodb', operation: 'DeleteItem' }, CHANGES, { action: 'dynamodb:DeleteItem', resource: TABLE, name: table }),
  // a table created with tags needs dynamodb:TagResource as well
  permission(
    { service: 'dynamodb', operation: 'CreateTable' },
    CHANGES,
    { action: 'dynamodb:CreateTable', resource: TABLE, name: table },
    { action: 'dynamodb:TagResource', resource: TABLE, name: table },
  ),
  permission({ service: 'dynamodb', operation: 'TagResource' }, CHANGES, { action: 'dynamodb:TagResource', resource: TABLE, name: table }),
  permission({ service: 'dynamodb', operation: 'UpdateTimeToLive' }, CHANGES, { action: 'dynamodb:UpdateTimeToLive', resource: TABLE, name: table }),
]
