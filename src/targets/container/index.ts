import type { ContainerDesired } from '../../manifest/resolve.js'
import type { Target } from '../target.js'
import { type ContainerObserved, nothingObserved, observeContainer } from './observe.js'
import { containerRollback, planOneOffRun } from './operations.js'
import { containerOutputs, taskPublicIps } from './outputs.js'
import { planContainer, planContainerDestroy } from './plan.js'
import { EC2_PROFILE, FARGATE_PROFILE, type LaunchProfile } from './profile.js'
import { containerWaiters } from './waiters.js'

export type { ContainerObserved } from './observe.js'
export { taskPublicIps } from './outputs.js'

/** fargate and ecs are one target with a different launch profile. */
function containerTarget(profile: LaunchProfile): Target<ContainerObserved, ContainerDesired> {
  return {
    name: profile.target,
    waiters: containerWaiters,
    // nothing to build locally: the image is built and pushed by the user's own pipeline
    prepare: async () => async () => ({ artifacts: new Map() }),
    observe: observeContainer,
    nothing: nothingObserved,
    plan: (desired, observed, _prepared, ctx) => planContainer(profile, desired, observed, ctx),
    planDestroy: planContainerDestroy,
    outputs: containerOutputs,
    async liveOutputs(ctx, desired) {
      if (desired.container.mode !== 'service' || profile.target !== 'fargate') return {}
      const ips = await taskPublicIps(ctx.clients, desired).catch(() => [])
      return ips.length ? { publicIps: ips } : {}
    },
    // a saved plan is stale when what it planned from changed; how many instances a cluster has is not part of that, whether it has any is
    rollback: containerRollback,
    planRun: planOneOffRun(profile),
    fingerprint: (observed) => ({
      ...observed,
      service: observed.service && { ...observed.service, live: undefined },
      cluster: observed.cluster && { ...observed.cluster, containerInstances: observed.cluster.containerInstances > 0 },
      // one-off tasks come and go; the steps they lead to (StopTask on destroy) are compared step by step
      tasks: undefined,
    }),
  }
}

export const fargateTarget = containerTarget(FARGATE_PROFILE)
export const ecsTarget = containerTarget(EC2_PROFILE)
