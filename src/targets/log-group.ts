import type { AwsClients } from '../aws/clients.js'
import type { Step } from '../plan/types.js'
import type { PartBuilder } from './part.js'
import { Logs } from './shared-catalogue.js'

/** The app's log group as observed: its retention and its tags (whose it is). */
export interface ObservedLogGroup {
  arn: string
  retentionInDays?: number
  /** not read when a deploy has nothing to change on the group: then whose it is does not matter */
  tags?: Record<string, string>
}

/**
 * The log group and, when shipit may change or delete it, its tags (DescribeLogGroups has none:
 * ListTagsForResource on its ARN). `retention` is what a deploy wants; undefined (destroy) always reads them.
 */
export async function observeLogGroup(clients: AwsClients, name: string, retention?: number): Promise<ObservedLogGroup | null> {
  const out = await clients.send('logs', 'DescribeLogGroups', { logGroupNamePrefix: name })
  const group = (out.logGroups ?? []).find((g) => g.logGroupName === name)
  if (!group) return null
  // `arn` ends with ':*', which the tagging API refuses; `logGroupArn` is the one to use
  const arn = group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, '')
  if (retention !== undefined && group.retentionInDays === retention) return { arn, retentionInDays: group.retentionInDays }
  const tagged = await clients.send('logs', 'ListTagsForResource', { resourceArn: arn })
  return { arn, retentionInDays: group.retentionInDays, tags: tagged.tags ?? {} }
}

/**
 * The app's log group (/shipit/<app>/<env>) with its retention. One made by hand with that name is
 * neither changed nor deleted: refused, or adopted with --adopt. Returns the steps the writers of
 * logs must wait for.
 */
export function planLogGroup(b: PartBuilder, group: ObservedLogGroup | null, reason?: string): string[] {
  const { desired } = b
  const name = desired.names.logGroup
  const deps: string[] = []
  if (!group) {
    deps.push(
      b.add({
        id: 'log-group',
        action: 'create',
        resource: { type: 'logs:log-group', name },
        ...(reason ? { reason } : {}),
        request: Logs.CreateLogGroup.request({ logGroupName: name, tags: desired.tags }),
        dependsOn: [],
        okErrors: ['ResourceAlreadyExistsException'],
      }),
    )
  } else if (group.tags && !b.owned(group.tags)) {
    if (b.refuse('logs:log-group', name)) return deps
    deps.push(b.adopt('log-group-tags', { type: 'logs:log-group', name }, Logs.TagResource.request({ resourceArn: group.arn, tags: desired.tags })))
  }
  if (group?.retentionInDays !== desired.logRetentionDays) {
    b.add({
      id: 'log-retention',
      action: group ? 'update' : 'create',
      resource: { type: 'logs:retention', name },
      changes: [{ path: 'retentionInDays', before: group?.retentionInDays, after: desired.logRetentionDays }],
      request: Logs.PutRetentionPolicy.request({ logGroupName: name, retentionInDays: desired.logRetentionDays }),
      dependsOn: [...deps],
    })
  } else b.keep('logs:log-group', name)
  return deps
}

/** Deleting the app's log group and the logs in it: only when it carries this app's and env's tags. */
export function planLogGroupDelete(b: PartBuilder, group: ObservedLogGroup | null, after: string[]): void {
  if (!group) return
  const name = b.desired.names.logGroup
  // tags unread means a deploy's observation: never delete on it
  if (!group.tags || !b.owned(group.tags)) {
    b.keep('logs:log-group', name, 'kept: no shipit tags for this app and env')
    return
  }
  b.add(logGroupDeleteStep(name, after))
}

function logGroupDeleteStep(logGroup: string, after: string[]): Step {
  return {
    id: 'log-group',
    action: 'delete',
    resource: { type: 'logs:log-group', name: logGroup },
    reason: 'and the logs in it',
    request: Logs.DeleteLogGroup.request({ logGroupName: logGroup }),
    dependsOn: after,
    okErrors: ['ResourceNotFoundException'],
  }
}
