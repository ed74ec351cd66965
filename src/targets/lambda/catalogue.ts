import type { AwsClients } from '../../aws/clients.js'
import { TAG_APP } from '../../manifest/names.js'
import { awsOperation, type Catalogue, joinCatalogues, localOperation } from '../../plan/catalogue.js'
import {
  anyResource,
  arnKind,
  baseName,
  localPermission,
  type Need,
  on,
  type Permission,
  type PolicyUse,
  permission,
  READ,
  type ResourceKind,
  regional,
  sdkPermission,
  taggedRequest,
  taggedResource,
} from '../../plan/permissions.js'
import { type Artifact, isArtifact } from '../../plan/types.js'
import {
  BEFORE_2020,
  LAMBDA_ARCHITECTURES,
  LAMBDA_LOGGING_CONFIG,
  LAMBDA_ROUTING_CONFIG,
  LAMBDA_V2_WAITERS,
  S3_EXPECTED_BUCKET_OWNER,
} from '../cli-versions.js'
import { DOMAIN_CATALOGUE } from '../domain/catalogue.js'
import { IMAGE_CATALOGUE, lambdaImagePull } from '../image/catalogue.js'
import { anyTagMap, notOurs, read, sameOwner } from '../read-back.js'
import { SCHEDULE_CATALOGUE } from '../schedule/catalogue.js'
import { cliWait, DELETE, OLD_COMMAND, PASSED_ROLES, passRole, SHARED_CATALOGUE, TAG, UPDATE } from '../shared-catalogue.js'
import { RELEASE_WATCH, releaseWatchRunbook, watchRelease } from './release-watch.js'
import { extensionLayerArns } from './secrets-extension.js'

/**
 * Every operation the lambda target sends: Lambda, API Gateway v2 (the HTTP API), S3 (the bucket of
 * packages above 50 MB) and the package upload, with their rules, read-backs, waits and runbook form.
 * Lambda and API Gateway v2 have no client token: their creates are read back after a lost answer.
 */

/** Every item of a paginated API Gateway v2 list. */
async function allItems<T>(page: (NextToken: string | undefined) => Promise<{ Items?: T[]; NextToken?: string }>): Promise<T[]> {
  const items: T[] = []
  let NextToken: string | undefined
  do {
    const answer = await page(NextToken)
    items.push(...(answer.Items ?? []))
    NextToken = answer.NextToken
  } while (NextToken)
  return items
}

const withoutMetadata = <T extends { $metadata?: unknown }>({ $metadata: _m, ...rest }: T): Omit<T, '$metadata'> => rest

/** The highest published version of a function (ListVersionsByFunction lists $LATEST and 1, 2, … by pages), or undefined. */
async function publishedVersion(clients: AwsClients, FunctionName: string): Promise<string | undefined> {
  let highest = 0
  let Marker: string | undefined
  do {
    const page = await clients.send('lambda', 'ListVersionsByFunction', { FunctionName, ...(Marker ? { Marker } : {}) })
    for (const v of page.Versions ?? []) if (/^\d+$/.test(v.Version ?? '')) highest = Math.max(highest, Number(v.Version))
    Marker = page.NextMarker
  } while (Marker)
  return highest ? String(highest) : undefined
}

export const ApiGateway = {
  CreateApi: awsOperation('apigatewayv2', 'CreateApi', {
    idempotency: { kind: 'recover', read: 'GetApis by name and shipit tags' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const apis = (await allItems((NextToken) => clients.send('apigatewayv2', 'GetApis', { NextToken }))).filter((a) => a.Name === input.Name)
      // an API of the same name without our tags is someone else's: API names are not unique, so it is no conflict
      const ours = apis.filter((a) => sameOwner(input.Tags, a.Tags) && Object.keys(anyTagMap(a.Tags)).includes(TAG_APP))
      return ours.length === 1 ? { outputs: { ...ours[0] }, what: `HTTP API ${input.Name}` } : undefined
    },
  }),
  CreateIntegration: awsOperation('apigatewayv2', 'CreateIntegration', {
    idempotency: { kind: 'recover', read: 'GetIntegrations by URI' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const found = await allItems((NextToken) => clients.send('apigatewayv2', 'GetIntegrations', { ApiId: input.ApiId, NextToken }))
      const integration = found.find((i) => i.IntegrationUri === input.IntegrationUri && i.IntegrationType === input.IntegrationType)
      return integration ? { outputs: { ...integration }, what: `integration ${input.IntegrationUri}` } : undefined
    },
  }),
  CreateRoute: awsOperation('apigatewayv2', 'CreateRoute', {
    idempotency: { kind: 'recover', read: 'GetRoutes by RouteKey' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const routes = await allItems((NextToken) => clients.send('apigatewayv2', 'GetRoutes', { ApiId: input.ApiId, NextToken }))
      const route = routes.find((r) => r.RouteKey === input.RouteKey)
      if (!route) return undefined
      const what = `route ${input.RouteKey}`
      if (route.Target !== input.Target) throw notOurs(what, `exists with target ${route.Target ?? 'none'}, not ${input.Target}: shipit did not make it`)
      return { outputs: { ...route }, what }
    },
  }),
  CreateStage: awsOperation('apigatewayv2', 'CreateStage', {
    idempotency: { kind: 'recover', read: 'GetStage' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const stage = await read(clients.send('apigatewayv2', 'GetStage', { ApiId: input.ApiId, StageName: input.StageName }))
      if (!stage) return undefined
      const what = `stage ${input.StageName}`
      if (!sameOwner(input.Tags, stage.Tags)) throw notOurs(what)
      return { outputs: withoutMetadata(stage), what }
    },
  }),
  UpdateApi: awsOperation('apigatewayv2', 'UpdateApi', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateIntegration: awsOperation('apigatewayv2', 'UpdateIntegration', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateRoute: awsOperation('apigatewayv2', 'UpdateRoute', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  UpdateStage: awsOperation('apigatewayv2', 'UpdateStage', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagResource: awsOperation('apigatewayv2', 'TagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  DeleteApi: awsOperation('apigatewayv2', 'DeleteApi', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteCorsConfiguration: awsOperation('apigatewayv2', 'DeleteCorsConfiguration', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteIntegration: awsOperation('apigatewayv2', 'DeleteIntegration', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteRoute: awsOperation('apigatewayv2', 'DeleteRoute', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

/** Function options newer than the CLI's first releases. */
const FUNCTION_OPTIONS = { Architectures: LAMBDA_ARCHITECTURES, LoggingConfig: LAMBDA_LOGGING_CONFIG }

export const Lambda = {
  CreateFunction: awsOperation('lambda', 'CreateFunction', {
    idempotency: { kind: 'recover', read: 'GetFunction with shipit tags; with Publish, ListVersionsByFunction for the version it published' },
    runbook: { cli: BEFORE_2020, members: FUNCTION_OPTIONS },
    recover: async (input, clients) => {
      const fn = await read(clients.send('lambda', 'GetFunction', { FunctionName: input.FunctionName }))
      if (!fn) return undefined
      const what = `function ${input.FunctionName}`
      if (!sameOwner(input.Tags, fn.Tags) || !fn.Tags) throw notOurs(what)
      // CreateFunction's answer names the version it published (the alias is made on it): read it back
      const version = input.Publish ? await publishedVersion(clients, String(input.FunctionName)) : undefined
      if (input.Publish && !version) return undefined
      return { outputs: { ...fn.Configuration, ...(version ? { Version: version } : {}) }, what }
    },
  }),
  CreateAlias: awsOperation('lambda', 'CreateAlias', {
    idempotency: { kind: 'recover', read: 'GetAlias' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const alias = await read(clients.send('lambda', 'GetAlias', { FunctionName: input.FunctionName, Name: input.Name }))
      if (!alias) return undefined
      const what = `alias ${input.Name} of ${input.FunctionName}`
      if (String(alias.FunctionVersion) !== String(input.FunctionVersion)) {
        throw notOurs(what, `exists at version ${alias.FunctionVersion}, not ${input.FunctionVersion}: shipit did not make it`)
      }
      return { outputs: withoutMetadata(alias), what }
    },
  }),
  AddPermission: awsOperation('lambda', 'AddPermission', {
    idempotency: { kind: 'recover', read: 'GetPolicy by statement id' },
    runbook: OLD_COMMAND,
    recover: async (input, clients) => {
      const policy = await read(clients.send('lambda', 'GetPolicy', { FunctionName: input.FunctionName, Qualifier: input.Qualifier }))
      if (!policy?.Policy) return undefined
      const statements: { Sid?: string }[] = JSON.parse(policy.Policy).Statement ?? []
      const statement = statements.find((s) => s.Sid === input.StatementId)
      if (!statement) return undefined
      const what = `permission ${input.StatementId} on ${input.FunctionName}`
      if (!JSON.stringify(statement).includes(JSON.stringify(input.SourceArn))) {
        throw notOurs(what, `exists for another source than ${input.SourceArn}: shipit did not make it`)
      }
      return { outputs: { Statement: JSON.stringify(statement) }, what }
    },
  }),
  PublishVersion: awsOperation('lambda', 'PublishVersion', {
    idempotency: { kind: 'natural', why: 'Lambda publishes no new version when code and configuration are unchanged since the last one' },
    // shipit's CodeSha256 would make publish-version fail for any zip but the one shipit built
    runbook: {
      cli: BEFORE_2020,
      leftOut: { members: ['CodeSha256'], why: 'publishes the code this script uploaded (no --code-sha256: any other zip would fail it)' },
    },
  }),
  UpdateFunctionCode: awsOperation('lambda', 'UpdateFunctionCode', { idempotency: UPDATE, runbook: { cli: BEFORE_2020, members: FUNCTION_OPTIONS } }),
  UpdateFunctionConfiguration: awsOperation('lambda', 'UpdateFunctionConfiguration', {
    idempotency: UPDATE,
    runbook: { cli: BEFORE_2020, members: FUNCTION_OPTIONS },
  }),
  UpdateAlias: awsOperation('lambda', 'UpdateAlias', { idempotency: UPDATE, runbook: { cli: BEFORE_2020, members: { RoutingConfig: LAMBDA_ROUTING_CONFIG } } }),
  TagResource: awsOperation('lambda', 'TagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  RemovePermission: awsOperation('lambda', 'RemovePermission', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteAlias: awsOperation('lambda', 'DeleteAlias', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteFunction: awsOperation('lambda', 'DeleteFunction', { idempotency: DELETE, runbook: OLD_COMMAND }),
  PutFunctionConcurrency: awsOperation('lambda', 'PutFunctionConcurrency', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  DeleteFunctionConcurrency: awsOperation('lambda', 'DeleteFunctionConcurrency', { idempotency: UPDATE, runbook: OLD_COMMAND }),
}

/** The bucket of big packages: S3's API is `aws s3api` in the CLI. */
/** S3 settings are `aws s3api` commands; every call but CreateBucket names the bucket's owner. */
const S3API = { command: 's3api', cli: BEFORE_2020, members: { ExpectedBucketOwner: S3_EXPECTED_BUCKET_OWNER } }

export const S3 = {
  // S3 answers a create of a bucket of ours with BucketAlreadyOwnedByYou (accepted), or 200 in us-east-1
  CreateBucket: awsOperation('s3', 'CreateBucket', {
    idempotency: { kind: 'natural', why: 'a bucket of ours answers BucketAlreadyOwnedByYou, which the step accepts' },
    runbook: S3API,
  }),
  PutBucketTagging: awsOperation('s3', 'PutBucketTagging', { idempotency: TAG, runbook: S3API }),
  PutPublicAccessBlock: awsOperation('s3', 'PutPublicAccessBlock', { idempotency: UPDATE, runbook: S3API }),
  PutBucketEncryption: awsOperation('s3', 'PutBucketEncryption', { idempotency: UPDATE, runbook: S3API }),
  DeleteObjects: awsOperation('s3', 'DeleteObjects', { idempotency: DELETE, runbook: S3API }),
}

/** The upload of a package, as planned: its bytes are the artifact, rebuilt and checked at apply. */
type UploadArtifactInput = { Bucket: string; Key: string; Body: Artifact; ExpectedBucketOwner?: string; Tagging?: string }

/**
 * The upload of a big package. In the runbook one PutObject (a package is at most 250 MB, S3 takes 5 GB
 * in one), with the tags destroy checks and the bucket owner shipit expects (`aws s3 cp` sets neither).
 */
export const UploadArtifact = localOperation<UploadArtifactInput>('local', 'UploadArtifact', {
  idempotency: { kind: 'natural', why: 'the key is the hash of the package: uploading it again writes the same bytes' },
  script: (step, refs) => {
    const { Bucket, Key, Body, ExpectedBucketOwner, Tagging } = step.request.input
    if (!isArtifact(Body)) throw new Error(`the lambda target's runbook has no ${step.request.operation}`)
    const owner = ExpectedBucketOwner === undefined ? '' : ` --expected-bucket-owner ${refs.text(ExpectedBucketOwner)}`
    const tagging = Tagging === undefined ? '' : ` --tagging ${refs.text(Tagging)}`
    return [
      `aws s3api put-object --bucket ${refs.text(Bucket)} --key ${refs.text(Key)} --body ${refs.artifact(Body)} --content-type application/zip${owner}${tagging} --region ${refs.region} >/dev/null`,
    ]
  },
  scriptCli: S3_EXPECTED_BUCKET_OWNER,
})

/** The reads that observe, the waits and the read-backs send, and the invocation of `shipit run`. */
const LambdaReads = {
  GetFunction: awsOperation('lambda', 'GetFunction', { read: true }),
  GetFunctionConfiguration: awsOperation('lambda', 'GetFunctionConfiguration', { read: true }),
  GetAlias: awsOperation('lambda', 'GetAlias', { read: true }),
  GetPolicy: awsOperation('lambda', 'GetPolicy', { read: true }),
  ListVersionsByFunction: awsOperation('lambda', 'ListVersionsByFunction', { read: true }),
  GetApis: awsOperation('apigatewayv2', 'GetApis', { read: true }),
  GetIntegrations: awsOperation('apigatewayv2', 'GetIntegrations', { read: true }),
  GetRoutes: awsOperation('apigatewayv2', 'GetRoutes', { read: true }),
  GetStage: awsOperation('apigatewayv2', 'GetStage', { read: true }),
  HeadBucket: awsOperation('s3', 'HeadBucket', { read: true }),
  GetBucketTagging: awsOperation('s3', 'GetBucketTagging', { read: true }),
  GetBucketEncryption: awsOperation('s3', 'GetBucketEncryption', { read: true }),
  GetPublicAccessBlock: awsOperation('s3', 'GetPublicAccessBlock', { read: true }),
  ListObjectsV2: awsOperation('s3', 'ListObjectsV2', { read: true }),
  GetObjectTagging: awsOperation('s3', 'GetObjectTagging', { read: true }),
}
/** What a gradual release watches (the ReleaseWatch wait; observe checks that the named alarms exist). */
export const CloudWatch = {
  DescribeAlarms: awsOperation('cloudwatch', 'DescribeAlarms', { read: true }),
  GetMetricData: awsOperation('cloudwatch', 'GetMetricData', { read: true }),
}
export const Invoke = awsOperation('lambda', 'Invoke', { idempotency: { kind: 'natural', why: 'shipit run: an invocation the user asked for' } })

/** The app's functions, `<app>-<env>` (an alias or version ARN is the function's with `:qualifier`). */
const FUNCTIONS = regional(
  'lambda',
  (name) => `function:${name}`,
  (scope) => [baseName(scope), `${baseName(scope)}:*`],
)
/** CloudWatch alarms a release watches: whatever app.yaml names, so any alarm of the account and region. */
const ALARMS = regional(
  'cloudwatch',
  (name) => `alarm:${name}`,
  () => ['*'],
)
/** HTTP APIs are named by ids: scoped by the shipit:app tag. `/apis` is the collection GetApis and CreateApi address. */
const APIS = arnKind(
  (at, path) => `arn:${at.partition}:apigateway:${at.region}::/apis${path}`,
  () => ['/*'],
)
const API_COLLECTION = arnKind(APIS.arn, () => [''])
/**
 * Routes, integrations and the CORS configuration of an HTTP API: not taggable, and in API Gateway V2
 * they do not inherit the API's tags for access control, so no condition can hold them to the app.
 */
const API_PARTS = arnKind(APIS.arn, () => ['/*/routes', '/*/routes/*', '/*/integrations', '/*/integrations/*', '/*/cors'])
const API_TAGS = arnKind(
  (at, arn) => `arn:${at.partition}:apigateway:${at.region}::/tags/${encodeURIComponent(arn)}`,
  () => ['*'],
)
/** shipit's artifacts bucket and the one app.yaml names; objects are `<bucket>/<key>`. */
const BUCKETS = arnKind(
  (at, name) => `arn:${at.partition}:s3:::${name}`,
  (scope) => [`shipit-artifacts-${scope.account}-${scope.region}`, ...scope.buckets],
)
const OBJECTS = arnKind(BUCKETS.arn, (scope) => BUCKETS.patterns(scope).map((bucket) => `${bucket.split(':::')[1]}/*`))

const fn = (i: { FunctionName?: string }) => i.FunctionName
const api = (path: string) => (i: { ApiId?: string }) => `/${i.ApiId}${path}`
const bucket = (i: { Bucket?: string }) => i.Bucket
const object = (i: { Bucket?: string; Key?: string }) => `${i.Bucket}/${i.Key}`
/** A need only of a request that tags the object it writes. */
const tagged = (need: Need<{ Bucket?: string; Key?: string }>): Need<{ Bucket?: string; Key?: string; Tagging?: string }> => ({
  ...need,
  when: (i) => i.Tagging !== undefined,
})
/** Lambda reads the package from S3 with the caller's permissions. */
const packageObject = (i: { S3Bucket?: string; S3Key?: string; Code?: { S3Bucket?: string; S3Key?: string } }) => {
  const code = i.Code ?? i
  return `${code.S3Bucket}/${code.S3Key}`
}
/** Lambda fetches a package from S3 with the caller's permission: s3:GetObject on it, for the creates and updates that name one. */
const packageRead = {
  ...on(OBJECTS, 's3:GetObject', packageObject),
  when: (i: { S3Bucket?: string; Code?: { S3Bucket?: string } }) => Boolean(i.Code?.S3Bucket ?? i.S3Bucket),
}
const BOTH: PolicyUse[] = ['deploy', 'destroy']
const DEPLOY: PolicyUse[] = ['deploy']
const apiGet = (path: string) => on(API_PARTS, 'apigateway:GET', api(path))

/**
 * A function configured with a layer needs lambda:GetLayerVersion on it: the secrets extension's,
 * for an app with secrets tracked by version (src/targets/lambda/secrets-extension.ts).
 */
const EXTENSION_LAYERS: ResourceKind = {
  arn: (_at, arn) => arn,
  patterns: (scope) => ((scope.secrets ?? []).some((text) => /^(ssm|secretsmanager):/.test(text)) ? extensionLayerArns(scope.region) : []),
}
const layerRead: Need<{ Layers?: string[] }> = {
  ...on(EXTENSION_LAYERS, 'lambda:GetLayerVersion', (i: { Layers?: string[] }) => i.Layers ?? []),
  when: (i) => (i.Layers?.length ?? 0) > 0,
}

const LAMBDA_PERMISSIONS: Permission[] = [
  // a create with tags needs lambda:TagResource too
  permission(
    Lambda.CreateFunction,
    DEPLOY,
    on(FUNCTIONS, 'lambda:CreateFunction', fn),
    on(FUNCTIONS, 'lambda:TagResource', fn),
    passRole(PASSED_ROLES, 'lambda.amazonaws.com', (i) => i.Role),
    packageRead,
    layerRead,
    ...lambdaImagePull(),
  ),
  permission(
    Lambda.UpdateFunctionConfiguration,
    [...DEPLOY, 'other'],
    on(FUNCTIONS, 'lambda:UpdateFunctionConfiguration', fn),
    {
      ...passRole(PASSED_ROLES, 'lambda.amazonaws.com', (i) => i.Role),
      when: (i) => i.Role !== undefined,
    },
    layerRead,
  ),
  permission(Lambda.UpdateFunctionCode, DEPLOY, on(FUNCTIONS, 'lambda:UpdateFunctionCode', fn), packageRead, ...lambdaImagePull()),
  permission(Lambda.PublishVersion, DEPLOY, on(FUNCTIONS, 'lambda:PublishVersion', fn)),
  permission(Lambda.CreateAlias, DEPLOY, on(FUNCTIONS, 'lambda:CreateAlias', fn)),
  permission(Lambda.UpdateAlias, [...DEPLOY, 'other'], on(FUNCTIONS, 'lambda:UpdateAlias', fn)),
  permission(Lambda.AddPermission, DEPLOY, on(FUNCTIONS, 'lambda:AddPermission', fn)),
  permission(Lambda.RemovePermission, BOTH, on(FUNCTIONS, 'lambda:RemovePermission', fn)),
  permission(
    Lambda.TagResource,
    BOTH,
    on(FUNCTIONS, 'lambda:TagResource', (i) => i.Resource),
  ),
  permission(Lambda.DeleteAlias, BOTH, on(FUNCTIONS, 'lambda:DeleteAlias', fn)),
  permission(Lambda.DeleteFunction, ['destroy'], on(FUNCTIONS, 'lambda:DeleteFunction', fn)),
  // the alarms app.yaml names are the user's, of any name (in the app's account and region); metric data has no resource-level permissions
  permission(
    CloudWatch.DescribeAlarms,
    READ,
    on(ALARMS, 'cloudwatch:DescribeAlarms', (i) => i.AlarmNames),
  ),
  permission(CloudWatch.GetMetricData, DEPLOY, anyResource('cloudwatch:GetMetricData')),
  permission(Lambda.PutFunctionConcurrency, DEPLOY, on(FUNCTIONS, 'lambda:PutFunctionConcurrency', fn)),
  permission(Lambda.DeleteFunctionConcurrency, DEPLOY, on(FUNCTIONS, 'lambda:DeleteFunctionConcurrency', fn)),
  permission(Invoke, ['other'], on(FUNCTIONS, 'lambda:InvokeFunction', fn)),
  permission(LambdaReads.GetFunction, READ, on(FUNCTIONS, 'lambda:GetFunction', fn)),
  permission(LambdaReads.GetFunctionConfiguration, READ, on(FUNCTIONS, 'lambda:GetFunctionConfiguration', fn)),
  permission(LambdaReads.GetAlias, READ, on(FUNCTIONS, 'lambda:GetAlias', fn)),
  permission(LambdaReads.GetPolicy, READ, on(FUNCTIONS, 'lambda:GetPolicy', fn)),
  permission(LambdaReads.ListVersionsByFunction, READ, on(FUNCTIONS, 'lambda:ListVersionsByFunction', fn)),
  // API Gateway's actions are its HTTP methods on the paths of the API; its ids say nothing of whose it is, its tag does
  permission(
    LambdaReads.GetApis,
    READ,
    on(API_COLLECTION, 'apigateway:GET', () => ''),
  ),
  permission(LambdaReads.GetIntegrations, READ, apiGet('/integrations')),
  permission(LambdaReads.GetRoutes, READ, apiGet('/routes')),
  permission(
    LambdaReads.GetStage,
    READ,
    on(APIS, 'apigateway:GET', (i) => `/${i.ApiId}/stages/${i.StageName}`, taggedResource),
  ),
  permission(
    ApiGateway.CreateApi,
    DEPLOY,
    on(API_COLLECTION, 'apigateway:POST', () => '', taggedRequest),
  ),
  permission(ApiGateway.CreateIntegration, DEPLOY, on(API_PARTS, 'apigateway:POST', api('/integrations'))),
  permission(ApiGateway.CreateRoute, DEPLOY, on(API_PARTS, 'apigateway:POST', api('/routes'))),
  permission(ApiGateway.CreateStage, DEPLOY, on(APIS, 'apigateway:POST', api('/stages'), taggedRequest)),
  permission(ApiGateway.UpdateApi, DEPLOY, on(APIS, 'apigateway:PATCH', api(''), taggedResource)),
  permission(
    ApiGateway.UpdateIntegration,
    DEPLOY,
    on(API_PARTS, 'apigateway:PATCH', (i) => `/${i.ApiId}/integrations/${i.IntegrationId}`),
  ),
  permission(
    ApiGateway.UpdateRoute,
    DEPLOY,
    on(API_PARTS, 'apigateway:PATCH', (i) => `/${i.ApiId}/routes/${i.RouteId}`),
  ),
  permission(
    ApiGateway.UpdateStage,
    DEPLOY,
    on(APIS, 'apigateway:PATCH', (i) => `/${i.ApiId}/stages/${i.StageName}`, taggedResource),
  ),
  permission(
    ApiGateway.TagResource,
    BOTH,
    on(API_TAGS, 'apigateway:POST', (i: { ResourceArn?: string }) => i.ResourceArn, taggedRequest),
  ),
  permission(ApiGateway.DeleteApi, ['destroy'], on(APIS, 'apigateway:DELETE', api(''), taggedResource)),
  permission(ApiGateway.DeleteCorsConfiguration, DEPLOY, on(API_PARTS, 'apigateway:DELETE', api('/cors'))),
  permission(
    ApiGateway.DeleteIntegration,
    BOTH,
    on(API_PARTS, 'apigateway:DELETE', (i) => `/${i.ApiId}/integrations/${i.IntegrationId}`),
  ),
  permission(
    ApiGateway.DeleteRoute,
    BOTH,
    on(API_PARTS, 'apigateway:DELETE', (i) => `/${i.ApiId}/routes/${i.RouteId}`),
  ),
  // the artifacts bucket: S3's actions differ from its operations' names
  permission(S3.CreateBucket, DEPLOY, on(BUCKETS, 's3:CreateBucket', bucket)),
  permission(S3.PutBucketTagging, DEPLOY, on(BUCKETS, 's3:PutBucketTagging', bucket)),
  permission(S3.PutPublicAccessBlock, DEPLOY, on(BUCKETS, 's3:PutBucketPublicAccessBlock', bucket)),
  permission(S3.PutBucketEncryption, DEPLOY, on(BUCKETS, 's3:PutEncryptionConfiguration', bucket)),
  permission(
    S3.DeleteObjects,
    BOTH,
    on(OBJECTS, 's3:DeleteObject', (i) => `${i.Bucket}/*`),
  ),
  permission(LambdaReads.HeadBucket, READ, on(BUCKETS, 's3:ListBucket', bucket)),
  permission(LambdaReads.GetBucketTagging, READ, on(BUCKETS, 's3:GetBucketTagging', bucket)),
  permission(LambdaReads.GetBucketEncryption, READ, on(BUCKETS, 's3:GetEncryptionConfiguration', bucket)),
  permission(LambdaReads.GetPublicAccessBlock, READ, on(BUCKETS, 's3:GetBucketPublicAccessBlock', bucket)),
  // a listing is s3:ListBucket on the bucket, whatever its prefix
  permission(LambdaReads.ListObjectsV2, READ, on(BUCKETS, 's3:ListBucket', bucket)),
  // destroy proves a package in function.bucket is shipit's by its tags
  permission(LambdaReads.GetObjectTagging, READ, on(OBJECTS, 's3:GetObjectTagging', object)),
  // the package upload (lib-storage: one PutObject, or a multipart upload, all s3:PutObject), and Lambda reading it
  // the package's tags go with the upload (x-amz-tagging), which S3 authorizes as s3:PutObjectTagging too
  localPermission<UploadArtifactInput>(
    UploadArtifact,
    DEPLOY,
    on(OBJECTS, 's3:PutObject', object),
    on(OBJECTS, 's3:PutObjectTagging', object),
    on(OBJECTS, 's3:AbortMultipartUpload', object),
  ),
  sdkPermission('s3', 'PutObject', DEPLOY, on(OBJECTS, 's3:PutObject', object), tagged(on(OBJECTS, 's3:PutObjectTagging', object))),
  sdkPermission('s3', 'CreateMultipartUpload', DEPLOY, on(OBJECTS, 's3:PutObject', object), tagged(on(OBJECTS, 's3:PutObjectTagging', object))),
  sdkPermission('s3', 'UploadPart', DEPLOY, on(OBJECTS, 's3:PutObject', object)),
  sdkPermission('s3', 'CompleteMultipartUpload', DEPLOY, on(OBJECTS, 's3:PutObject', object)),
  sdkPermission('s3', 'AbortMultipartUpload', DEPLOY, on(OBJECTS, 's3:AbortMultipartUpload', object)),
]

/** A failed function update is explained by Lambda's own StateReason / LastUpdateStatusReason. */
async function explainFunctionState(clients: AwsClients, input: Record<string, unknown>): Promise<string | undefined> {
  const fn = await clients.send('lambda', 'GetFunction', { FunctionName: String(input.FunctionName) })
  const c = fn.Configuration ?? {}
  const reason = c.LastUpdateStatus === 'Failed' ? c.LastUpdateStatusReason : c.StateReason
  return reason ? `${c.State ?? ''}${c.LastUpdateStatus ? `/${c.LastUpdateStatus}` : ''}: ${reason}` : undefined
}

// an image function's repository, build and push are the container targets' (src/targets/image/)
export const LAMBDA_CATALOGUE: Catalogue = joinCatalogues(SHARED_CATALOGUE, IMAGE_CATALOGUE, DOMAIN_CATALOGUE, SCHEDULE_CATALOGUE, {
  operations: [
    ...Object.values(ApiGateway),
    ...Object.values(Lambda),
    ...Object.values(S3),
    UploadArtifact,
    ...Object.values(LambdaReads),
    ...Object.values(CloudWatch),
    Invoke,
  ],
  permissions: LAMBDA_PERMISSIONS,
  waiters: { custom: { [RELEASE_WATCH]: watchRelease }, explain: { FunctionActiveV2: explainFunctionState, FunctionUpdatedV2: explainFunctionState } },
  waitRunbook: {
    ...cliWait('lambda', 'FunctionActiveV2', LAMBDA_V2_WAITERS),
    ...cliWait('lambda', 'FunctionUpdatedV2', LAMBDA_V2_WAITERS),
    ...cliWait('lambda', 'PublishedVersionActive', LAMBDA_V2_WAITERS),
    [RELEASE_WATCH]: releaseWatchRunbook,
  },
})
