import type { Task } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import type { Outputs } from '../target.js'
import type { ContainerObserved } from './observe.js'
import { STARTED_BY } from './profile.js'

/** Cluster, service, revision: from what was observed and, after an apply, the steps' responses. No calls. */
export function containerOutputs(desired: ContainerDesired, observed: ContainerObserved, applied: Record<string, Record<string, unknown>> = {}): Outputs {
  const spec = desired.container
  const registered = applied['task-definition']?.taskDefinition as { taskDefinitionArn?: string; revision?: number } | undefined
  // a rollback moves the service without registering anything
  const moved = (applied.service?.service as { taskDefinition?: string } | undefined)?.taskDefinition
  const ran = (applied.run?.tasks as Task[] | undefined)?.map((t) => t.taskArn ?? '').filter(Boolean)
  // counts and deployments were read before the apply: after a change to the service they are stale (`shipit status` reads them anew)
  const live = applied.service ? undefined : observed.service?.live
  return {
    cluster: desired.names.cluster,
    service: spec?.mode === 'service' ? desired.names.service : undefined,
    desiredCount: spec?.mode === 'service' ? spec.count : undefined,
    taskDefinition: registered?.taskDefinitionArn ?? moved ?? observed.taskDefinition?.arn,
    revision: registered?.revision ?? (moved ? Number(moved.split(':').pop()) : observed.taskDefinition?.revision),
    tasks: ran?.length ? ran : undefined,
    runningCount: live?.runningCount,
    pendingCount: live?.pendingCount,
    deployments: live?.deployments.map((d) =>
      `${d.status ?? '?'} ${d.taskDefinition?.split('/').pop() ?? '?'} ${d.rolloutState ?? ''} ${d.running ?? 0}/${d.desired ?? 0} running${d.rolloutStateReason ? ` (${d.rolloutStateReason})` : ''}`.replace(
        /\s+/g,
        ' ',
      ),
    ),
    logGroup: desired.names.logGroup,
  }
}

/**
 * Public IPs of the app's running tasks (service tasks, or the tasks shipit ran): ListTasks →
 * DescribeTasks → the tasks' network interfaces → DescribeNetworkInterfaces. Three or four reads;
 * for `status` and the line after a deploy, not for planning.
 */
export async function taskPublicIps(clients: AwsClients, desired: ContainerDesired): Promise<string[]> {
  const { names } = desired
  const spec = desired.container
  if (!spec) return []
  // startedBy must be the only filter of ListTasks (ECS refuses it beside family or desiredStatus): the family is checked on the described tasks
  const list = await clients.send(
    'ecs',
    'ListTasks',
    spec.mode === 'service'
      ? { cluster: names.cluster, serviceName: names.service, desiredStatus: 'RUNNING' }
      : { cluster: names.cluster, startedBy: STARTED_BY },
  )
  const arns: string[] = (list.taskArns ?? []).slice(0, 100)
  if (!arns.length) return []
  const described = await clients.send('ecs', 'DescribeTasks', { cluster: names.cluster, tasks: arns })
  const ofApp = (t: Task) => spec.mode === 'service' || t.taskDefinitionArn?.split('task-definition/').pop()?.split(':')[0] === names.family
  const enis = ((described.tasks ?? []) as Task[])
    .filter((t) => ofApp(t) && t.lastStatus !== 'STOPPED')
    .flatMap((t) => t.attachments ?? [])
    .filter((a) => a.type === 'ElasticNetworkInterface')
    .map((a) => a.details?.find((d) => d.name === 'networkInterfaceId')?.value)
    .filter((id): id is string => Boolean(id))
  if (!enis.length) return []
  const out = await clients.send('ec2', 'DescribeNetworkInterfaces', { NetworkInterfaceIds: enis })
  return ((out.NetworkInterfaces ?? []) as { Association?: { PublicIp?: string } }[])
    .map((n) => n.Association?.PublicIp)
    .filter((ip): ip is string => Boolean(ip))
    .sort()
}
