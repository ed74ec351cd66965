import { isNotFound } from '../../aws/errors.js'
import { ExitCode, ShipitError } from '../../errors.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import type { ObserveContext, PlanContext, PlanPart, RollbackSupport, RunOptions, RunOutcome } from '../target.js'
import { Lambda } from './catalogue.js'
import { ALIAS, shiftingOf } from './observe.js'

interface LambdaHistory {
  /** from the alias's ARN: the plan header names the account, as a deploy's does */
  account?: string
  alias: { version: string; description?: string; shifting?: { version: string; weight: number } } | null
  /** published versions, oldest first */
  versions: string[]
}

/** The alias description records where it came from, so rollback goes to what was live, not to N − 1. */
export const PREVIOUS_PREFIX = 'shipit: previous version '

function previousFromDescription(description: string | undefined): string | undefined {
  const m = description?.match(/shipit: previous version (\d+)/)
  return m?.[1]
}

export const lambdaRollback: RollbackSupport<LambdaHistory> = {
  async observe(ctx: ObserveContext, desired: LambdaDesired): Promise<LambdaHistory> {
    const name = desired.names.function
    let alias: LambdaHistory['alias'] = null
    let account: string | undefined
    try {
      const a = await ctx.clients.send('lambda', 'GetAlias', { FunctionName: name, Name: ALIAS })
      alias = { version: a.FunctionVersion ?? '', description: a.Description, ...shiftingOf(a.RoutingConfig?.AdditionalVersionWeights) }
      account = a.AliasArn?.split(':')[4]
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    const versions: string[] = []
    if (alias) {
      let Marker: string | undefined
      do {
        const page = await ctx.clients.send('lambda', 'ListVersionsByFunction', { FunctionName: name, ...(Marker ? { Marker } : {}) })
        for (const v of page.Versions ?? []) if (v.Version && v.Version !== '$LATEST') versions.push(v.Version)
        Marker = page.NextMarker
      } while (Marker)
    }
    versions.sort((a, b) => Number(a) - Number(b))
    return { ...(account ? { account } : {}), alias, versions }
  },

  plan(desired: LambdaDesired, history: LambdaHistory, _ctx: PlanContext, to?: string): PlanPart {
    const name = desired.names.function
    if (!history.alias) {
      throw new ShipitError('NothingToRollBack', `${name} has no live alias: nothing is deployed to roll back`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: ['deploy first: shipit deploy --target lambda'],
      })
    }
    const current = history.alias.version
    // mid-release the alias is still on the old version: rolling back is clearing the new one's weight, at once
    if (history.alias.shifting && (to === undefined || to === current)) return rollbackShift(name, current, history.alias.shifting)
    const target = to ?? previousFromDescription(history.alias.description) ?? history.versions.filter((v) => Number(v) < Number(current)).pop()
    if (!target || target === current) {
      throw new ShipitError('NothingToRollBack', `${name}:${ALIAS} is at version ${current} and there is no earlier version to roll back to`, {
        exitCode: ExitCode.Failure,
        source: 'user',
        suggestions: ['pick one with --to VERSION', `versions: ${history.versions.join(', ') || 'none'}`],
      })
    }
    if (!history.versions.includes(target)) {
      throw new ShipitError('UnknownVersion', `version ${target} of ${name} does not exist`, {
        exitCode: ExitCode.Invalid,
        source: 'user',
        suggestions: [`versions: ${history.versions.join(', ')}`],
      })
    }
    return {
      steps: [
        {
          id: 'alias',
          action: 'update',
          resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
          reason: 'roll back',
          changes: [{ path: 'FunctionVersion', before: current, after: target }],
          request: Lambda.UpdateAlias.request({
            FunctionName: name,
            Name: ALIAS,
            FunctionVersion: target,
            Description: `${PREVIOUS_PREFIX}${current} (rollback)`,
          }),
          dependsOn: [],
        },
      ],
      unchanged: [],
      warnings: [],
      blocked: [],
    }
  },
}

/** All traffic back on the version the alias kept during a release: the new version's weight goes. */
function rollbackShift(name: string, current: string, shifting: { version: string; weight: number }): PlanPart {
  const share = Math.round(shifting.weight * 100)
  return {
    steps: [
      {
        id: 'alias',
        action: 'update',
        resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
        reason: `roll back a release: ${share}% of traffic is on version ${shifting.version}`,
        changes: [{ path: 'traffic', before: `${share}% → v${shifting.version}, ${100 - share}% → v${current}`, after: `100% → v${current}` }],
        request: Lambda.UpdateAlias.request({ FunctionName: name, Name: ALIAS, FunctionVersion: current, RoutingConfig: { AdditionalVersionWeights: {} } }),
        dependsOn: [],
      },
    ],
    unchanged: [],
    warnings: [],
    blocked: [],
  }
}

/** Invoke the live alias synchronously; a function error is exit 1 with the function's message. */
export async function invokeLambda(ctx: ObserveContext, desired: LambdaDesired, options: RunOptions): Promise<RunOutcome> {
  const payload = options.payload ?? '{}'
  try {
    JSON.parse(payload)
  } catch {
    throw new ShipitError('InvalidPayload', '--payload is not JSON', {
      exitCode: ExitCode.Invalid,
      source: 'user',
      suggestions: ['e.g. --payload \'{"name":"world"}\''],
    })
  }
  const out = await ctx.clients.send(
    'lambda',
    'Invoke',
    {
      FunctionName: desired.names.function,
      Qualifier: ALIAS,
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
      Payload: new TextEncoder().encode(payload),
    },
    options.signal,
  )
  const body = out.Payload ? new TextDecoder().decode(out.Payload) : ''
  const logs = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : undefined
  if (out.FunctionError) {
    let message = body
    try {
      const err = JSON.parse(body)
      message = `${err.errorType ?? 'Error'}: ${err.errorMessage ?? body}`
    } catch {}
    return { exitCode: 1, output: body, details: { functionError: out.FunctionError, message, logs, version: out.ExecutedVersion } }
  }
  return { exitCode: 0, output: body, details: { statusCode: out.StatusCode, version: out.ExecutedVersion, logs } }
}
