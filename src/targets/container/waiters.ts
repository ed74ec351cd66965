import type { Deployment, Failure, Service, Task } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { isNotFound } from '../../aws/errors.js'
import { polling, sleep, type WaitContext, type WaiterSet } from '../../aws/waiters.js'
import { ExitCode, ShipitError } from '../../errors.js'
import { expressWaiters } from './express-waiters.js'
import { CONTAINER_NAME, logStreamOf } from './profile.js'
import { revisionOf } from './task-definition.js'

export const SERVICE_DEPLOYED_WAITER = 'EcsServiceDeployed'
export const TASKS_STOPPED_WAITER = 'EcsTasksStopped'

/** How many recent service events and log lines a failure shows. */
const EVENTS_SHOWN = 5
const LOG_LINES_SHOWN = 20
/** Polls before a deployment of our revision that is nowhere to be seen counts as rolled back (ECS reads are eventually consistent). */
const GRACE_POLLS = 3

type RolloutVerdict = { state: 'done' } | { state: 'waiting'; status: string } | { state: 'failed'; reason: string; failed?: Deployment }

/**
 * Where the deployment of `taskDefinition` stands. Done only when the PRIMARY deployment runs that
 * revision and its rollout is COMPLETED: after a circuit-breaker rollback the PRIMARY deployment
 * (the rollback) completes too, and that must read as a failure.
 */
export function rolloutVerdict(service: Service, taskDefinition: string, polls = GRACE_POLLS): RolloutVerdict {
  const wanted = revisionOf(taskDefinition)
  const deployments = service.deployments ?? []
  const primary = deployments.find((d) => d.status === 'PRIMARY')
  const ofOurs = deployments.filter((d) => d.taskDefinition && revisionOf(d.taskDefinition) === wanted)
  if (primary?.taskDefinition && revisionOf(primary.taskDefinition) === wanted) {
    if (primary.rolloutState === 'FAILED')
      return { state: 'failed', reason: `the deployment of ${wanted} failed: ${primary.rolloutStateReason ?? 'no reason given'}`, failed: primary }
    const draining = deployments.filter((d) => d !== primary && d.rolloutState !== 'FAILED' && (d.runningCount ?? 0) > 0)
    const running = primary.runningCount ?? 0
    const desired = primary.desiredCount ?? 0
    if (primary.rolloutState === 'COMPLETED' && running >= desired && draining.length === 0) return { state: 'done' }
    return { state: 'waiting', status: `${primary.rolloutState ?? 'IN_PROGRESS'}, ${running}/${desired} tasks running` }
  }
  const failed = ofOurs.find((d) => d.rolloutState === 'FAILED')
  if (failed || (ofOurs.length === 0 && polls >= GRACE_POLLS)) {
    const back = primary?.taskDefinition ? ` back to ${revisionOf(primary.taskDefinition)}` : ''
    return {
      state: 'failed',
      reason: `ECS rolled the deployment of ${wanted}${back}${failed?.rolloutStateReason ? `: ${failed.rolloutStateReason}` : ''}`,
      failed,
    }
  }
  return { state: 'waiting', status: 'the new deployment is not visible yet' }
}

function eventLines(service: Service | undefined): string[] {
  return (service?.events ?? [])
    .slice(0, EVENTS_SHOWN)
    .map((e) => `${e.createdAt instanceof Date ? e.createdAt.toISOString() : (e.createdAt ?? '')} ${e.message ?? ''}`.trim())
}

function interrupted(what: string): ShipitError {
  return new ShipitError('Interrupted', `interrupted while waiting for ${what}`, { exitCode: ExitCode.Interrupted })
}

/** Why the tasks of a failed deployment stopped, in ECS's words (best effort). */
async function stoppedTasksOf(clients: AwsClients, cluster: string, service: string, deploymentId: string | undefined): Promise<string[]> {
  if (!deploymentId) return []
  try {
    // startedBy (the deployment id) cannot be combined with other ListTasks filters: list the service's stopped tasks, then match
    const list = await clients.send('ecs', 'ListTasks', { cluster, serviceName: service, desiredStatus: 'STOPPED' })
    const arns: string[] = (list.taskArns ?? []).slice(0, 100)
    if (!arns.length) return []
    const out = await clients.send('ecs', 'DescribeTasks', { cluster, tasks: arns })
    return ((out.tasks ?? []) as Task[])
      .filter((t) => t.startedBy === deploymentId)
      .slice(0, 3)
      .map((t) => {
        const c = t.containers?.find((x) => x.name === CONTAINER_NAME) ?? t.containers?.[0]
        const code = c?.exitCode === undefined ? '' : `, exit code ${c.exitCode}`
        return `task ${t.taskArn?.split('/').pop()}: ${t.stoppedReason ?? t.stopCode ?? 'stopped'}${code}${c?.reason ? ` (${c.reason})` : ''}`
      })
  } catch {
    return []
  }
}

/** Waits until a service's deployment of a revision is COMPLETED; fails when ECS rolled it back or it failed. */
async function waitForServiceDeployment(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const { deadline, signal } = wait
  const cluster = String(input.cluster)
  const name = String(input.service)
  const taskDefinition = String(input.taskDefinition)
  let last: Service | undefined
  let status = 'not read yet'
  for (let polls = 1; ; polls++) {
    if (signal?.aborted) throw interrupted(`service ${name}`)
    const out = await clients.send('ecs', 'DescribeServices', { cluster, services: [name] })
    last = ((out.services ?? []) as Service[])[0]
    if (last?.status !== 'ACTIVE') {
      throw new ShipitError('ServiceGone', `service ${name} is ${last?.status ?? 'missing'} while its deployment was awaited (deleted meanwhile?)`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
      })
    }
    const verdict = rolloutVerdict(last, taskDefinition, polls)
    if (verdict.state === 'done') return
    if (verdict.state === 'failed') {
      const events = eventLines(last)
      const tasks = await stoppedTasksOf(clients, cluster, name, verdict.failed?.id)
      const lines = [`service ${name}: ${verdict.reason}`]
      if (tasks.length) lines.push('  stopped tasks:', ...tasks.map((t) => `    ${t}`))
      if (events.length) lines.push('  latest service events:', ...events.map((e) => `    ${e}`))
      throw new ShipitError('DeploymentFailed', lines.join('\n'), {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: [`look at the logs: shipit logs --since 15m`, 'fix app.yaml (image, command, health check, port) and deploy again'],
        details: {
          service: name,
          taskDefinition: revisionOf(taskDefinition),
          rolloutState: verdict.failed?.rolloutState,
          rolloutStateReason: verdict.failed?.rolloutStateReason,
          stoppedTasks: tasks,
          events,
        },
      })
    }
    status = verdict.status
    wait.progress?.(status)
    if (Date.now() >= deadline) {
      const events = eventLines(last)
      throw new ShipitError(
        'WaitTimeout',
        [
          `timed out waiting for service ${name} to deploy ${revisionOf(taskDefinition)} (${status})`,
          ...(events.length ? ['  latest service events:', ...events.map((e) => `    ${e}`)] : []),
        ].join('\n'),
        {
          exitCode: ExitCode.Failure,
          source: 'aws',
          suggestions: ['raise --timeout, or look at the service events in the ECS console; running the deploy again resumes from here'],
        },
      )
    }
    await sleep(polling.intervalMs, signal)
  }
}

interface TaskResult {
  taskArn: string
  /** the app container's exit code; undefined when it never ran */
  exitCode?: number
  stoppedReason?: string
  stopCode?: string
  containerReason?: string
}

function resultOf(t: Task, container: string): TaskResult {
  const c = t.containers?.find((x) => x.name === container) ?? t.containers?.[0]
  return {
    taskArn: t.taskArn ?? '',
    ...(c?.exitCode === undefined ? {} : { exitCode: c.exitCode }),
    ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stopCode ? { stopCode: t.stopCode } : {}),
    ...(c?.reason ? { containerReason: c.reason } : {}),
  }
}

async function lastLogLines(clients: AwsClients, logGroup: string, stream: string): Promise<string[]> {
  try {
    const out = await clients.send('logs', 'GetLogEvents', { logGroupName: logGroup, logStreamName: stream, startFromHead: false, limit: LOG_LINES_SHOWN })
    return ((out.events ?? []) as { message?: string }[]).map((e) => (e.message ?? '').replace(/\n$/, ''))
  } catch {
    return []
  }
}

/**
 * Waits until the tasks RunTask started have stopped. Fails, with the stopped reason, the exit code
 * and the last log lines, when a task's container did not exit with 0; `details.exitCode` carries
 * the code for `shipit run` to exit with.
 */
async function waitForTasksToStop(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const { deadline, signal } = wait
  const cluster = String(input.cluster)
  const logGroup = String(input.logGroup)
  // the app's container: `Main` in an Express service's task definition
  const container = typeof input.container === 'string' ? input.container : CONTAINER_NAME
  const started = (input.tasks ?? []) as Task[]
  const failures = (input.failures ?? []) as Failure[]
  const arns = started.map((t) => t.taskArn).filter((a): a is string => Boolean(a))
  if (!arns.length) {
    const why = failures.map((f) => `${f.reason ?? 'failure'}${f.detail ? ` (${f.detail})` : ''}${f.arn ? ` on ${f.arn}` : ''}`).join('; ')
    throw new ShipitError('TaskNotStarted', `ECS started no task${why ? `: ${why}` : ''}`, { exitCode: ExitCode.Failure, source: 'aws', details: { failures } })
  }
  let tasks: Task[] = []
  const since = Date.now()
  const logs = wait.log && arns.length === 1 ? new LogTail(clients, logGroup, logStreamOf(arns[0], container), wait.log) : undefined
  for (;;) {
    if (signal?.aborted) {
      await stopTasks(clients, cluster, arns, 'interrupted (shipit)')
      throw new ShipitError(
        'Interrupted',
        `interrupted: stopped ${arns.length === 1 ? `task ${arns[0].split('/').pop()}` : `${arns.length} tasks`} it had started`,
        {
          exitCode: ExitCode.Interrupted,
          details: { stoppedTasks: arns },
        },
      )
    }
    const out = await clients.send('ecs', 'DescribeTasks', { cluster, tasks: arns })
    tasks = out.tasks ?? []
    await logs?.drain().catch(() => undefined)
    wait.progress?.(`${[...new Set(tasks.map((t) => t.lastStatus ?? 'PENDING'))].join('/')}, ${Math.round((Date.now() - since) / 1000)} s`)
    if (tasks.length === arns.length && tasks.every((t) => t.lastStatus === 'STOPPED')) break
    if (Date.now() >= deadline) {
      const states = tasks.map((t) => `${t.taskArn?.split('/').pop()} ${t.lastStatus}`).join(', ')
      throw new ShipitError('WaitTimeout', `timed out waiting for the tasks to stop (${states}); they keep running`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
        suggestions: ['raise --timeout; stop them with aws ecs stop-task, or shipit destroy'],
      })
    }
    await sleep(polling.intervalMs, signal)
  }
  // the last lines can reach CloudWatch a moment after the task stopped
  await logs?.drain().catch(() => undefined)
  const results = tasks.map((t) => resultOf(t, container))
  const failed = results.filter((r) => r.exitCode !== 0)
  if (!failed.length) return
  const first = failed[0]
  const id = first.taskArn.split('/').pop()
  const stream = logStreamOf(first.taskArn, container)
  const logLines = await lastLogLines(clients, logGroup, stream)
  const reason = [first.stoppedReason, first.containerReason].filter(Boolean).join(': ')
  const head =
    first.exitCode === undefined
      ? `task ${id} stopped before its container ran${reason ? `: ${reason}` : ''}`
      : `task ${id} exited with code ${first.exitCode}${reason ? ` (${reason})` : ''}`
  const lines = [`${head}${failed.length > 1 ? `; ${failed.length - 1} more of ${results.length} tasks failed` : ''}`]
  if (logLines.length) lines.push(`  last log lines (${logGroup}, ${stream}):`, ...logLines.map((l) => `    ${l}`))
  throw new ShipitError('TaskFailed', lines.join('\n'), {
    exitCode: ExitCode.Failure,
    source: 'aws',
    suggestions: first.exitCode === undefined ? ['check the image name, the execution role and the network (a public IP or a NAT to pull the image)'] : [],
    details: {
      exitCode: first.exitCode ?? null,
      stoppedReason: first.stoppedReason,
      stopCode: first.stopCode,
      taskArn: first.taskArn,
      logLines,
      tasks: results,
    },
  })
}

/** Stops tasks shipit started, with its own signal gone (the apply's was aborted); best effort. */
async function stopTasks(clients: AwsClients, cluster: string, arns: string[], reason: string): Promise<void> {
  await Promise.all(arns.map((task) => clients.send('ecs', 'StopTask', { cluster, task, reason }).catch(() => undefined)))
}

/** New lines of one task's log stream, read from where the last read ended. */
class LogTail {
  private token: string | undefined
  constructor(
    private readonly clients: AwsClients,
    private readonly logGroup: string,
    private readonly stream: string,
    private readonly emit: (line: string) => void,
  ) {}

  async drain(): Promise<void> {
    try {
      const out = await this.clients.send('logs', 'GetLogEvents', {
        logGroupName: this.logGroup,
        logStreamName: this.stream,
        startFromHead: true,
        ...(this.token ? { nextToken: this.token } : {}),
      })
      for (const e of out.events ?? []) this.emit((e.message ?? '').replace(/\n$/, ''))
      this.token = out.nextForwardToken ?? this.token
    } catch (err) {
      // the stream does not exist until the container writes its first line
      if (!isNotFound(err)) throw err
    }
  }
}

/** The waits the container targets' steps name, given to the executor. */
export const containerWaiters: WaiterSet = {
  custom: { [SERVICE_DEPLOYED_WAITER]: waitForServiceDeployment, [TASKS_STOPPED_WAITER]: waitForTasksToStop, ...expressWaiters },
  explain: {},
}
