import type { FakeContext } from './context.js'
import type { Handlers } from './core.js'

export interface StsState {
  /** ARN returned by GetCallerIdentity; defaults to an IAM user in the fake account. */
  callerArn: string
  userId: string
}

export function createStsState(account: string): StsState {
  return { callerArn: `arn:aws:iam::${account}:user/shipit-test`, userId: 'AIDAFAKEUSER000000001' }
}

export function stsHandlers(ctx: FakeContext): Handlers {
  return {
    GetCallerIdentity: () => ({
      UserId: ctx.state.sts.userId,
      Account: ctx.account,
      Arn: ctx.state.sts.callerArn,
    }),
  }
}
