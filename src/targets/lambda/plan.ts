import { canonicalJson, sha256Hex } from '../../digest.js'
import { ownedBy } from '../../manifest/names.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import { type Artifact, type FieldChange, type Ref, type Sensitive, type Step, sensitiveValue, type Unchanged } from '../../plan/types.js'
import { NOT_OURS } from '../part.js'
import { ACCOUNT_PLACEHOLDER, type Blocked, type PlanContext, type PlanPart, type Prepared, partition, tagList } from '../target.js'
import { logGroupDeleteStep, roleDeleteSteps } from '../teardown.js'
import { ALIAS, type FunctionConfig, type LambdaObserved, PERMISSION_SID, SECRETS_POLICY_NAME } from './observe.js'
import { PREVIOUS_PREFIX } from './operations.js'

export const BASIC_EXECUTION_POLICY = (region: string) => `arn:${partition(region)}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})
export { SECRETS_POLICY_NAME }

/** How long a new IAM role may take to become assumable by Lambda. */
const ROLE_PROPAGATION_SECONDS = 90

const ref = (step: string, output: string, format?: string): Ref => (format ? { ref: step, output, format } : { ref: step, output })

/** Environment variables as the function gets them; secret values travel as markers. */
export function desiredEnvironment(desired: LambdaDesired): Record<string, string | Sensitive> {
  const vars: Record<string, string | Sensitive> = {}
  for (const [k, v] of Object.entries(desired.environment)) vars[k] = v.secret ? sensitiveValue(k, v.value) : v.value
  for (const [k, arn] of Object.entries(desired.secrets)) vars[`SHIPIT_SECRET_${k}`] = arn
  return vars
}

interface DesiredFunction {
  Runtime: string
  Handler: string
  MemorySize: number
  Timeout: number
  Role: string | Ref
  Architectures: string[]
  Environment: Record<string, string | Sensitive>
  LogGroup: string
}

const CONFIG_FIELDS = ['Runtime', 'Handler', 'MemorySize', 'Timeout', 'Role', 'LogGroup'] as const

function envEqual(observed: Record<string, string> | undefined, desired: Record<string, string | Sensitive>): boolean {
  const o = observed ?? {}
  const keys = new Set([...Object.keys(o), ...Object.keys(desired)])
  for (const k of keys) {
    const d = desired[k]
    if (d === undefined || o[k] === undefined) return false
    if (typeof d === 'string' ? d !== o[k] : d.sha256 !== sha256Hex(o[k])) return false
  }
  return true
}

function envChanges(observed: Record<string, string> | undefined, desired: Record<string, string | Sensitive>, secretKeys: Set<string>): FieldChange[] {
  const o = observed ?? {}
  const changes: FieldChange[] = []
  for (const k of [...new Set([...Object.keys(o), ...Object.keys(desired)])].sort()) {
    const d = desired[k]
    const before = o[k] === undefined ? undefined : secretKeys.has(k) ? { sensitive: k, sha256: '' } : o[k]
    if (d === undefined) changes.push({ path: `Environment.${k}`, before })
    else if (o[k] === undefined) changes.push({ path: `Environment.${k}`, after: d })
    else if (typeof d === 'string' ? d !== o[k] : d.sha256 !== sha256Hex(o[k])) changes.push({ path: `Environment.${k}`, before, after: d })
  }
  return changes
}

/** Field-level differences of the configuration UpdateFunctionConfiguration changes. */
function configChanges(observed: FunctionConfig, desired: DesiredFunction): FieldChange[] {
  const changes: FieldChange[] = []
  for (const f of CONFIG_FIELDS) {
    const d = desired[f]
    if (typeof d === 'object') continue // a role being created now: the function is new too
    if (observed[f] !== d) changes.push({ path: f === 'LogGroup' ? 'LoggingConfig.LogGroup' : f, before: observed[f], after: d })
  }
  return changes
}

/** Does a published version (what `live` serves) match the function as desired? */
function versionMatches(config: FunctionConfig, desired: DesiredFunction, codeSha256: string): boolean {
  return (
    config.CodeSha256 === codeSha256 &&
    configChanges(config, desired).length === 0 &&
    envEqual(config.Environment, desired.Environment) &&
    (config.Architectures ?? ['x86_64'])[0] === desired.Architectures[0]
  )
}

export function planLambda(desired: LambdaDesired, observed: LambdaObserved, prepared: Prepared, ctx: PlanContext): PlanPart {
  const fnSpec = desired.function
  if (!fnSpec) throw new Error('lambda target without a function section')
  const { names, tags } = desired
  const region = ctx.region
  const account = ctx.account ?? observed.account ?? ACCOUNT_PLACEHOLDER
  const steps: Step[] = []
  const unchanged: Unchanged[] = []
  const warnings: string[] = []
  const blocked: Blocked[] = []
  const owned = (t: Record<string, string> | undefined) => ownedBy(t, desired.app, desired.env)
  const notOurs = (type: string, name: string) => {
    if (ctx.adopt) return false
    blocked.push({ resource: { type, name }, reason: NOT_OURS })
    return true
  }
  const secretKeys = new Set(
    Object.entries(desired.environment)
      .filter(([, v]) => v.secret)
      .map(([k]) => k),
  )
  const artifactEntry = prepared.artifacts.get('function')
  if (!artifactEntry) throw new Error('function zip was not prepared')
  const artifact: Artifact = artifactEntry.artifact
  const codeSha256 = Buffer.from(artifact.sha256, 'hex').toString('base64')

  // ---- execution role ------------------------------------------------------------------------
  let roleArn: string | Ref
  const roleDeps: string[] = []
  let roleIsNew = false
  if (fnSpec.role) {
    roleArn = fnSpec.role
  } else if (!observed.role) {
    roleIsNew = true
    roleArn = ref('role', 'Role.Arn')
    steps.push({
      id: 'role',
      action: 'create',
      resource: { type: 'iam:role', name: names.lambdaRole },
      reason: 'execution role of the function',
      changes: [{ path: 'AssumeRolePolicyDocument', after: 'lambda.amazonaws.com may assume it' }],
      request: {
        service: 'iam',
        operation: 'CreateRole',
        input: {
          RoleName: names.lambdaRole,
          AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
          Description: `Execution role of the Lambda function ${names.function}, managed by shipit`,
          Tags: tagList(tags),
        },
      },
      dependsOn: [],
    })
    roleDeps.push('role')
  } else {
    roleArn = observed.role.arn
    const ours = owned(observed.role.tags)
    if (ours || !notOurs('iam:role', names.lambdaRole)) {
      if (!ours)
        steps.push(
          adoptStep('role-tags', 'iam:role', names.lambdaRole, {
            service: 'iam',
            operation: 'TagRole',
            input: { RoleName: names.lambdaRole, Tags: tagList(tags) },
          }),
        )
      unchanged.push({ resource: { type: 'iam:role', name: names.lambdaRole } })
    }
  }
  if (!fnSpec.role) {
    const policy = BASIC_EXECUTION_POLICY(region)
    if (!observed.role?.attachedPolicies.includes(policy)) {
      steps.push({
        id: 'role-policy',
        action: 'create',
        resource: { type: 'iam:role-policy-attachment', name: `${names.lambdaRole}/AWSLambdaBasicExecutionRole` },
        reason: 'lets the function write its logs',
        request: { service: 'iam', operation: 'AttachRolePolicy', input: { RoleName: names.lambdaRole, PolicyArn: policy } },
        dependsOn: roleIsNew ? ['role'] : [],
      })
      roleDeps.push('role-policy')
    }
    const secretArns = Object.values(desired.secrets)
    // the inline policy as observed: a string or null when read, undefined when not known (then it is always written)
    const observedSecrets = observed.role?.secretsPolicy
    if (secretArns.length) {
      const document = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters', 'secretsmanager:GetSecretValue'], Resource: secretArns.sort() }],
      })
      if (observedSecrets !== canonicalJson(JSON.parse(document))) {
        steps.push({
          id: 'role-secrets',
          action: observedSecrets ? 'update' : 'create',
          resource: { type: 'iam:role-policy', name: `${names.lambdaRole}/${SECRETS_POLICY_NAME}` },
          reason: 'lets the function read its secrets',
          request: {
            service: 'iam',
            operation: 'PutRolePolicy',
            input: { RoleName: names.lambdaRole, PolicyName: SECRETS_POLICY_NAME, PolicyDocument: document },
          },
          dependsOn: roleIsNew ? ['role'] : [],
        })
      }
    } else if (observedSecrets) {
      steps.push({
        id: 'role-secrets',
        action: 'delete',
        resource: { type: 'iam:role-policy', name: `${names.lambdaRole}/${SECRETS_POLICY_NAME}` },
        reason: 'no secrets any more',
        request: { service: 'iam', operation: 'DeleteRolePolicy', input: { RoleName: names.lambdaRole, PolicyName: SECRETS_POLICY_NAME } },
        dependsOn: [],
        okErrors: ['NoSuchEntityException'],
      })
    }
  }

  // ---- log group -----------------------------------------------------------------------------
  const logDeps: string[] = []
  if (!observed.logGroup) {
    steps.push({
      id: 'log-group',
      action: 'create',
      resource: { type: 'logs:log-group', name: names.logGroup },
      request: { service: 'logs', operation: 'CreateLogGroup', input: { logGroupName: names.logGroup, tags } },
      dependsOn: [],
      okErrors: ['ResourceAlreadyExistsException'],
    })
    logDeps.push('log-group')
  }
  if (observed.logGroup?.retentionInDays !== desired.logRetentionDays) {
    steps.push({
      id: 'log-retention',
      action: observed.logGroup ? 'update' : 'create',
      resource: { type: 'logs:retention', name: names.logGroup },
      changes: [{ path: 'retentionInDays', before: observed.logGroup?.retentionInDays, after: desired.logRetentionDays }],
      request: { service: 'logs', operation: 'PutRetentionPolicy', input: { logGroupName: names.logGroup, retentionInDays: desired.logRetentionDays } },
      dependsOn: [...logDeps],
    })
  } else {
    unchanged.push({ resource: { type: 'logs:log-group', name: names.logGroup } })
  }

  // ---- function ------------------------------------------------------------------------------
  const want: DesiredFunction = {
    Runtime: fnSpec.runtime,
    Handler: fnSpec.handler,
    MemorySize: fnSpec.memory,
    Timeout: fnSpec.timeout,
    Role: roleArn,
    Architectures: [fnSpec.architecture],
    Environment: desiredEnvironment(desired),
    LogGroup: names.logGroup,
  }
  const fn = observed.function
  const fnSteps: string[] = []
  let functionArn: string | Ref
  if (fn && !owned(fn.tags) && notOurs('lambda:function', names.function)) {
    functionArn = fn.arn
  } else if (!fn) {
    functionArn = ref('function', 'FunctionArn')
    steps.push({
      id: 'function',
      action: 'create',
      resource: { type: 'lambda:function', name: names.function },
      changes: [
        { path: 'Runtime', after: want.Runtime },
        { path: 'Handler', after: want.Handler },
        { path: 'MemorySize', after: want.MemorySize },
        { path: 'Timeout', after: want.Timeout },
        { path: 'Architectures', after: want.Architectures },
        { path: 'Code', after: artifact },
        ...Object.entries(want.Environment).map(([k, v]) => ({ path: `Environment.${k}`, after: v })),
      ],
      request: {
        service: 'lambda',
        operation: 'CreateFunction',
        input: {
          FunctionName: names.function,
          Runtime: want.Runtime,
          Role: want.Role,
          Handler: want.Handler,
          Code: { ZipFile: artifact },
          Description: `${desired.app} (${desired.env}), deployed by shipit`,
          Timeout: want.Timeout,
          MemorySize: want.MemorySize,
          Publish: false,
          PackageType: 'Zip',
          Architectures: want.Architectures,
          Environment: { Variables: want.Environment },
          LoggingConfig: { LogFormat: 'Text', LogGroup: names.logGroup },
          Tags: tags,
        },
      },
      wait: { waiter: 'FunctionActiveV2', input: { FunctionName: names.function }, description: `function ${names.function} to be Active` },
      retry: roleIsNew ? { errorName: 'InvalidParameterValueException', messageIncludes: 'cannot be assumed', seconds: ROLE_PROPAGATION_SECONDS } : undefined,
      dependsOn: [...roleDeps, ...logDeps],
    })
    fnSteps.push('function')
  } else {
    functionArn = fn.arn
    if (!owned(fn.tags))
      steps.push(
        adoptStep('function-tags', 'lambda:function', names.function, { service: 'lambda', operation: 'TagResource', input: { Resource: fn.arn, Tags: tags } }),
      )
    const codeChanged = fn.config.CodeSha256 !== codeSha256
    const archChanged = (fn.config.Architectures ?? ['x86_64'])[0] !== want.Architectures[0]
    let previous: string | undefined
    if (codeChanged || archChanged) {
      steps.push({
        id: 'function-code',
        action: 'update',
        resource: { type: 'lambda:function', name: names.function },
        reason: codeChanged ? 'code changed' : 'architecture changed',
        changes: [
          ...(codeChanged ? [{ path: 'CodeSha256', before: fn.config.CodeSha256, after: codeSha256 }] : []),
          ...(archChanged ? [{ path: 'Architectures', before: fn.config.Architectures, after: want.Architectures }] : []),
        ],
        request: {
          service: 'lambda',
          operation: 'UpdateFunctionCode',
          input: {
            FunctionName: names.function,
            ZipFile: artifact,
            Architectures: want.Architectures,
            ...(fn.revisionId ? { RevisionId: fn.revisionId } : {}),
          },
        },
        wait: { waiter: 'FunctionUpdatedV2', input: { FunctionName: names.function }, description: `the code update of ${names.function} to finish` },
        dependsOn: [],
      })
      previous = 'function-code'
      fnSteps.push('function-code')
    }
    const changes = [
      ...configChanges(fn.config, want),
      ...(envEqual(fn.config.Environment, want.Environment) ? [] : envChanges(fn.config.Environment, want.Environment, secretKeys)),
    ]
    if (changes.length) {
      const input: Record<string, unknown> = { FunctionName: names.function }
      for (const c of changes) {
        if (c.path === 'LoggingConfig.LogGroup') input.LoggingConfig = { LogFormat: 'Text', LogGroup: names.logGroup }
        else if (c.path.startsWith('Environment.')) input.Environment = { Variables: want.Environment }
        else input[c.path] = want[c.path as keyof DesiredFunction]
      }
      // the first Lambda write carries the revision shipit planned from: a concurrent deploy makes it fail, not mix
      if (!previous && fn.revisionId) input.RevisionId = fn.revisionId
      steps.push({
        id: 'function-config',
        action: 'update',
        resource: { type: 'lambda:function', name: names.function },
        reason: summarizeChanges(changes),
        changes,
        request: { service: 'lambda', operation: 'UpdateFunctionConfiguration', input },
        wait: { waiter: 'FunctionUpdatedV2', input: { FunctionName: names.function }, description: `the configuration update of ${names.function} to finish` },
        // Lambda refuses a configuration update while a code update is in progress
        dependsOn: [...(previous ? [previous] : []), ...roleDeps, ...logDeps],
      })
      fnSteps.push('function-config')
    }
    if (!fnSteps.length) unchanged.push({ resource: { type: 'lambda:function', name: names.function } })
  }

  // ---- version and alias -----------------------------------------------------------------------
  const aliasArn: string | Ref = typeof functionArn === 'string' ? `${functionArn}:${ALIAS}` : ref('function', 'FunctionArn', `{}:${ALIAS}`)
  const aliasDeps: string[] = []
  const fnBlocked = blocked.some((b) => b.resource.type === 'lambda:function')
  const needsVersion = !fnBlocked && (fnSteps.length > 0 || !observed.alias || !versionMatches(observed.alias.config, want, codeSha256))
  if (needsVersion) {
    steps.push({
      id: 'version',
      action: 'create',
      resource: { type: 'lambda:version', name: names.function },
      reason: fnSteps.length ? 'publish the new code and configuration' : 'live does not serve the current code and configuration',
      request: {
        service: 'lambda',
        operation: 'PublishVersion',
        input: { FunctionName: names.function, CodeSha256: codeSha256, Description: `deployed by shipit` },
      },
      wait: {
        waiter: 'FunctionActiveV2',
        input: { FunctionName: names.function, Qualifier: ref('version', 'Version') },
        description: `the new version of ${names.function} to be Active`,
      },
      dependsOn: [...fnSteps],
    })
    steps.push({
      id: 'alias',
      action: observed.alias ? 'update' : 'create',
      resource: { type: 'lambda:alias', name: `${names.function}:${ALIAS}` },
      changes: [{ path: 'FunctionVersion', before: observed.alias?.version, after: ref('version', 'Version') }],
      request: {
        service: 'lambda',
        operation: observed.alias ? 'UpdateAlias' : 'CreateAlias',
        input: {
          FunctionName: names.function,
          Name: ALIAS,
          FunctionVersion: ref('version', 'Version'),
          // what was live before, so that `shipit rollback` goes back to it
          Description: observed.alias ? `${PREVIOUS_PREFIX}${observed.alias.version}` : 'shipit: first version',
        },
      },
      dependsOn: ['version'],
    })
    if (!observed.alias) aliasDeps.push('alias')
  } else if (!fnBlocked) {
    unchanged.push({ resource: { type: 'lambda:alias', name: `${names.function}:${ALIAS}` }, note: `version ${observed.alias?.version}` })
  }

  // ---- HTTP API --------------------------------------------------------------------------------
  const api = observed.api
  for (const id of observed.foreignApis) {
    if (!api) notOurs('apigatewayv2:api', `${names.api} (${id})`)
  }
  const apiBlocked = !api && observed.foreignApis.length > 0 && !ctx.adopt
  const apiId: string | Ref = api ? api.id : ref('api', 'ApiId')
  const cors = desired.http.cors && {
    AllowOrigins: desired.http.cors.allowOrigins,
    ...(desired.http.cors.allowMethods ? { AllowMethods: desired.http.cors.allowMethods } : {}),
    ...(desired.http.cors.allowHeaders ? { AllowHeaders: desired.http.cors.allowHeaders } : {}),
    ...(desired.http.cors.exposeHeaders ? { ExposeHeaders: desired.http.cors.exposeHeaders } : {}),
    ...(desired.http.cors.allowCredentials !== undefined ? { AllowCredentials: desired.http.cors.allowCredentials } : {}),
    ...(desired.http.cors.maxAge !== undefined ? { MaxAge: desired.http.cors.maxAge } : {}),
  }
  const apiDeps: string[] = []
  if (!api && !apiBlocked) {
    steps.push({
      id: 'api',
      action: 'create',
      resource: { type: 'apigatewayv2:api', name: names.api },
      changes: [{ path: 'ProtocolType', after: 'HTTP' }, ...(cors ? [{ path: 'CorsConfiguration', after: cors }] : [])],
      request: {
        service: 'apigatewayv2',
        operation: 'CreateApi',
        input: {
          Name: names.api,
          ProtocolType: 'HTTP',
          Description: `${desired.app} (${desired.env}), deployed by shipit`,
          ...(cors ? { CorsConfiguration: cors } : {}),
          Tags: tags,
        },
      },
      dependsOn: [],
    })
    apiDeps.push('api')
  } else if (api) {
    if (!owned(api.tags))
      steps.push(
        adoptStep('api-tags', 'apigatewayv2:api', names.api, {
          service: 'apigatewayv2',
          operation: 'TagResource',
          input: { ResourceArn: `arn:${partition(region)}:apigateway:${region}::/apis/${api.id}`, Tags: tags },
        }),
      )
    const observedCors = normalizeCors(api.cors)
    if (JSON.stringify(observedCors) !== JSON.stringify(normalizeCors(cors))) {
      steps.push(
        cors
          ? {
              id: 'api-cors',
              action: 'update',
              resource: { type: 'apigatewayv2:api', name: names.api },
              reason: 'CORS changed',
              changes: [{ path: 'CorsConfiguration', before: api.cors, after: cors }],
              request: { service: 'apigatewayv2', operation: 'UpdateApi', input: { ApiId: api.id, CorsConfiguration: cors } },
              dependsOn: [],
            }
          : {
              id: 'api-cors',
              action: 'delete',
              resource: { type: 'apigatewayv2:cors', name: names.api },
              changes: [{ path: 'CorsConfiguration', before: api.cors }],
              request: { service: 'apigatewayv2', operation: 'DeleteCorsConfiguration', input: { ApiId: api.id } },
              dependsOn: [],
            },
      )
    } else {
      unchanged.push({ resource: { type: 'apigatewayv2:api', name: names.api }, note: api.endpoint })
    }
  }

  if (!apiBlocked && !fnBlocked) {
    // integration: the API calls the alias, so a rollback moves traffic without touching the API
    const integration = api?.integrations.find((i) => i.type === 'AWS_PROXY')
    const integrationUri = aliasArn
    let integrationId: string | Ref
    if (!integration) {
      integrationId = ref('integration', 'IntegrationId')
      steps.push({
        id: 'integration',
        action: 'create',
        resource: { type: 'apigatewayv2:integration', name: `${names.api} → ${names.function}:${ALIAS}` },
        changes: [
          { path: 'IntegrationUri', after: integrationUri },
          { path: 'PayloadFormatVersion', after: '2.0' },
        ],
        request: {
          service: 'apigatewayv2',
          operation: 'CreateIntegration',
          input: {
            ApiId: apiId,
            IntegrationType: 'AWS_PROXY',
            IntegrationUri: integrationUri,
            PayloadFormatVersion: '2.0',
            Description: 'shipit: the function alias live',
          },
        },
        dependsOn: [...apiDeps, ...fnSteps.filter((s) => s === 'function')],
      })
    } else {
      integrationId = integration.id
      if (integration.uri !== integrationUri || integration.payloadFormatVersion !== '2.0') {
        steps.push({
          id: 'integration',
          action: 'update',
          resource: { type: 'apigatewayv2:integration', name: `${names.api} → ${names.function}:${ALIAS}` },
          changes: [
            ...(integration.uri !== integrationUri ? [{ path: 'IntegrationUri', before: integration.uri, after: integrationUri }] : []),
            ...(integration.payloadFormatVersion !== '2.0' ? [{ path: 'PayloadFormatVersion', before: integration.payloadFormatVersion, after: '2.0' }] : []),
          ],
          request: {
            service: 'apigatewayv2',
            operation: 'UpdateIntegration',
            input: { ApiId: apiId, IntegrationId: integration.id, IntegrationUri: integrationUri, PayloadFormatVersion: '2.0' },
          },
          dependsOn: [],
        })
      } else {
        unchanged.push({ resource: { type: 'apigatewayv2:integration', name: `${names.api} → ${names.function}:${ALIAS}` } })
      }
    }
    const integrationDeps = integration ? [] : ['integration']
    const target = typeof integrationId === 'string' ? `integrations/${integrationId}` : ref('integration', 'IntegrationId', 'integrations/{}')

    // routes
    const existing = new Map((api?.routes ?? []).map((r) => [r.key, r]))
    for (const key of desired.http.routes) {
      const route = existing.get(key)
      const id = `route ${key}`
      if (!route) {
        steps.push({
          id,
          action: 'create',
          resource: { type: 'apigatewayv2:route', name: key },
          request: { service: 'apigatewayv2', operation: 'CreateRoute', input: { ApiId: apiId, RouteKey: key, Target: target } },
          dependsOn: [...apiDeps, ...integrationDeps],
        })
      } else if (route.target !== target) {
        steps.push({
          id,
          action: 'update',
          resource: { type: 'apigatewayv2:route', name: key },
          changes: [{ path: 'Target', before: route.target, after: target }],
          request: { service: 'apigatewayv2', operation: 'UpdateRoute', input: { ApiId: apiId, RouteId: route.id, Target: target } },
          dependsOn: [...integrationDeps],
        })
      } else {
        unchanged.push({ resource: { type: 'apigatewayv2:route', name: key } })
      }
    }
    for (const route of api?.routes ?? []) {
      if (desired.http.routes.includes(route.key)) continue
      steps.push({
        id: `route ${route.key} (delete)`,
        action: 'delete',
        resource: { type: 'apigatewayv2:route', name: route.key },
        reason: 'no longer in http.routes',
        request: { service: 'apigatewayv2', operation: 'DeleteRoute', input: { ApiId: apiId, RouteId: route.id } },
        dependsOn: [],
        okErrors: ['NotFoundException'],
      })
    }
    // integrations that no route uses any more (left by an older layout) are removed after the routes move
    for (const stale of api?.integrations.filter((i) => i !== integration) ?? []) {
      steps.push({
        id: `integration ${stale.id} (delete)`,
        action: 'delete',
        resource: { type: 'apigatewayv2:integration', name: stale.id },
        reason: 'not used by any route',
        request: { service: 'apigatewayv2', operation: 'DeleteIntegration', input: { ApiId: apiId, IntegrationId: stale.id } },
        dependsOn: steps.filter((s) => s.resource.type === 'apigatewayv2:route').map((s) => s.id),
        okErrors: ['NotFoundException'],
      })
    }

    // stage
    if (!api?.stage) {
      steps.push({
        id: 'stage',
        action: 'create',
        resource: { type: 'apigatewayv2:stage', name: `${names.api}/$default` },
        changes: [{ path: 'AutoDeploy', after: true }],
        request: { service: 'apigatewayv2', operation: 'CreateStage', input: { ApiId: apiId, StageName: '$default', AutoDeploy: true, Tags: tags } },
        dependsOn: [...apiDeps],
      })
    } else if (!api.stage.autoDeploy) {
      steps.push({
        id: 'stage',
        action: 'update',
        resource: { type: 'apigatewayv2:stage', name: `${names.api}/$default` },
        changes: [{ path: 'AutoDeploy', before: false, after: true }],
        request: { service: 'apigatewayv2', operation: 'UpdateStage', input: { ApiId: apiId, StageName: '$default', AutoDeploy: true } },
        dependsOn: [],
      })
    } else {
      unchanged.push({ resource: { type: 'apigatewayv2:stage', name: `${names.api}/$default` } })
    }

    // permission for API Gateway to invoke the alias, scoped to this API
    const sourceArn: string | Ref =
      typeof apiId === 'string'
        ? `arn:${partition(region)}:execute-api:${region}:${account}:${apiId}/*`
        : ref('api', 'ApiId', `arn:${partition(region)}:execute-api:${region}:${account}:{}/*`)
    const permissionOk = observed.permission && typeof sourceArn === 'string' && observed.permission.sourceArn === sourceArn
    if (permissionOk) {
      unchanged.push({ resource: { type: 'lambda:permission', name: PERMISSION_SID } })
    } else {
      const removeFirst = Boolean(observed.permission)
      if (removeFirst) {
        steps.push({
          id: 'permission-remove',
          action: 'delete',
          resource: { type: 'lambda:permission', name: PERMISSION_SID },
          reason: 'scoped to another API',
          request: { service: 'lambda', operation: 'RemovePermission', input: { FunctionName: names.function, Qualifier: ALIAS, StatementId: PERMISSION_SID } },
          dependsOn: [],
          okErrors: ['ResourceNotFoundException'],
        })
      }
      steps.push({
        id: 'permission',
        action: 'create',
        resource: { type: 'lambda:permission', name: PERMISSION_SID },
        reason: 'lets the API invoke the function',
        changes: [{ path: 'SourceArn', before: observed.permission?.sourceArn, after: sourceArn }],
        request: {
          service: 'lambda',
          operation: 'AddPermission',
          input: {
            FunctionName: names.function,
            Qualifier: ALIAS,
            StatementId: PERMISSION_SID,
            Action: 'lambda:InvokeFunction',
            Principal: 'apigateway.amazonaws.com',
            SourceArn: sourceArn,
          },
        },
        dependsOn: [...apiDeps, ...aliasDeps, ...(removeFirst ? ['permission-remove'] : [])],
      })
    }
  }
  for (const id of observed.duplicateApis) {
    steps.push({
      id: `api ${id} (duplicate)`,
      action: 'delete',
      resource: { type: 'apigatewayv2:api', name: `${names.api} (${id})` },
      reason: "a second copy of this app's API (left by an interrupted deploy)",
      request: { service: 'apigatewayv2', operation: 'DeleteApi', input: { ApiId: id } },
      dependsOn: [],
      okErrors: ['NotFoundException'],
    })
  }
  if (Object.keys(desired.secrets).length && fnSpec.role) {
    warnings.push(
      `function.role is yours: grant it ssm:GetParameter / secretsmanager:GetSecretValue on the secrets' ARNs (they reach the function as SHIPIT_SECRET_<NAME>)`,
    )
  }
  return { steps, unchanged, warnings, blocked }
}

function adoptStep(id: string, type: string, name: string, request: Step['request']): Step {
  return { id, action: 'update', resource: { type, name }, reason: 'adopt: add shipit tags', request, dependsOn: [] }
}

function normalizeCors(c: Record<string, unknown> | undefined): unknown {
  if (!c) return null
  const sorted = (v: unknown) => (Array.isArray(v) ? [...v].map(String).sort() : v)
  return {
    AllowOrigins: sorted(c.AllowOrigins) ?? [],
    AllowMethods: sorted(c.AllowMethods) ?? [],
    AllowHeaders: (sorted(c.AllowHeaders) as string[] | undefined)?.map((h) => h.toLowerCase()) ?? [],
    ExposeHeaders: (sorted(c.ExposeHeaders) as string[] | undefined)?.map((h) => h.toLowerCase()) ?? [],
    AllowCredentials: c.AllowCredentials ?? false,
    MaxAge: c.MaxAge ?? 0,
  }
}

function summarizeChanges(changes: FieldChange[]): string {
  const paths = changes.map((c) => c.path.replace(/^Environment\..*/, 'Environment'))
  return `${[...new Set(paths)].join(', ')} changed`
}

/** Everything shipit created for this app and env, deleted in dependency order; nothing without its tags. */
export function planLambdaDestroy(desired: LambdaDesired, observed: LambdaObserved): PlanPart {
  const { names } = desired
  const steps: Step[] = []
  const unchanged: Unchanged[] = []
  const blocked: Blocked[] = []
  const warnings: string[] = []
  const owned = (t: Record<string, string> | undefined) => ownedBy(t, desired.app, desired.env)
  const keep = (type: string, name: string) => unchanged.push({ resource: { type, name }, note: 'kept: no shipit tags for this app and env' })

  if (observed.api) {
    if (owned(observed.api.tags)) {
      steps.push({
        id: 'api',
        action: 'delete',
        resource: { type: 'apigatewayv2:api', name: names.api },
        reason: 'with its integration, routes and stage',
        request: { service: 'apigatewayv2', operation: 'DeleteApi', input: { ApiId: observed.api.id } },
        dependsOn: [],
        okErrors: ['NotFoundException'],
      })
    } else keep('apigatewayv2:api', names.api)
  }
  for (const id of observed.foreignApis) keep('apigatewayv2:api', `${names.api} (${id})`)
  for (const id of observed.duplicateApis) {
    steps.push({
      id: `api ${id}`,
      action: 'delete',
      resource: { type: 'apigatewayv2:api', name: `${names.api} (${id})` },
      request: { service: 'apigatewayv2', operation: 'DeleteApi', input: { ApiId: id } },
      dependsOn: [],
      okErrors: ['NotFoundException'],
    })
  }
  const fnOurs = observed.function && owned(observed.function.tags)
  if (observed.function && !fnOurs) keep('lambda:function', names.function)
  if (fnOurs) {
    if (observed.permission) {
      steps.push({
        id: 'permission',
        action: 'delete',
        resource: { type: 'lambda:permission', name: PERMISSION_SID },
        request: { service: 'lambda', operation: 'RemovePermission', input: { FunctionName: names.function, Qualifier: ALIAS, StatementId: PERMISSION_SID } },
        dependsOn: observed.api && owned(observed.api.tags) ? ['api'] : [],
        okErrors: ['ResourceNotFoundException'],
      })
    }
    if (observed.alias) {
      steps.push({
        id: 'alias',
        action: 'delete',
        resource: { type: 'lambda:alias', name: `${names.function}:${ALIAS}` },
        request: { service: 'lambda', operation: 'DeleteAlias', input: { FunctionName: names.function, Name: ALIAS } },
        dependsOn: observed.permission ? ['permission'] : [],
        okErrors: ['ResourceNotFoundException'],
      })
    }
    steps.push({
      id: 'function',
      action: 'delete',
      resource: { type: 'lambda:function', name: names.function },
      reason: 'with all its versions',
      request: { service: 'lambda', operation: 'DeleteFunction', input: { FunctionName: names.function } },
      dependsOn: steps.filter((s) => s.id === 'alias' || s.id === 'api').map((s) => s.id),
      okErrors: ['ResourceNotFoundException'],
    })
  }
  if (observed.logGroup) steps.push(logGroupDeleteStep(names.logGroup, fnOurs ? ['function'] : []))
  if (observed.role) {
    if (owned(observed.role.tags)) {
      // the inline policy: as observed, or, when it was not read, if app.yaml has secrets
      const secretsPolicy = observed.role.secretsPolicy
      const inline = Boolean(secretsPolicy || (secretsPolicy === undefined && Object.keys(desired.secrets).length))
      steps.push(...roleDeleteSteps(names.lambdaRole, observed.role, fnOurs ? ['function'] : [], inline))
    } else keep('iam:role', names.lambdaRole)
  }
  return { steps, unchanged, warnings, blocked }
}
