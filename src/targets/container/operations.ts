import type { Service } from '@aws-sdk/client-ecs'
import type { AwsClients } from '../../aws/clients.js'
import { isNotFound } from '../../aws/errors.js'
import { ExitCode, invalid, ShipitError } from '../../errors.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { PartBuilder } from '../part.js'
import type { ObserveContext, PlanContext, PlanPart, RollbackSupport, RunOptions } from '../target.js'
import { Ecs } from './catalogue.js'
import { type AwsVpcConfiguration, planNetwork } from './network.js'
import { type ContainerObserved, ecsTags } from './observe.js'
import { addRunStep, PREVIOUS_TAG } from './plan.js'
import type { LaunchProfile } from './profile.js'
import { revisionOf } from './task-definition.js'
import { SERVICE_DEPLOYED_WAITER } from './waiters.js'

interface ContainerHistory {
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
  async observe(ctx: ObserveContext, desired: ContainerDesired): Promise<ContainerHistory> {
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

  plan(desired: ContainerDesired, history: ContainerHistory, ctx: PlanContext, to?: string): PlanPart {
    const { names } = desired
    const b = new PartBuilder<ContainerDesired>(desired, ctx)
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
      request: Ecs.UpdateService.request({ cluster: names.cluster, service: names.service, taskDefinition: wanted }),
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

/**
 * `shipit run`: one task of the deployed revision, with an optional command, in the app's network,
 * as a plan of one step that the executor runs and waits for (streaming the task's log).
 */
export function planOneOffRun(profile: LaunchProfile) {
  return function planContainerRun(desired: ContainerDesired, observed: ContainerObserved, ctx: PlanContext, options: RunOptions): PlanPart {
    const { names } = desired
    const notDeployed = (what: string) =>
      new ShipitError('NotDeployed', `${what}: deploy first`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: [`shipit deploy --target ${profile.target}`],
      })
    if (!observed.cluster) throw notDeployed(`cluster ${names.cluster} does not exist`)
    if (!observed.taskDefinition) throw notDeployed(`task definition ${names.family} has no ACTIVE revision`)
    const b = new PartBuilder<ContainerDesired>(desired, ctx)
    // the network the service runs in, else the one a deploy would give the tasks
    const network = observed.service?.network
    let awsvpc: AwsVpcConfiguration | undefined = network && {
      subnets: network.subnets,
      securityGroups: network.securityGroups,
      assignPublicIp: network.assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    }
    if (!awsvpc) {
      const planned = planNetwork(new PartBuilder<ContainerDesired>(desired, ctx), profile, observed.network, false)
      if (planned.awsvpc.securityGroups.some((g) => typeof g !== 'string')) throw notDeployed(`security group ${names.securityGroup} does not exist`)
      awsvpc = planned.awsvpc
    }
    addRunStep(b, profile, {
      taskDefinition: `${names.family}:${observed.taskDefinition.revision}`,
      awsvpc,
      count: 1,
      command: options.command,
      prerequisites: [],
    })
    return b.part()
  }
}
