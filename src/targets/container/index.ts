import type { Target } from '../target.js'
import { nothingObserved, observeContainer, type ContainerObserved } from './observe.js'
import { containerOutputs } from './outputs.js'
import { planContainer, planContainerDestroy } from './plan.js'
import { EC2_PROFILE, FARGATE_PROFILE, type LaunchProfile } from './profile.js'
import './waiters.js'

export type { ContainerObserved } from './observe.js'
export { taskPublicIps } from './outputs.js'

/** fargate and ecs are one target with a different launch profile. */
function containerTarget(profile: LaunchProfile): Target<ContainerObserved> {
  return {
    name: profile.target,
    // nothing to build locally: the image is built and pushed by the user's own pipeline
    prepare: async () => ({ artifacts: new Map() }),
    observe: observeContainer,
    nothing: nothingObserved,
    plan: (desired, observed, _prepared, ctx) => planContainer(profile, desired, observed, ctx),
    planDestroy: planContainerDestroy,
    outputs: containerOutputs,
    // the fields whose change makes a saved plan stale; counts of running tasks change all the time and are left out
    fingerprint: (observed) => observed,
  }
}

export const fargateTarget = containerTarget(FARGATE_PROFILE)
export const ecsTarget = containerTarget(EC2_PROFILE)
