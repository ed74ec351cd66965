export { type ObservedRole, SECRETS_POLICY_NAME } from '../iam-role.js'

import type { Api } from '@aws-sdk/client-apigatewayv2'
import type { FunctionCodeLocation, FunctionConfiguration } from '@aws-sdk/client-lambda'
import type { AwsClients } from '../../aws/clients.js'
import { orNullIfMissing } from '../../aws/errors.js'
import { ExitCode, ShipitError } from '../../errors.js'
import { ownedBy } from '../../manifest/names.js'
import { releasePlan } from '../../manifest/release.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import type { DomainObserved } from '../domain/observe.js'
import { type ObservedRole, observeRole } from '../iam-role.js'
import type { ObservedEcr } from '../image/ecr.js'
import { type ObservedLogGroup, observeLogGroup } from '../log-group.js'
import { type ObservedSchedule, observeSchedule } from '../schedule/observe.js'
import { observeSecrets, type TrackedSecret } from '../secret-versions.js'
import { hiddenLiveKeys, SENSITIVE_KEYS_VARIABLE } from '../sensitive-keys.js'
import { type CallerIdentity, type ObserveContext, partitionOfArn } from '../target.js'
import { type ObservedArtifactStore, observeArtifactStore, storeLocation } from './artifacts.js'

/** The parts of a function's configuration that shipit manages and diffs. */
export interface FunctionConfig {
  PackageType?: string
  /** an image function's image, as given (GetFunction's Code.ImageUri) */
  ImageUri?: string
  ImageConfig?: { Command?: string[]; EntryPoint?: string[] }
  Runtime?: string
  Handler?: string
  MemorySize?: number
  Timeout?: number
  Role?: string
  Architectures?: string[]
  Environment?: Record<string, string>
  LogGroup?: string
  CodeSha256?: string
  /** layer ARNs (the secrets extension's, when shipit added it) */
  Layers?: string[]
}

export interface ObservedFunction {
  arn: string
  /** function.reservedConcurrency as live (GetFunction's Concurrency); undefined: none reserved */
  reservedConcurrency?: number
  revisionId?: string
  config: FunctionConfig
  tags: Record<string, string>
  /** live variables whose values are never shown: secret when deployed (its record), or unknown (src/targets/sensitive-keys.ts) */
  hiddenKeys?: string[]
}

export interface ObservedAlias {
  version: string
  /** the alias's RevisionId (GetAlias): UpdateAlias carries it, so a concurrent deploy fails instead of mixing */
  revisionId?: string
  /** configuration of the version the alias points to */
  config: FunctionConfig
  /** a release under way (or left by one): the other version the alias sends traffic to, and its share (0–1) */
  shifting?: { version: string; weight: number }
}

export interface ObservedApi {
  id: string
  endpoint: string
  tags: Record<string, string>
  cors?: Record<string, unknown>
  integrations: { id: string; type?: string; uri?: string; payloadFormatVersion?: string }[]
  routes: { id: string; key: string; target?: string }[]
  stage?: { autoDeploy: boolean }
}

export interface LambdaObserved {
  account?: string
  /** the account's partition, from the function's or the caller's ARN */
  partition?: string
  role: ObservedRole | null
  logGroup: ObservedLogGroup | null
  function: ObservedFunction | null
  alias: ObservedAlias | null
  /** the invoke permission statement for API Gateway on the alias */
  permission: { sourceArn?: string } | null
  api: ObservedApi | null
  /** more APIs with our name that are not ours (no shipit tags), besides `api` */
  foreignApis: string[]
  /** more APIs of ours (a CreateApi whose answer was lost, then retried): deleted by the next deploy */
  duplicateApis: string[]
  /** the S3 bucket packages go through and this app's packages in it; null when not read (the package goes in the request) */
  artifacts: ObservedArtifactStore | null
  /** deploy: the secrets tracked by version, as read (src/targets/secret-versions.ts) */
  secrets?: TrackedSecret[]
  /** http.domain: certificate, zones, records and API Gateway domain names (src/targets/domain/) */
  domain?: DomainObserved
  /** `schedule:` (or one left from an earlier deploy): its group, schedule and role; absent offline */
  schedule?: ObservedSchedule
  /** an image function: the app's ECR repository and whether the image (by its tag) is in it */
  ecr?: ObservedEcr
}

export const ALIAS = 'live'
export const PERMISSION_SID = 'shipit-apigateway-invoke'

export function configOf(c: FunctionConfiguration | undefined, code?: FunctionCodeLocation): FunctionConfig {
  const imageConfig = c?.ImageConfigResponse?.ImageConfig
  return {
    ...(c?.PackageType ? { PackageType: c.PackageType } : {}),
    ...(code?.ImageUri ? { ImageUri: code.ImageUri } : {}),
    ...(imageConfig && (imageConfig.Command || imageConfig.EntryPoint)
      ? {
          ImageConfig: {
            ...(imageConfig.Command ? { Command: imageConfig.Command } : {}),
            ...(imageConfig.EntryPoint ? { EntryPoint: imageConfig.EntryPoint } : {}),
          },
        }
      : {}),
    Runtime: c?.Runtime,
    Handler: c?.Handler,
    MemorySize: c?.MemorySize,
    Timeout: c?.Timeout,
    Role: c?.Role,
    Architectures: c?.Architectures,
    Environment: c?.Environment?.Variables ?? {},
    LogGroup: c?.LoggingConfig?.LogGroup,
    CodeSha256: c?.CodeSha256,
    Layers: (c?.Layers ?? []).flatMap((l) => (l.Arn ? [l.Arn] : [])),
  }
}

/** Read what exists for this app and env. Only Get/List/Describe calls; independent reads run at once. */
export async function observeLambda(ctx: ObserveContext, desired: LambdaDesired, options: { artifacts?: boolean } = {}): Promise<LambdaObserved> {
  const { clients } = ctx
  const names = desired.names

  const [fn, aliasFn, alias, policy, role, logGroup, apis, secrets, caller, schedule] = await Promise.all([
    orNullIfMissing(clients.send('lambda', 'GetFunction', { FunctionName: names.function })),
    orNullIfMissing(clients.send('lambda', 'GetFunction', { FunctionName: names.function, Qualifier: ALIAS })),
    orNullIfMissing(clients.send('lambda', 'GetAlias', { FunctionName: names.function, Name: ALIAS })),
    orNullIfMissing(clients.send('lambda', 'GetPolicy', { FunctionName: names.function, Qualifier: ALIAS })),
    // the secrets policy is read when app.yaml has secrets, or to destroy it (a deploy does not look for one left by removed secrets)
    desired.function?.role
      ? Promise.resolve(null)
      : observeRole(clients, names.lambdaRole, ctx.command === undefined || ctx.command === 'destroy' || Object.keys(desired.secrets).length > 0),
    observeLogGroup(clients, names.logGroup, ctx.command === 'deploy' ? desired.logRetentionDays : undefined),
    observeApis(clients, desired),
    // a deploy (and its plan) reads the versions of the secrets; a missing one stops it here
    ctx.command === 'deploy' ? observeSecrets(clients, desired, ctx) : Promise.resolve(undefined),
    // beside the reads, not after them: one read more on a redeploy (the function's ARN names the
    // account), one round trip less on every fresh deploy, whose every later step waits for the plan
    ctx.account ? Promise.resolve(undefined) : callerIdentity(clients, ctx.caller),
    observeSchedule(clients, desired, ctx.command),
    ctx.command === 'deploy' ? checkReleaseAlarms(clients, desired) : undefined,
  ])

  const fnArn = fn?.Configuration?.FunctionArn
  const account = ctx.account ?? fnArn?.split(':')[4] ?? caller?.account ?? ''
  const partition = partitionOfArn(fnArn ?? caller?.arn)
  const statement = policy ? findStatement(policy.Policy) : undefined
  const artifacts = options.artifacts
    ? await observeArtifactStore(clients, storeLocation(desired, account, ctx.region), desired, ctx.command === 'destroy')
    : null
  return {
    account,
    ...(partition ? { partition } : {}),
    role,
    logGroup,
    function: fn && {
      arn: fn.Configuration?.FunctionArn ?? '',
      revisionId: fn.Configuration?.RevisionId,
      ...(fn.Concurrency?.ReservedConcurrentExecutions !== undefined ? { reservedConcurrency: fn.Concurrency.ReservedConcurrentExecutions } : {}),
      config: configOf(fn.Configuration, fn.Code),
      tags: fn.Tags ?? {},
      hiddenKeys: hiddenKeysOf(desired, fn.Configuration?.Environment?.Variables ?? {}, ctx.showUndeclared),
    },
    alias: aliasFn && {
      version: aliasFn.Configuration?.Version ?? '',
      ...(alias?.RevisionId ? { revisionId: alias.RevisionId } : {}),
      config: configOf(aliasFn.Configuration, aliasFn.Code),
      ...shiftingOf(alias?.RoutingConfig?.AdditionalVersionWeights),
    },
    permission: statement ? { sourceArn: statement.Condition?.ArnLike?.['AWS:SourceArn'] } : null,
    api: apis.ours,
    foreignApis: apis.foreign,
    duplicateApis: apis.duplicates,
    artifacts,
    ...(secrets ? { secrets } : {}),
    schedule,
  }
}

/**
 * The alarms a gradual release watches must exist: a misspelt name would watch nothing and let any
 * release through. A plan error (exit 1) naming them, before anything changes.
 */
async function checkReleaseAlarms(clients: AwsClients, desired: LambdaDesired): Promise<void> {
  const release = releasePlan(desired.function.release)
  if (release.strategy === 'all-at-once' || release.alarms.length === 0) return
  const answer = await clients.send('cloudwatch', 'DescribeAlarms', { AlarmNames: release.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
  const found = new Set([...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])].map((a) => a.AlarmName))
  const missing = release.alarms.filter((name) => !found.has(name))
  if (missing.length === 0) return
  throw new ShipitError('AlarmNotFound', `function.release.alarms: no CloudWatch alarm ${missing.join(', ')} in this region`, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: ['create the alarm first (aws cloudwatch put-metric-alarm), or fix its name in app.yaml'],
  })
}

/** The one additional version of a weighted alias, if any. */
export function shiftingOf(weights: Record<string, number> | undefined): { shifting?: { version: string; weight: number } } {
  const [entry] = Object.entries(weights ?? {})
  return entry ? { shifting: { version: entry[0], weight: entry[1] } } : {}
}

function hiddenKeysOf(desired: LambdaDesired, live: Record<string, string>, showUndeclared?: boolean): string[] {
  return [...hiddenLiveKeys(desired, live, live[SENSITIVE_KEYS_VARIABLE], { showUndeclared })].sort()
}

/** The caller's account and ARN (whose partition is the account's). */
async function callerIdentity(clients: AwsClients, shared?: () => Promise<CallerIdentity>): Promise<{ account: string; arn?: string }> {
  const id = await (shared ? shared() : clients.send('sts', 'GetCallerIdentity', {}))
  return { account: id.Account ?? '', ...(id.Arn ? { arn: id.Arn } : {}) }
}

function findStatement(policy: string | undefined): { Condition?: { ArnLike?: Record<string, string> } } | undefined {
  try {
    const doc = JSON.parse(policy ?? '{}')
    return (doc.Statement ?? []).find((s: { Sid?: string }) => s.Sid === PERMISSION_SID)
  } catch {
    return undefined
  }
}

async function observeApis(clients: AwsClients, desired: LambdaDesired): Promise<{ ours: ObservedApi | null; foreign: string[]; duplicates: string[] }> {
  const matches: (Api & { ApiId: string })[] = []
  let NextToken: string | undefined
  do {
    const page = await clients.send('apigatewayv2', 'GetApis', { MaxResults: '500', ...(NextToken ? { NextToken } : {}) })
    for (const item of page.Items ?? []) if (item.Name === desired.names.api && item.ApiId) matches.push({ ...item, ApiId: item.ApiId })
    NextToken = page.NextToken
  } while (NextToken)
  const oldestFirst = (a: Api & { ApiId: string }, b: Api & { ApiId: string }) =>
    String(a.CreatedDate ?? '').localeCompare(String(b.CreatedDate ?? '')) || a.ApiId.localeCompare(b.ApiId)
  const owned = matches.filter((a) => ownedBy(a.Tags, desired.app, desired.env)).sort(oldestFirst)
  const others = matches.filter((a) => !owned.includes(a)).sort(oldestFirst)
  // more than one of ours (a CreateApi whose answer was lost, then a re-run) converges on the oldest;
  // with none of ours, the oldest with our name is read too: the planner refuses it, or --adopt takes it over
  const api = owned[0] ?? others[0]
  const duplicates = owned.slice(1).map((a) => a.ApiId)
  const foreign = others.filter((a) => a !== api).map((a) => a.ApiId)
  if (!api) return { ours: null, foreign, duplicates }
  const [integrations, routes, stage] = await Promise.all([
    clients.send('apigatewayv2', 'GetIntegrations', { ApiId: api.ApiId }),
    clients.send('apigatewayv2', 'GetRoutes', { ApiId: api.ApiId }),
    orNullIfMissing(clients.send('apigatewayv2', 'GetStage', { ApiId: api.ApiId, StageName: '$default' })),
  ])
  return {
    ours: {
      id: api.ApiId,
      endpoint: api.ApiEndpoint ?? '',
      tags: api.Tags ?? {},
      cors: api.CorsConfiguration as Record<string, unknown> | undefined,
      integrations: (integrations.Items ?? []).map((i) => ({
        id: i.IntegrationId ?? '',
        type: i.IntegrationType,
        uri: i.IntegrationUri,
        payloadFormatVersion: i.PayloadFormatVersion,
      })),
      routes: (routes.Items ?? []).map((r) => ({ id: r.RouteId ?? '', key: r.RouteKey ?? '', target: r.Target })),
      stage: stage ? { autoDeploy: Boolean(stage.AutoDeploy) } : undefined,
    },
    foreign,
    duplicates,
  }
}
