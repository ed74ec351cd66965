import { clock } from '../../clock.js'
import { domainNamesOf } from '../../manifest/domain.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import type { LocalOperations } from '../../plan/execute.js'
import { isLocalRequest, type Step } from '../../plan/types.js'
import { noDomain, observeDomain } from '../domain/observe.js'
import { withDomainUrl } from '../domain/outputs.js'
import { buildPlatformOf, checkContainerCli, runContainerOperation } from '../image/index.js'
import { scheduleOutputs } from '../schedule/outputs.js'
import type { Outputs, Prepared, Target } from '../target.js'
import { CONTAINER_CATALOGUE } from './catalogue.js'
import { expressOutputs } from './express.js'
import { withExpressDomain, withFargateDomain } from './express-domain.js'
import { readExpressDeployment } from './express-waiters.js'
import { type ContainerObserved, listedBuildOf, nothingObserved, observeContainer, preparedImageOf } from './observe.js'
import { containerRollback, planOneOffRun } from './operations.js'
import { containerOutputs, taskPublicIps } from './outputs.js'
import { planContainer, planContainerDestroy } from './plan.js'
import { EC2_PROFILE, FARGATE_PROFILE, type LaunchProfile } from './profile.js'

export type { ContainerObserved } from './observe.js'
export { taskPublicIps } from './outputs.js'

/**
 * The runner of a plan's container build and push. The container CLI and its daemon are checked
 * first (for the platform the build targets), before the plan's first AWS change.
 */
async function containerLocalOperations(steps: Step[]): Promise<LocalOperations | undefined> {
  if (!steps.some((s) => isLocalRequest(s.request))) return undefined
  const platform = buildPlatformOf(steps)
  const cli = await checkContainerCli({ crossBuildTo: platform ? (platform.split('/')[1] as 'amd64' | 'arm64') : undefined })
  return async (request, ctx) => ({ ...(await runContainerOperation(request.operation, request.input, { clients: ctx.clients, cli, signal: ctx.signal })) })
}

/** Outputs that need reads: the Express deployment, or the public IPs of a plain Fargate service's tasks. */
async function containerLiveOutputs(
  profile: LaunchProfile,
  clients: Parameters<typeof taskPublicIps>[0],
  desired: ContainerDesired,
  observed: ContainerObserved,
): Promise<Outputs> {
  const express = observed.express?.service
  if (desired.express) {
    if (!express) return {}
    const { deployment } = await readExpressDeployment(clients, express.arn).catch(() => ({ deployment: undefined }))
    if (!deployment) return {}
    const stage = deployment.lifecycleStage ? ` (${deployment.lifecycleStage})` : ''
    return { deployment: `${deployment.status ?? '?'}${stage} ${deployment.targetServiceRevision?.arn?.split('/').pop() ?? ''}`.trim() }
  }
  if (desired.container.mode !== 'service' || profile.target !== 'fargate') return {}
  const ips = await taskPublicIps(clients, desired).catch(() => [])
  return ips.length ? { publicIps: ips } : {}
}

/** fargate and ecs are one target with a different launch profile. */
function containerTarget(profile: LaunchProfile): Target<ContainerObserved, ContainerDesired> {
  return {
    name: profile.target,
    catalogue: CONTAINER_CATALOGUE,
    localOperations: containerLocalOperations,
    // container.image: nothing to build. container.build: the context is listed and checked (exit 3 before any
    // AWS call), then hashed (the image tag) while AWS is read
    prepare: async (desired) => {
      await listedBuildOf(desired)
      return async (): Promise<Prepared> => ({ artifacts: new Map(), image: await preparedImageOf(desired) })
    },
    observe: async (ctx, desired) => {
      const withDomain = profile.target === 'fargate' && domainNamesOf(desired.http).length > 0
      const [observed, domain] = await Promise.all([
        observeContainer(ctx, desired),
        withDomain ? observeDomain(ctx.clients, desired, { apiDomains: false }) : undefined,
      ])
      if (!domain) return observed
      return { ...observed, domain: await withExpressDomain(ctx.clients, domain, observed.express?.service?.revisionArn) }
    },
    nothing: (desired) => ({
      ...nothingObserved(desired),
      ...(profile.target === 'fargate' && domainNamesOf(desired.http).length ? { domain: noDomain(desired) } : {}),
    }),
    plan: (desired, observed, prepared, ctx) =>
      withFargateDomain(planContainer(profile, desired, observed, ctx, prepared), desired, observed.domain, ctx, false),
    planDestroy: (desired, observed, ctx) => withFargateDomain(planContainerDestroy(desired, observed, ctx), desired, observed.domain, ctx, true),
    outputs: (desired, observed, applied) =>
      withDomainUrl(
        {
          ...containerOutputs(desired, observed, applied),
          ...(desired.express && observed.express ? expressOutputs(observed.express, applied) : {}),
          ...scheduleOutputs(desired.schedule, observed.schedule, applied ?? {}, clock.now()),
        },
        observed.domain,
        applied,
      ),
    liveOutputs: (ctx, desired, observed) => containerLiveOutputs(profile, ctx.clients, desired, observed),
    // a registered revision of the family, or an Express service with its URL
    deployed: (observed) => Boolean(observed.taskDefinition || observed.express?.service?.url),
    rollback: containerRollback,
    run: { kind: 'task', plan: planOneOffRun(profile) },
    // a saved plan is stale when what it planned from changed; how many instances a cluster has is not part of that, whether it has any is;
    // task counts of a service change all the time
    fingerprint: (observed) => ({
      ...observed,
      service: observed.service && { ...observed.service, live: undefined },
      cluster: observed.cluster && { ...observed.cluster, containerInstances: observed.cluster.containerInstances > 0 },
      // one-off tasks come and go; the steps they lead to (StopTask on destroy) are compared step by step
      tasks: undefined,
      express: observed.express && { ...observed.express, service: observed.express.service && { ...observed.express.service, live: undefined } },
    }),
  }
}

export const fargateTarget = containerTarget(FARGATE_PROFILE)
export const ecsTarget = containerTarget(EC2_PROFILE)
