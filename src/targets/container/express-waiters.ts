import type { ECSExpressGatewayService, ServiceDeployment, ServiceDeploymentLifecycleStage } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName, isNotFound } from '../../aws/errors.js'
import { polling, sleep, type WaitContext } from '../../aws/waiters.js'
import { ExitCode, ShipitError } from '../../errors.js'

/** Polls before a deployment of the wanted revision that is nowhere to be seen counts as failed (reads are eventually consistent). */
const GRACE_POLLS = 5

/** What an Express canary deployment is doing, in a few words. */
const PHASE: Record<ServiceDeploymentLifecycleStage, string> = {
  RECONCILE_SERVICE: 'reconciling the service',
  PRE_SCALE_UP: 'starting the new tasks',
  SCALE_UP: 'starting the new tasks',
  POST_SCALE_UP: 'new tasks started',
  TEST_TRAFFIC_SHIFT: 'canary: shifting test traffic',
  POST_TEST_TRAFFIC_SHIFT: 'canary: test traffic shifted',
  PRODUCTION_TRAFFIC_SHIFT: 'canary: shifting production traffic',
  POST_PRODUCTION_TRAFFIC_SHIFT: 'production traffic shifted',
  BAKE_TIME: 'bake time: watching the alarms',
  CLEAN_UP: 'stopping the old tasks',
}

type ExpressVerdict = { state: 'done' } | { state: 'waiting'; phase: string } | { state: 'failed'; reason: string }

/**
 * Where a service deployment stands. A rollback (alarm, circuit breaker or by hand) is a failure in
 * ECS's words as soon as it is requested: the revision asked for will not serve. Pure.
 */
export function expressDeploymentVerdict(deployment: ServiceDeployment | undefined, wantedRevision: string | undefined, polls: number): ExpressVerdict {
  const ours = deployment && (!wantedRevision || deployment.targetServiceRevision?.arn === wantedRevision)
  if (!deployment || !ours) {
    if (polls < GRACE_POLLS) return { state: 'waiting', phase: 'the new deployment is not visible yet' }
    const other = deployment?.targetServiceRevision?.arn
    return {
      state: 'failed',
      reason: `ECS is not deploying the new configuration${other ? ` (its current deployment rolls out ${other.split('/').pop()})` : ''}`,
    }
  }
  const status = deployment.status ?? 'PENDING'
  const stage = deployment.lifecycleStage
  if (status === 'SUCCESSFUL') return { state: 'done' }
  if (status === 'PENDING' || status === 'IN_PROGRESS') return { state: 'waiting', phase: `${status}${stage ? `, ${PHASE[stage] ?? stage}` : ''}` }
  const why = [
    deployment.statusReason,
    deployment.rollback?.reason,
    deployment.alarms?.triggeredAlarmNames?.length ? `alarms in ALARM: ${deployment.alarms.triggeredAlarmNames.join(', ')}` : undefined,
    deployment.deploymentCircuitBreaker?.failureCount ? `${deployment.deploymentCircuitBreaker.failureCount} tasks failed to start` : undefined,
  ].filter((x, i, all): x is string => Boolean(x) && all.indexOf(x) === i)
  const what = status.startsWith('ROLLBACK') ? `ECS rolled the deployment back (${status})` : `the deployment ended ${status}`
  return { state: 'failed', reason: `${what}${why.length ? `: ${why.join('; ')}` : ''}` }
}

interface ExpressDeploymentState {
  service: ECSExpressGatewayService
  deployment?: ServiceDeployment
}

/** The Express service and the service deployment it runs now (two reads). */
export async function readExpressDeployment(clients: AwsClients, serviceArn: string): Promise<ExpressDeploymentState> {
  const out = await clients.send('ecs', 'DescribeExpressGatewayService', { serviceArn })
  const service = (out.service ?? {}) as ECSExpressGatewayService
  if (!service.currentDeployment) return { service }
  const described = await clients.send('ecs', 'DescribeServiceDeployments', { serviceDeploymentArns: [service.currentDeployment] })
  return { service, deployment: ((described.serviceDeployments ?? []) as ServiceDeployment[])[0] }
}

const seconds = (since: number) => `${Math.round((Date.now() - since) / 1000)}s`

/**
 * Waits until the Express service's current deployment (the one rolling out `serviceRevisionArn`
 * when given) is SUCCESSFUL; fails, exit 1, in ECS's words when it is rolled back or stopped, or
 * when the deadline passes. `onPhase` hears the canary's phase and the time spent, at each change.
 */
export async function waitForExpressDeployment(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const { deadline, signal } = wait
  const onPhase = (phase: string, elapsed: string) => wait.progress?.(`${phase}, ${elapsed}`)
  const serviceArn = String(input.serviceArn)
  const wanted = typeof input.serviceRevisionArn === 'string' ? input.serviceRevisionArn : undefined
  const name = serviceArn.split('/').pop()
  const started = Date.now()
  let phase = 'not read yet'
  for (let polls = 1; ; polls++) {
    if (signal?.aborted) throw new ShipitError('Interrupted', `interrupted while waiting for Express service ${name}`, { exitCode: ExitCode.Interrupted })
    const { service, deployment } = await readExpressDeployment(clients, serviceArn)
    const code = service.status?.statusCode
    if (code && code !== 'ACTIVE') {
      throw new ShipitError(
        'ServiceGone',
        `Express service ${name} is ${code}${service.status?.statusReason ? ` (${service.status.statusReason})` : ''} while its deployment was awaited`,
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
        },
      )
    }
    const verdict = expressDeploymentVerdict(deployment, wanted, polls)
    if (verdict.state === 'done') return
    if (verdict.state === 'failed') {
      throw new ShipitError('DeploymentFailed', `Express service ${name}: ${verdict.reason} (after ${seconds(started)})`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: ['look at the logs: shipit logs --since 15m', 'check that the container answers 200 on the health-check path, on container.port'],
        details: { serviceArn, deployment: deployment?.serviceDeploymentArn, status: deployment?.status, statusReason: deployment?.statusReason },
      })
    }
    if (verdict.phase !== phase) {
      phase = verdict.phase
      onPhase?.(phase, seconds(started))
    }
    if (Date.now() >= deadline) {
      throw new ShipitError('WaitTimeout', `timed out after ${seconds(started)} waiting for Express service ${name} to deploy (${phase})`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: ['raise --timeout: a canary deployment bakes for several minutes; running the deploy again resumes from here'],
      })
    }
    await sleep(polling.intervalMs, signal)
  }
}

/** Gone: not found, or INACTIVE. ECS answers a deleted Express service's ARN with ResourceNotFoundException or InvalidParameterException "Resource not found". */
function isGone(err: unknown): boolean {
  return isNotFound(err) || (awsErrorName(err) === 'InvalidParameterException' && /resource not found/i.test((err as Error).message ?? ''))
}

/** Waits until a deleted Express service is INACTIVE or gone (DRAINING while ECS removes what it made). */
export async function waitForExpressDeleted(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const { deadline, signal } = wait
  const serviceArn = String(input.serviceArn)
  const name = serviceArn.split('/').pop()
  for (;;) {
    if (signal?.aborted)
      throw new ShipitError('Interrupted', `interrupted while waiting for Express service ${name} to be deleted`, { exitCode: ExitCode.Interrupted })
    let code: string | undefined
    try {
      const out = await clients.send('ecs', 'DescribeExpressGatewayService', { serviceArn })
      code = (out.service as ECSExpressGatewayService | undefined)?.status?.statusCode
    } catch (err) {
      if (isGone(err)) return
      throw err
    }
    if (code === 'INACTIVE' || code === undefined) return
    if (Date.now() >= deadline) {
      throw new ShipitError('WaitTimeout', `timed out waiting for Express service ${name} to be deleted (still ${code})`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: ['raise --timeout; running destroy again resumes from here'],
      })
    }
    await sleep(polling.intervalMs, signal)
  }
}

/** The waits the Express Mode steps name; part of the fargate target's waiter set. */
export const EXPRESS_DEPLOYED_WAITER = 'EcsExpressServiceDeployed'
export const EXPRESS_DELETED_WAITER = 'EcsExpressServiceDeleted'

export const expressWaiters = { [EXPRESS_DEPLOYED_WAITER]: waitForExpressDeployment, [EXPRESS_DELETED_WAITER]: waitForExpressDeleted }
