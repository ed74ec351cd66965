import type { Service, Task } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName, isNotFound } from '../../aws/errors.js'
import { polling, sleep } from '../../aws/waiters.js'
import { ExitCode, invalid, ShipitError } from '../../errors.js'
import type { Desired } from '../../manifest/resolve.js'
import { PartBuilder } from '../part.js'
import type { ObserveContext, PlanContext, PlanPart, RollbackSupport, RunOptions, RunOutcome } from '../target.js'
import { planNetwork } from './network.js'
import { ecsTags, observeContainer } from './observe.js'
import { ecsTagList, PREVIOUS_TAG, SERVICE_DEPLOYED_WAITER } from './plan.js'
import { CONTAINER_NAME, type LaunchProfile, logStreamOf, STARTED_BY } from './profile.js'
import { revisionOf } from './task-definition.js'

export interface ContainerHistory {
  account?: string
  /** the service as it runs now; null when there is none */
  service: { taskDefinition: string; tags: Record<string, string> } | null
  /** what the running revision records as the one before it (`family:revision`) */
  previous?: string
  /** ACTIVE revisions of the family, ascending */
  revisions: number[]
}

const revisionNumber = (name: string) => Number(name.split(':').pop())

/** `shipit rollback`: move the service back to the revision it ran before the current one, or to --to. */
export const containerRollback: RollbackSupport<ContainerHistory> = {
  async observe(ctx: ObserveContext, desired: Desired): Promise<ContainerHistory> {
    const { clients } = ctx
    const { names } = desired
    const [services, revisions] = await Promise.all([
      clients.send('ecs', 'DescribeServices', { cluster: names.cluster, services: [names.service], include: ['TAGS'] }).catch((err: unknown) => {
        if (isNotFound(err)) return { services: [] }
        throw err
      }),
      listRevisions(clients, names.family),
    ])
    const s = ((services.services ?? []) as Service[]).find((x) => x.status === 'ACTIVE')
    if (!s?.taskDefinition) return { service: null, revisions }
    const current = await clients.send('ecs', 'DescribeTaskDefinition', { taskDefinition: s.taskDefinition, include: ['TAGS'] }).catch(() => undefined)
    const previous = current ? ecsTags(current.tags)[PREVIOUS_TAG] : undefined
    return {
      account: s.serviceArn?.split(':')[4],
      service: { taskDefinition: revisionOf(s.taskDefinition), tags: ecsTags(s.tags) },
      ...(previous ? { previous } : {}),
      revisions,
    }
  },

  plan(desired: Desired, history: ContainerHistory, ctx: PlanContext, to?: string): PlanPart {
    const { names } = desired
    const b = new PartBuilder(desired, ctx)
    if (!history.service) {
      throw new ShipitError('NothingToRollBack', `no service ${names.service} runs in cluster ${names.cluster}: nothing to roll back`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: ['rollback moves a service (mode: service); deploy first'],
      })
    }
    if (!b.owned(history.service.tags) && b.refuse('ecs:service', names.service)) return b.part()
    const current = history.service.taskDefinition
    const listed = history.revisions.map((r) => `${names.family}:${r}`)
    // what the running revision recorded as its predecessor, while it is still ACTIVE; else the closest earlier one
    const recorded = history.previous && listed.includes(history.previous) ? history.previous : undefined
    const wanted = to ? `${names.family}:${revisionNumber(to)}` : (recorded ?? listed.filter((r) => revisionNumber(r) < revisionNumber(current)).pop())
    if (!wanted || wanted === current) {
      throw new ShipitError('NothingToRollBack', `service ${names.service} runs ${current} and there is no earlier revision to roll back to`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: ['pick one with --to REVISION', `ACTIVE revisions: ${listed.join(', ') || 'none'}`],
      })
    }
    if (!listed.includes(wanted)) {
      throw invalid('UnknownRevision', `${wanted} is not an ACTIVE revision of ${names.family}`, [`ACTIVE revisions: ${listed.join(', ') || 'none'}`])
    }
    b.add({
      id: 'service',
      action: 'update',
      resource: { type: 'ecs:service', name: names.service },
      reason: 'roll back',
      changes: [{ path: 'taskDefinition', before: current, after: wanted }],
      request: { service: 'ecs', operation: 'UpdateService', input: { cluster: names.cluster, service: names.service, taskDefinition: wanted } },
      wait: {
        waiter: SERVICE_DEPLOYED_WAITER,
        input: { cluster: names.cluster, service: names.service, taskDefinition: wanted },
        description: `service ${names.service} to finish its deployment of ${wanted}`,
      },
      dependsOn: [],
    })
    return b.part()
  },
}

async function listRevisions(clients: AwsClients, family: string): Promise<number[]> {
  const revisions: number[] = []
  let nextToken: string | undefined
  do {
    const page = await clients.send('ecs', 'ListTaskDefinitions', { familyPrefix: family, status: 'ACTIVE', ...(nextToken ? { nextToken } : {}) })
    for (const arn of (page.taskDefinitionArns ?? []) as string[]) {
      const [fam, rev] = revisionOf(arn).split(':')
      if (fam === family) revisions.push(Number(rev))
    }
    nextToken = page.nextToken
  } while (nextToken)
  return revisions.sort((a, b) => a - b)
}

/** New lines of a task's log stream since `token`; none while the stream does not exist yet. */
async function readStream(clients: AwsClients, logGroup: string, stream: string, token: string | undefined): Promise<{ lines: string[]; token?: string }> {
  try {
    const out = await clients.send('logs', 'GetLogEvents', {
      logGroupName: logGroup,
      logStreamName: stream,
      startFromHead: true,
      ...(token ? { nextToken: token } : {}),
    })
    return { lines: ((out.events ?? []) as { message?: string }[]).map((e) => (e.message ?? '').replace(/\n$/, '')), token: out.nextForwardToken ?? token }
  } catch (err) {
    if (isNotFound(err)) return { lines: [], token }
    throw err
  }
}

/**
 * `shipit run`: one task of the deployed revision, with an optional command, in the app's network;
 * streams its log lines and returns the container's exit code. An interrupted wait leaves the task
 * running and says how to stop it.
 */
export function runFor(profile: LaunchProfile) {
  return async function runContainerTask(ctx: ObserveContext, desired: Desired, options: RunOptions): Promise<RunOutcome> {
    const { clients } = ctx
    const { names } = desired
    const observed = await observeContainer({ ...ctx, command: 'run' }, desired)
    const notDeployed = (what: string) =>
      new ShipitError('NotDeployed', `${what}: deploy first`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: [`shipit deploy --target ${profile.target}`],
      })
    if (!observed.cluster) throw notDeployed(`cluster ${names.cluster} does not exist`)
    if (!observed.taskDefinition) throw notDeployed(`task definition ${names.family} has no ACTIVE revision`)
    // the network the service runs in, else the one a deploy would give the tasks
    const network = observed.service?.network
    let awsvpc = network && { subnets: network.subnets, securityGroups: network.securityGroups, assignPublicIp: network.assignPublicIp }
    if (!awsvpc) {
      const b = new PartBuilder(desired, { region: ctx.region, adopt: false })
      const planned = planNetwork(b, profile, observed.network, false)
      if (b.steps.some((s) => s.request.operation === 'CreateSecurityGroup') || b.blocked.length)
        throw notDeployed(`security group ${names.securityGroup} does not exist`)
      awsvpc = { ...planned.awsvpc, securityGroups: planned.awsvpc.securityGroups as string[] }
    }
    const taskDefinition = `${names.family}:${observed.taskDefinition.revision}`
    const started = await clients.send(
      'ecs',
      'RunTask',
      {
        cluster: names.cluster,
        taskDefinition,
        launchType: profile.launchType,
        count: 1,
        networkConfiguration: { awsvpcConfiguration: awsvpc },
        startedBy: STARTED_BY,
        tags: ecsTagList(desired.tags),
        propagateTags: 'TASK_DEFINITION',
        ...(options.command?.length ? { overrides: { containerOverrides: [{ name: CONTAINER_NAME, command: options.command }] } } : {}),
      },
      options.signal,
    )
    const task = ((started.tasks ?? []) as Task[])[0]
    if (!task?.taskArn) {
      const why = ((started.failures ?? []) as { reason?: string; detail?: string }[])
        .map((f) => `${f.reason ?? 'failure'}${f.detail ? ` (${f.detail})` : ''}`)
        .join('; ')
      return { exitCode: 1, details: { message: `ECS started no task${why ? `: ${why}` : ''}`, failures: started.failures } }
    }
    const taskArn = task.taskArn
    const id = taskArn.split('/').pop()
    const stream = logStreamOf(taskArn)
    const deadline = Date.now() + options.timeoutSeconds * 1000
    let token: string | undefined
    let last: Task | undefined
    const drain = async () => {
      const read = await readStream(clients, names.logGroup, stream, token)
      token = read.token
      for (const line of read.lines) options.onLog?.(line)
    }
    for (;;) {
      if (options.signal?.aborted) {
        throw new ShipitError('Interrupted', `stopped waiting; task ${id} keeps running (aws ecs stop-task --cluster ${names.cluster} --task ${id})`, {
          exitCode: ExitCode.Interrupted,
        })
      }
      const out = await clients.send('ecs', 'DescribeTasks', { cluster: names.cluster, tasks: [taskArn] })
      last = ((out.tasks ?? []) as Task[])[0]
      await drain()
      if (last?.lastStatus === 'STOPPED') break
      if (Date.now() >= deadline) {
        throw new ShipitError('WaitTimeout', `task ${id} still ${last?.lastStatus ?? 'unknown'} after ${options.timeoutSeconds}s; it keeps running`, {
          exitCode: ExitCode.Failure,
          source: 'aws',
          suggestions: [`raise --timeout, or stop it: aws ecs stop-task --cluster ${names.cluster} --task ${id}`],
        })
      }
      await sleep(polling.intervalMs, options.signal)
    }
    // the last lines can reach CloudWatch a moment after the task stopped
    await drain().catch((err: unknown) => {
      if (awsErrorName(err) !== 'ThrottlingException') throw err
    })
    const c = last.containers?.find((x) => x.name === CONTAINER_NAME) ?? last.containers?.[0]
    const details = { taskArn, taskDefinition, stoppedReason: last.stoppedReason, stopCode: last.stopCode, exitCode: c?.exitCode ?? null }
    if (c?.exitCode === undefined) {
      return {
        exitCode: 1,
        details: { ...details, message: `task ${id} stopped before its container ran: ${last.stoppedReason ?? last.stopCode ?? 'no reason given'}` },
      }
    }
    return {
      exitCode: c.exitCode,
      output: `task ${id} (${taskDefinition}) exited with code ${c.exitCode}`,
      details: {
        ...details,
        ...(c.exitCode === 0 ? {} : { message: `task ${id} exited with code ${c.exitCode}${last.stoppedReason ? ` (${last.stoppedReason})` : ''}` }),
      },
    }
  }
}
