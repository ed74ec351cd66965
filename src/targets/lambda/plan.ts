import type { LambdaDesired } from '../../manifest/resolve.js'
import type { Artifact, Ref } from '../../plan/types.js'
import { type PlannedRole, planExecutionRole } from '../execution-role.js'
import { nothingEcr, planImageDestroy } from '../image/ecr.js'
import { planLogGroup, planLogGroupDelete } from '../log-group.js'
import { PartBuilder } from '../part.js'
import { NO_SCHEDULE } from '../schedule/observe.js'
import { planSchedule, planScheduleDelete } from '../schedule/plan.js'
import { functionScheduleRun } from '../schedule/runs.js'
import { secretAccess, trackedFor } from '../secret-versions.js'
import { ACCOUNT_PLACEHOLDER, arnPartition, type PlanContext, type PlanPart, type Prepared } from '../target.js'
import { roleDeleteSteps } from '../teardown.js'
import { planArtifactCleanup, planArtifactUpload, storeLocation } from './artifacts.js'
import { ApiGateway, Lambda } from './catalogue.js'
import { planLambdaDomain, planLambdaDomainDestroy } from './domain.js'
import { desiredFunction, planFunction, planReservedConcurrency } from './function.js'
import { type PlannedApi, planApiRoutes, planDuplicateApis, planHttpApi } from './http-api.js'
import { planLambdaImage } from './image.js'
import { ALIAS, type LambdaObserved, PERMISSION_SID } from './observe.js'
import { planVersionAndAlias } from './version.js'

export { desiredEnvironment } from './function.js'

export const BASIC_EXECUTION_POLICY = (ctx: { region: string; partition?: string }) =>
  `arn:${arnPartition(ctx)}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`

/** The steps from what exists to what app.yaml asks for: role, logs, function, version and alias, HTTP API, permission. Pure. */
export function planLambda(desired: LambdaDesired, observed: LambdaObserved, prepared: Prepared, ctx: PlanContext): PlanPart {
  const b = new PartBuilder(desired, ctx)
  const account = ctx.account ?? observed.account ?? ACCOUNT_PLACEHOLDER
  const code = planCode(b, observed, prepared, account)
  const role = planFunctionRole(b, observed)
  const logDeps = planLogGroup(b, observed.logGroup)
  const want = desiredFunction(desired, role.arn, trackedFor(desired, observed.secrets, ctx), ctx.region, code.imageUri)
  // Lambda needs only that it may assume the role: the role's policies are attached meanwhile, and
  // must be in place before a version goes live (the alias), not before the function exists
  const assumable = role.deps.filter((d) => !role.grants.includes(d))
  const fn = planFunction(b, observed.function, {
    want,
    artifact: code.artifact,
    s3: code.s3,
    roleCreated: role.created,
    after: [...assumable, ...logDeps, ...code.deps],
    codeAfter: code.deps,
  })
  planReservedConcurrency(b, observed.function, fn)
  const codeSha256 = code.artifact ? Buffer.from(code.artifact.sha256, 'hex').toString('base64') : undefined
  const aliasDeps = planVersionAndAlias(b, fn, observed.alias, { want, codeSha256, after: role.grants })
  const api = planHttpApi(b, observed.api)
  if (!api.blocked && !fn.blocked) {
    // a new function's ARN is known from its name: CreateFunction with Publish answers the version's ARN (…:1)
    const aliasArn =
      typeof fn.arn === 'string'
        ? `${fn.arn}:${ALIAS}`
        : `arn:${arnPartition(b.ctx)}:lambda:${b.ctx.region}:${account}:function:${desired.names.function}:${ALIAS}`
    planApiRoutes(b, observed.api, api, aliasArn, fn.steps)
    planPermission(b, observed, api, aliasDeps, account)
    planLambdaDomain(b, observed.domain, { id: api.id, deps: [...api.deps, ...b.present('stage')] })
  }
  planDuplicateApis(b, observed.duplicateApis)
  // schedule: invokes the alias, once it serves this deploy's version
  const run = desired.schedule && !fn.blocked ? functionScheduleRun({ ...ctx, account }, desired, ALIAS, aliasDeps) : undefined
  planSchedule(b, observed.schedule ?? NO_SCHEDULE, run)
  if (Object.keys(desired.secrets).length && desired.function.role) {
    const access = secretAccess(desired, trackedFor(desired, observed.secrets, ctx))
    b.warnings.push(
      `function.role is yours: grant it ssm:GetParameter / secretsmanager:GetSecretValue on ${access.arns.join(', ')}${access.kmsKeys.length ? `, and kms:Decrypt on ${access.kmsKeys.join(', ')}` : ''} (they reach the function as SHIPIT_SECRET_<NAME>)`,
    )
  }
  return b.part()
}

interface PlannedCode {
  /** a zip function's package */
  artifact?: Artifact
  /** where the package goes through S3 (above 50 MB zipped, or function.bucket) */
  s3?: { S3Bucket: string; S3Key: string }
  /** an image function's image by digest */
  imageUri?: string | Ref
  /** what a write of the code waits for: the upload, or the image's push */
  deps: string[]
}

/** The function's code: the zip (through S3 when it must), or the image with the Lambda Web Adapter, built and pushed to ECR when ECR lacks it. */
function planCode(b: PartBuilder<LambdaDesired>, observed: LambdaObserved, prepared: Prepared, account: string): PlannedCode {
  const { desired } = b
  if (desired.image) {
    if (!prepared.image) throw new Error('the image of the function was not prepared')
    const image = planLambdaImage(b, observed.ecr ?? nothingEcr(), prepared.image, { ...desired, image: desired.image })
    return { imageUri: image.imageUri, deps: image.deps }
  }
  const pkg = prepared.artifacts.get('function')
  if (!pkg) throw new Error('function zip was not prepared')
  const { artifact } = pkg
  // above 50 MB zipped (or whenever function.bucket is set) the code reaches Lambda through S3
  const s3 =
    pkg.needsS3 || desired.function.bucket ? planArtifactUpload(b, observed.artifacts, storeLocation(desired, account, b.ctx.region), artifact) : undefined
  return { artifact, ...(s3 ? { s3: s3.code } : {}), deps: s3?.deps ?? [] }
}

/** The function's execution role: shipit's own unless function.role names one. */
function planFunctionRole(b: PartBuilder<LambdaDesired>, observed: LambdaObserved): PlannedRole {
  const { desired } = b
  if (desired.function.role) return { arn: desired.function.role, deps: [], grants: [], created: false }
  return planExecutionRole(b, observed.role, {
    name: desired.names.lambdaRole,
    principal: 'lambda.amazonaws.com',
    // Lambda's execution role: aws:SourceAccount only (Lambda documents no aws:SourceArn for it)
    trust: { account: b.ctx.account ?? ACCOUNT_PLACEHOLDER },
    description: `Execution role of the Lambda function ${desired.names.function}, managed by shipit`,
    reason: 'execution role of the function',
    managedPolicy: { arn: BASIC_EXECUTION_POLICY(b.ctx), name: 'AWSLambdaBasicExecutionRole', reason: 'lets the function write its logs' },
    secretsReason: 'lets the function read its secrets',
    secretAccess: secretAccess(desired, trackedFor(desired, observed.secrets, b.ctx)),
  })
}

/** API Gateway may invoke the alias, from this API only; a permission scoped to another API is replaced. */
function planPermission(b: PartBuilder<LambdaDesired>, observed: LambdaObserved, api: PlannedApi, aliasDeps: string[], account: string): void {
  const { names } = b.desired
  const region = b.ctx.region
  const arn = `arn:${arnPartition(b.ctx)}:execute-api:${region}:${account}:`
  const sourceArn: string | Ref = typeof api.id === 'string' ? `${arn}${api.id}/*` : { ref: 'api', output: 'ApiId', format: `${arn}{}/*` }
  const resource = { type: 'lambda:permission', name: PERMISSION_SID }
  if (observed.permission && observed.permission.sourceArn === sourceArn) {
    b.keep(resource.type, resource.name)
    return
  }
  const removeFirst = Boolean(observed.permission)
  if (removeFirst) {
    b.add({
      id: 'permission-remove',
      action: 'delete',
      resource,
      reason: 'scoped to another API',
      request: Lambda.RemovePermission.request({ FunctionName: names.function, Qualifier: ALIAS, StatementId: PERMISSION_SID }),
      dependsOn: [],
      okErrors: ['ResourceNotFoundException'],
    })
  }
  b.add({
    id: 'permission',
    action: 'create',
    resource,
    reason: 'lets the API invoke the function',
    changes: [{ path: 'SourceArn', before: observed.permission?.sourceArn, after: sourceArn }],
    request: Lambda.AddPermission.request({
      FunctionName: names.function,
      Qualifier: ALIAS,
      StatementId: PERMISSION_SID,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
    dependsOn: [...api.deps, ...aliasDeps, ...(removeFirst ? ['permission-remove'] : [])],
  })
}

/** Everything shipit created for this app and env, deleted in dependency order; nothing without its tags. */
export function planLambdaDestroy(desired: LambdaDesired, observed: LambdaObserved, ctx: PlanContext): PlanPart {
  const b = new PartBuilder(desired, ctx)
  const { names } = desired
  const kept = 'kept: no shipit tags for this app and env'
  const api = observed.api
  const apiOurs = api && b.owned(api.tags)
  // the domain names map to the API: they go first
  const domainNames = planLambdaDomainDestroy(b, observed.domain)
  if (api && apiOurs) {
    b.add({
      id: 'api',
      action: 'delete',
      resource: { type: 'apigatewayv2:api', name: names.api },
      reason: 'with its integration, routes and stage',
      request: ApiGateway.DeleteApi.request({ ApiId: api.id }),
      dependsOn: domainNames,
      okErrors: ['NotFoundException'],
    })
  } else if (api) b.keep('apigatewayv2:api', `${names.api} (${api.id})`, kept)
  for (const id of observed.foreignApis) b.keep('apigatewayv2:api', `${names.api} (${id})`, kept)
  for (const id of observed.duplicateApis) {
    b.add({
      id: `api ${id}`,
      action: 'delete',
      resource: { type: 'apigatewayv2:api', name: `${names.api} (${id})` },
      request: ApiGateway.DeleteApi.request({ ApiId: id }),
      dependsOn: [],
      okErrors: ['NotFoundException'],
    })
  }
  const fnOurs = Boolean(observed.function && b.owned(observed.function.tags))
  if (observed.function && !fnOurs) b.keep('lambda:function', names.function, kept)
  if (fnOurs) planFunctionDelete(b, observed, apiOurs ? ['api'] : [])
  const afterFunction = fnOurs ? ['function'] : []
  planLogGroupDelete(b, observed.logGroup, afterFunction)
  const role = observed.role
  if (role && b.owned(role.tags)) {
    // the inline policy: as observed, or, when it was not read, if app.yaml has secrets
    const inline = Boolean(role.secretsPolicy || (role.secretsPolicy === undefined && Object.keys(desired.secrets).length))
    for (const step of roleDeleteSteps(names.lambdaRole, role, afterFunction, inline)) b.add(step)
  } else if (role) b.keep('iam:role', names.lambdaRole, kept)
  planArtifactCleanup(b, observed.artifacts)
  planScheduleDelete(b, observed.schedule ?? NO_SCHEDULE, [])
  // the app's ECR repository: this env's lambda tag removed, the repository deleted when nothing else deploys from it
  if (observed.ecr) planImageDestroy(b, observed.ecr)
  return b.part()
}

/** The permission, the alias, then the function with all its versions. */
function planFunctionDelete(b: PartBuilder<LambdaDesired>, observed: LambdaObserved, afterApi: string[]): void {
  const name = b.desired.names.function
  if (observed.permission) {
    b.add({
      id: 'permission',
      action: 'delete',
      resource: { type: 'lambda:permission', name: PERMISSION_SID },
      request: Lambda.RemovePermission.request({ FunctionName: name, Qualifier: ALIAS, StatementId: PERMISSION_SID }),
      dependsOn: afterApi,
      okErrors: ['ResourceNotFoundException'],
    })
  }
  if (observed.alias) {
    b.add({
      id: 'alias',
      action: 'delete',
      resource: { type: 'lambda:alias', name: `${name}:${ALIAS}` },
      request: Lambda.DeleteAlias.request({ FunctionName: name, Name: ALIAS }),
      dependsOn: b.present('permission'),
      okErrors: ['ResourceNotFoundException'],
    })
  }
  b.add({
    id: 'function',
    action: 'delete',
    resource: { type: 'lambda:function', name },
    reason: 'with all its versions',
    request: Lambda.DeleteFunction.request({ FunctionName: name }),
    dependsOn: b.present('api', 'alias'),
    okErrors: ['ResourceNotFoundException'],
  })
}
