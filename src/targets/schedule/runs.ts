import type { ContainerDesired, LambdaDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import { ACCOUNT_PLACEHOLDER, arnPartition, type PlanContext } from '../target.js'
import type { ScheduleRun } from './plan.js'

/** What the lambda and container targets tell the schedule about what it starts. */

const arnBase = (ctx: PlanContext, service: string, region = ctx.region) =>
  `arn:${arnPartition(ctx)}:${service}:${region}:${ctx.account ?? ACCOUNT_PLACEHOLDER}`
const roleArn = (ctx: PlanContext, name: string) => `arn:${arnPartition(ctx)}:iam::${ctx.account ?? ACCOUNT_PLACEHOLDER}:role/${name}`

/**
 * A task: Scheduler calls RunTask as the deploy's own run-task would (cluster, launch type, network),
 * on the revision this deploy registers or keeps. The revision is pinned rather than the family's
 * latest ACTIVE one: the schedule runs what the last deploy shipped, not a revision registered by
 * anything else since, and `shipit rollback` can move it back. A deploy that registers a new
 * revision therefore also updates the schedule (one UpdateSchedule); one that does not, changes nothing.
 */
export function taskScheduleRun(
  ctx: PlanContext,
  desired: ContainerDesired,
  run: {
    /** `family:revision` when kept, or the reference to the revision registered by this plan */
    taskDefinition: string | Ref
    launchType: 'FARGATE' | 'EC2'
    awsvpc: NonNullable<ScheduleRun['ecs']>['awsvpc']
    after: string[]
  },
): ScheduleRun {
  const { names, container } = desired
  const ecs = arnBase(ctx, 'ecs')
  const taskDefinitionArn = typeof run.taskDefinition === 'string' ? `${ecs}:task-definition/${run.taskDefinition}` : run.taskDefinition
  const cluster = `${ecs}:cluster/${names.cluster}`
  const passed = [container.executionRole ?? roleArn(ctx, names.taskExecutionRole), ...(container.taskRole ? [container.taskRole] : [])]
  return {
    arn: cluster,
    ecs: { taskDefinitionArn, count: container.count, launchType: run.launchType, awsvpc: run.awsvpc },
    policy: [
      // any revision of the family, in this cluster only
      { Effect: 'Allow', Action: 'ecs:RunTask', Resource: `${ecs}:task-definition/${names.family}:*`, Condition: { ArnLike: { 'ecs:cluster': cluster } } },
      // the tasks get the task definition's tags at launch (PropagateTags), which ECS authorizes as ecs:TagResource
      {
        Effect: 'Allow',
        Action: 'ecs:TagResource',
        Resource: `${ecs}:task/${names.cluster}/*`,
        Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: passed, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } },
    ],
    after: run.after,
    what: `task family ${names.family}`,
  }
}

/** A function: Scheduler invokes the alias shipit publishes (what `live` serves is what the schedule runs). */
export function functionScheduleRun(ctx: PlanContext, desired: LambdaDesired, alias: string, after: string[]): ScheduleRun {
  const fn = `${arnBase(ctx, 'lambda')}:function:${desired.names.function}`
  return {
    arn: `${fn}:${alias}`,
    policy: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [fn, `${fn}:*`] }],
    after,
    what: `function ${desired.names.function}`,
  }
}
