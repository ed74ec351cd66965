/**
 * What differs between the fargate and ecs targets, in one place. Everything else (cluster, network,
 * roles, logs, task definition, service, run, destroy) is shared and reads these fields.
 */
export interface LaunchProfile {
  target: 'fargate' | 'ecs'
  /** RunTask / CreateService launchType */
  launchType: 'FARGATE' | 'EC2'
  /** RegisterTaskDefinition requiresCompatibilities */
  compatibility: 'FARGATE' | 'EC2'
  /** tasks are placed on EC2 container instances that must be registered in the cluster */
  needsContainerInstances: boolean
  /** the task's network interface can get a public IP (awsvpc on EC2 cannot) */
  publicIp: boolean
}

export const FARGATE_PROFILE: LaunchProfile = {
  target: 'fargate',
  launchType: 'FARGATE',
  compatibility: 'FARGATE',
  needsContainerInstances: false,
  publicIp: true,
}

export const EC2_PROFILE: LaunchProfile = {
  target: 'ecs',
  launchType: 'EC2',
  compatibility: 'EC2',
  needsContainerInstances: true,
  publicIp: false,
}

/** The one container of every task definition shipit registers. */
export const CONTAINER_NAME = 'app'
/** Express Mode runs a task definition whose container is named `Main`. */
export const EXPRESS_CONTAINER_NAME = 'Main'

/** The container's name in the app's task definition: `Main` for an Express service (http: on fargate), else `app`. */
export const containerNameOf = (desired: { express?: unknown }): string => (desired.express ? EXPRESS_CONTAINER_NAME : CONTAINER_NAME)
/** awslogs-stream-prefix: a task's stream is `shipit/app/<task-id>`. */
export const LOG_STREAM_PREFIX = 'shipit'
/** startedBy of the tasks shipit runs (RunTask), so destroy can find them. */
export const STARTED_BY = 'shipit'
export { SECRETS_POLICY_NAME } from '../iam-role.js'

/** The awslogs stream of a task's container: `shipit/<container>/<task-id>`. */
export const logStreamOf = (taskArn: string, container: string = CONTAINER_NAME) => `${LOG_STREAM_PREFIX}/${container}/${taskArn.split('/').pop()}`
