import type { TargetName } from '../manifest/schema.js'
import type { Target } from './target.js'

/** Targets load on demand: a lambda deploy never imports the container code or client-ec2. */
export async function loadTarget(name: TargetName): Promise<Target<unknown>> {
  switch (name) {
    case 'lambda':
      return (await import('./lambda/index.js')).lambdaTarget as Target<unknown>
    case 'fargate':
      return (await import('./container/index.js')).fargateTarget as Target<unknown>
    case 'ecs':
      return (await import('./container/index.js')).ecsTarget as Target<unknown>
  }
}
