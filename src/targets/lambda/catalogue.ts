import type { AwsClients } from '../../aws/clients.js'
import { TAG_APP } from '../../manifest/names.js'
import { awsOperation, type Catalogue, joinCatalogues, localOperation } from '../../plan/catalogue.js'
import { type Artifact, isArtifact } from '../../plan/types.js'
import { BEFORE_2020, LAMBDA_ARCHITECTURES, LAMBDA_LOGGING_CONFIG, LAMBDA_V2_WAITERS, S3_EXPECTED_BUCKET_OWNER } from '../cli-versions.js'
import { anyTagMap, notOurs, read, sameOwner } from '../read-back.js'
import { cliWait, DELETE, OLD_COMMAND, SHARED_CATALOGUE, TAG, UPDATE } from '../shared-catalogue.js'

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
    idempotency: { kind: 'recover', read: 'GetFunction with shipit tags' },
    runbook: { cli: BEFORE_2020, members: FUNCTION_OPTIONS },
    recover: async (input, clients) => {
      const fn = await read(clients.send('lambda', 'GetFunction', { FunctionName: input.FunctionName }))
      if (!fn) return undefined
      const what = `function ${input.FunctionName}`
      if (!sameOwner(input.Tags, fn.Tags) || !fn.Tags) throw notOurs(what)
      return { outputs: { ...fn.Configuration }, what }
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
  UpdateAlias: awsOperation('lambda', 'UpdateAlias', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagResource: awsOperation('lambda', 'TagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  RemovePermission: awsOperation('lambda', 'RemovePermission', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteAlias: awsOperation('lambda', 'DeleteAlias', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DeleteFunction: awsOperation('lambda', 'DeleteFunction', { idempotency: DELETE, runbook: OLD_COMMAND }),
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

/** A failed function update is explained by Lambda's own StateReason / LastUpdateStatusReason. */
async function explainFunctionState(clients: AwsClients, input: Record<string, unknown>): Promise<string | undefined> {
  const fn = await clients.send('lambda', 'GetFunction', { FunctionName: String(input.FunctionName) })
  const c = fn.Configuration ?? {}
  const reason = c.LastUpdateStatus === 'Failed' ? c.LastUpdateStatusReason : c.StateReason
  return reason ? `${c.State ?? ''}${c.LastUpdateStatus ? `/${c.LastUpdateStatus}` : ''}: ${reason}` : undefined
}

export const LAMBDA_CATALOGUE: Catalogue = joinCatalogues(SHARED_CATALOGUE, {
  operations: [...Object.values(ApiGateway), ...Object.values(Lambda), ...Object.values(S3), UploadArtifact],
  waiters: { custom: {}, explain: { FunctionActiveV2: explainFunctionState, FunctionUpdatedV2: explainFunctionState } },
  waitRunbook: {
    ...cliWait('lambda', 'FunctionActiveV2', LAMBDA_V2_WAITERS),
    ...cliWait('lambda', 'FunctionUpdatedV2', LAMBDA_V2_WAITERS),
    ...cliWait('lambda', 'PublishedVersionActive', LAMBDA_V2_WAITERS),
  },
})
