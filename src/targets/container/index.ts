import { ShipitError, ExitCode } from '../../errors.js'
import type { Target } from '../target.js'

const notYet = (name: 'fargate' | 'ecs'): Target<unknown> => {
  const fail = (): never => {
    throw new ShipitError('NotImplemented', `the ${name} target is not built yet`, { exitCode: ExitCode.Invalid, source: 'user', suggestions: ['use --target lambda'] })
  }
  return { name, prepare: fail, observe: fail, nothing: fail, plan: fail, planDestroy: fail, outputs: fail, fingerprint: fail }
}

export const fargateTarget = notYet('fargate')
export const ecsTarget = notYet('ecs')
