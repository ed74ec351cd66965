import { createHash } from 'node:crypto'
import {
  ApiGatewayV2Client,
  TagResourceCommand as ApigwTagResourceCommand,
  ConflictException,
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  DeleteApiCommand,
  GetApiCommand,
  GetApisCommand,
  GetRoutesCommand,
  GetStageCommand,
  GetTagsCommand,
  NotFoundException,
  UpdateRouteCommand,
} from '@aws-sdk/client-apigatewayv2'
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand as LogsListTagsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs'
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2'
import {
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListContainerInstancesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  waitUntilTasksStopped,
} from '@aws-sdk/client-ecs'
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam'
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListLayersCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  RemovePermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeAws, type FakeAws } from './aws.js'

const config = { region: 'us-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})
const ECS_TRUST = LAMBDA_TRUST.replace('lambda.amazonaws.com', 'ecs-tasks.amazonaws.com')
const zip = (s: string) => new TextEncoder().encode(s)
const waiter = (client: object) => ({ client, maxWaitTime: 5, minDelay: 1, maxDelay: 1 }) as never

let fake: FakeAws
beforeEach(() => {
  fake = createFakeAws()
})
afterEach(() => {
  fake.restore()
})

async function lambdaRole(iam = new IAMClient(config), name = 'app-role') {
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }))
  return Role?.Arn as string
}

async function createFn(lambda: LambdaClient, name = 'app', code = 'v1') {
  const Role = await lambdaRole(undefined, `${name}-role`)
  const created = await lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role, Code: { ZipFile: zip(code) }, Tags: { app: name } }),
  )
  await waitUntilFunctionActiveV2(waiter(lambda), { FunctionName: name })
  return created
}

describe('sts', () => {
  it('returns the caller identity of the fake account', async () => {
    const id = await new STSClient(config).send(new GetCallerIdentityCommand({}))
    expect(id).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/shipit-test' })
    expect(id.UserId).toBeTruthy()
  })
})

describe('iam', () => {
  it('runs a role through create/read/update/delete like IAM', async () => {
    const iam = new IAMClient(config)
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: 'svc', Path: '/shipit/', AssumeRolePolicyDocument: LAMBDA_TRUST, Tags: [{ Key: 'app', Value: 'a' }] }),
    )
    expect(Role?.Arn).toBe('arn:aws:iam::123456789012:role/shipit/svc')
    expect(Role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/)
    await expect(iam.send(new CreateRoleCommand({ RoleName: 'SVC', AssumeRolePolicyDocument: LAMBDA_TRUST }))).rejects.toBeInstanceOf(
      EntityAlreadyExistsException,
    )

    const got = await iam.send(new GetRoleCommand({ RoleName: 'svc' }))
    expect(got.Role?.AssumeRolePolicyDocument).toBe(encodeURIComponent(LAMBDA_TRUST))
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(JSON.parse(LAMBDA_TRUST))
    expect(got.Role?.CreateDate).toBeInstanceOf(Date)
    expect(got.Role?.Tags).toEqual([{ Key: 'app', Value: 'a' }])

    const policyArn = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'svc', PolicyArn: policyArn }))
    await iam.send(new PutRolePolicyCommand({ RoleName: 'svc', PolicyName: 'inline', PolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }))
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'svc' }))).AttachedPolicies).toEqual([
      { PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: policyArn },
    ])
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'svc' }))).PolicyNames).toEqual(['inline'])
    expect((await iam.send(new GetRolePolicyCommand({ RoleName: 'svc', PolicyName: 'inline' }))).PolicyDocument).toBe(
      encodeURIComponent('{"Version":"2012-10-17","Statement":[]}'),
    )
    await iam.send(new TagRoleCommand({ RoleName: 'svc', Tags: [{ Key: 'env', Value: 'prod' }] }))
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'svc' }))).Tags).toHaveLength(2)
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'svc', PolicyDocument: ECS_TRUST }))

    await expect(iam.send(new DeleteRoleCommand({ RoleName: 'svc' }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
      $metadata: { httpStatusCode: 409 },
    })
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'svc', PolicyArn: policyArn }))
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'svc', PolicyName: 'inline' }))
    await iam.send(new DeleteRoleCommand({ RoleName: 'svc' }))

    const missing = await iam.send(new GetRoleCommand({ RoleName: 'svc' })).catch((e) => e)
    expect(missing).toBeInstanceOf(NoSuchEntityException)
    expect(missing).toMatchObject({ name: 'NoSuchEntityException', message: 'The role with name svc cannot be found.', $fault: 'client' })
    expect(missing.$metadata.httpStatusCode).toBe(404)
  })
})

describe('lambda', () => {
  it('creates, settles, updates and reads a function like Lambda', async () => {
    const lambda = new LambdaClient(config)
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'app',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: await lambdaRole(),
        Code: { ZipFile: zip('code-1') },
        Environment: { Variables: { A: '1' } },
        Tags: { app: 'shipit' },
      }),
    )
    expect(created).toMatchObject({
      FunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:app',
      State: 'Pending',
      Version: '$LATEST',
      MemorySize: 128,
      Timeout: 3,
      Architectures: ['x86_64'],
      CodeSize: 6,
      CodeSha256: createHash('sha256').update('code-1').digest('base64'),
      LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/app' },
    })
    // while Pending, config updates conflict (the product must wait)
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'app', MemorySize: 256 }))).rejects.toBeInstanceOf(
      ResourceConflictException,
    )
    await waitUntilFunctionActiveV2(waiter(lambda), { FunctionName: 'app' })

    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'app' }))
    expect(got.Configuration).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful', Environment: { Variables: { A: '1' } } })
    expect(got.Code?.RepositoryType).toBe('S3')
    expect(got.Tags).toEqual({ app: 'shipit' })
    expect(got.Configuration?.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/)

    const rev1 = got.Configuration?.RevisionId
    const upd = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'app', MemorySize: 512, RevisionId: rev1 }))
    expect(upd).toMatchObject({ MemorySize: 512, Timeout: 3, Handler: 'index.handler', LastUpdateStatus: 'InProgress' })
    expect(upd.RevisionId).not.toBe(rev1)
    await expect(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'app', ZipFile: zip('x') }))).rejects.toMatchObject({
      name: 'ResourceConflictException',
      message: 'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-west-2:123456789012:function:app',
    })
    await waitUntilFunctionUpdatedV2(waiter(lambda), { FunctionName: 'app' })

    // RevisionId precondition
    const stale = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'app', ZipFile: zip('code-2'), RevisionId: rev1 })).catch((e) => e)
    expect(stale).toBeInstanceOf(PreconditionFailedException)
    expect(stale.$metadata.httpStatusCode).toBe(412)

    const code2 = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'app', ZipFile: zip('code-2') }))
    expect(code2.CodeSha256).toBe(createHash('sha256').update('code-2').digest('base64'))
    await waitUntilFunctionUpdatedV2(waiter(lambda), { FunctionName: 'app' })
    expect((await lambda.send(new ListTagsCommand({ Resource: created.FunctionArn }))).Tags).toEqual({ app: 'shipit' })

    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'app' }))
    const missing = await lambda.send(new GetFunctionCommand({ FunctionName: 'app' })).catch((e) => e)
    expect(missing).toBeInstanceOf(ResourceNotFoundException)
    expect(missing).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-west-2:123456789012:function:app',
      $metadata: { httpStatusCode: 404 },
      $fault: 'client',
    })
    expect(fake.state.functions.size).toBe(0)
  })

  it('rejects a role that does not exist or does not trust Lambda', async () => {
    const lambda = new LambdaClient(config)
    const base = { FunctionName: 'f', Runtime: 'nodejs20.x' as const, Handler: 'i.h', Code: { ZipFile: zip('z') } }
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Role: 'not-an-arn' }))).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(lambda.send(new CreateFunctionCommand({ ...base, Role: 'arn:aws:iam::123456789012:role/nope' }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The role defined for the function cannot be assumed by Lambda.',
    })
  })

  it('publishes versions idempotently, with aliases and CodeSha256 precondition', async () => {
    const lambda = new LambdaClient(config)
    await createFn(lambda)
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'app' }))
    expect(v1).toMatchObject({ Version: '1', FunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:app:1' })
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: 'app' }))
    expect(again.Version).toBe('1')
    expect(again.RevisionId).toBe(v1.RevisionId)

    await expect(lambda.send(new PublishVersionCommand({ FunctionName: 'app', CodeSha256: 'AAAA' }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('CodeSHA256 (AAAA) is different from current CodeSHA256 in $LATEST'),
    })

    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'app', ZipFile: zip('v2') }))
    await waitUntilFunctionUpdatedV2(waiter(lambda), { FunctionName: 'app' })
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: 'app', CodeSha256: createHash('sha256').update('v2').digest('base64') }))
    expect(v2.Version).toBe('2')

    const page1 = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'app', MaxItems: 2 }))
    expect(page1.Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1'])
    const page2 = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'app', MaxItems: 2, Marker: page1.NextMarker }))
    expect(page2.Versions?.map((v) => v.Version)).toEqual(['2'])
    expect(page2.NextMarker).toBeUndefined()

    const alias = await lambda.send(new CreateAliasCommand({ FunctionName: 'app', Name: 'live', FunctionVersion: '1' }))
    expect(alias.AliasArn).toBe('arn:aws:lambda:us-west-2:123456789012:function:app:live')
    await expect(lambda.send(new CreateAliasCommand({ FunctionName: 'app', Name: 'live', FunctionVersion: '1' }))).rejects.toBeInstanceOf(
      ResourceConflictException,
    )
    await expect(lambda.send(new UpdateAliasCommand({ FunctionName: 'app', Name: 'live', FunctionVersion: '2', RevisionId: 'stale' }))).rejects.toBeInstanceOf(
      PreconditionFailedException,
    )
    await lambda.send(new UpdateAliasCommand({ FunctionName: 'app', Name: 'live', FunctionVersion: '2', RevisionId: alias.RevisionId }))
    expect((await lambda.send(new GetAliasCommand({ FunctionName: 'app', Name: 'live' }))).FunctionVersion).toBe('2')
    await expect(lambda.send(new DeleteFunctionCommand({ FunctionName: 'app', Qualifier: '2' }))).rejects.toBeInstanceOf(ResourceConflictException)
  })

  it('manages resource policies and invokes programmed handlers', async () => {
    const lambda = new LambdaClient(config)
    await createFn(lambda)
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: 'app' }))).rejects.toBeInstanceOf(ResourceNotFoundException)
    const sourceArn = 'arn:aws:execute-api:us-west-2:123456789012:abc1234567/*/*'
    const added = await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'app',
        StatementId: 'apigw',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: sourceArn,
      }),
    )
    expect(JSON.parse(added.Statement ?? '')).toEqual({
      Sid: 'apigw',
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: 'arn:aws:lambda:us-west-2:123456789012:function:app',
      Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
    })
    await expect(
      lambda.send(
        new AddPermissionCommand({ FunctionName: 'app', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }),
      ),
    ).rejects.toBeInstanceOf(ResourceConflictException)
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'app' }))).Policy ?? '')
    expect(policy).toMatchObject({ Version: '2012-10-17', Id: 'default', Statement: [{ Sid: 'apigw' }] })
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'app', StatementId: 'apigw' }))
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: 'app' }))).rejects.toBeInstanceOf(ResourceNotFoundException)

    fake.setLambdaHandler('app', (event) =>
      event.fail ? { error: { errorMessage: 'boom', errorType: 'Error' } } : { result: { echo: event.x }, logs: ['hello'] },
    )
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'app', Payload: zip(JSON.stringify({ x: 42 })) }))
    expect(ok.StatusCode).toBe(200)
    expect(ok.ExecutedVersion).toBe('$LATEST')
    expect(ok.FunctionError).toBeUndefined()
    expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toEqual({ echo: 42 })
    expect(ok.Payload?.transformToString()).toBe('{"echo":42}')
    const bad = await lambda.send(new InvokeCommand({ FunctionName: 'app', Payload: JSON.stringify({ fail: true }) }))
    expect(bad.FunctionError).toBe('Unhandled')
    expect(JSON.parse(new TextDecoder().decode(bad.Payload))).toMatchObject({ errorMessage: 'boom', errorType: 'Error' })
    // invocations are logged in the function's log group, like Lambda does
    const events = await new CloudWatchLogsClient(config).send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/app', filterPattern: 'hello' }))
    expect(events.events).toHaveLength(1)
  })
})

describe('apigatewayv2', () => {
  it('creates an HTTP API with integration, routes and stage; pages GetApis; cascades delete', async () => {
    const gw = new ApiGatewayV2Client(config)
    const api = await gw.send(new CreateApiCommand({ Name: 'app', ProtocolType: 'HTTP', Tags: { app: 'shipit' }, CorsConfiguration: { AllowOrigins: ['*'] } }))
    expect(api.ApiId).toMatch(/^[a-z0-9]{10}$/)
    expect(api.ApiEndpoint).toBe(`https://${api.ApiId}.execute-api.us-west-2.amazonaws.com`)
    expect(api.CreatedDate).toBeInstanceOf(Date)
    const fnArn = 'arn:aws:lambda:us-west-2:123456789012:function:app'
    const integ = await gw.send(
      new CreateIntegrationCommand({ ApiId: api.ApiId, IntegrationType: 'AWS_PROXY', IntegrationUri: fnArn, PayloadFormatVersion: '2.0' }),
    )
    expect(integ.IntegrationId).toMatch(/^[a-z0-9]{7}$/)
    expect(integ.IntegrationMethod).toBe('POST')
    const route = await gw.send(new CreateRouteCommand({ ApiId: api.ApiId, RouteKey: '$default', Target: `integrations/${integ.IntegrationId}` }))
    expect(route).toMatchObject({ RouteKey: '$default', Target: `integrations/${integ.IntegrationId}`, AuthorizationType: 'NONE' })
    await expect(gw.send(new CreateRouteCommand({ ApiId: api.ApiId, RouteKey: '$default' }))).rejects.toBeInstanceOf(ConflictException)
    await gw.send(new CreateRouteCommand({ ApiId: api.ApiId, RouteKey: 'GET /health', Target: `integrations/${integ.IntegrationId}` }))
    await gw.send(new UpdateRouteCommand({ ApiId: api.ApiId, RouteId: route.RouteId, AuthorizationType: 'NONE' }))
    expect((await gw.send(new GetRoutesCommand({ ApiId: api.ApiId }))).Items).toHaveLength(2)
    await gw.send(new CreateStageCommand({ ApiId: api.ApiId, StageName: '$default', AutoDeploy: true }))
    expect(await gw.send(new GetStageCommand({ ApiId: api.ApiId, StageName: '$default' }))).toMatchObject({ StageName: '$default', AutoDeploy: true })

    const arn = `arn:aws:apigateway:us-west-2::/apis/${api.ApiId}`
    await gw.send(new ApigwTagResourceCommand({ ResourceArn: arn, Tags: { env: 'prod' } }))
    expect((await gw.send(new GetTagsCommand({ ResourceArn: arn }))).Tags).toEqual({ app: 'shipit', env: 'prod' })

    await gw.send(new CreateApiCommand({ Name: 'b', ProtocolType: 'HTTP' }))
    await gw.send(new CreateApiCommand({ Name: 'c', ProtocolType: 'HTTP' }))
    const p1 = await gw.send(new GetApisCommand({ MaxResults: '2' }))
    expect(p1.Items?.map((a) => a.Name)).toEqual(['app', 'b'])
    const p2 = await gw.send(new GetApisCommand({ MaxResults: '2', NextToken: p1.NextToken }))
    expect(p2.Items?.map((a) => a.Name)).toEqual(['c'])
    expect(p2.NextToken).toBeUndefined()

    await gw.send(new DeleteApiCommand({ ApiId: api.ApiId }))
    const missing = await gw.send(new GetApiCommand({ ApiId: api.ApiId })).catch((e) => e)
    expect(missing).toBeInstanceOf(NotFoundException)
    expect(missing.message).toBe(`Invalid API identifier specified 123456789012:${api.ApiId}`)
    expect(missing.$metadata.httpStatusCode).toBe(404)
  })

  it('serves HTTP requests end to end only when the Lambda permission exists', async () => {
    const lambda = new LambdaClient(config)
    const fn = await createFn(lambda)
    fake.setLambdaHandler('app', (event) => ({ result: { statusCode: 200, body: `hi ${event.rawPath}` } }))
    const api = await new ApiGatewayV2Client(config).send(new CreateApiCommand({ Name: 'quick', ProtocolType: 'HTTP', Target: fn.FunctionArn }))
    const url = `${api.ApiEndpoint}/hello`
    expect((await fake.http({ url })).statusCode).toBe(500)
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'app',
        StatementId: 'apigw',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:us-west-2:123456789012:${api.ApiId}/*`,
      }),
    )
    expect(await fake.http({ url })).toMatchObject({ statusCode: 200, body: 'hi /hello' })
  })
})

describe('logs', () => {
  it('manages log groups, tags, retention and events', async () => {
    const logs = new CloudWatchLogsClient(config)
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/shipit/app', tags: { app: 'a' } }))
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: '/shipit/app' }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException)
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/shipit/app', retentionInDays: 14 }))
    await expect(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/shipit/app', retentionInDays: 13 }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    })
    const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/shipit/' }))
    expect(logGroups).toEqual([
      expect.objectContaining({
        logGroupName: '/shipit/app',
        retentionInDays: 14,
        arn: 'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/app:*',
        logGroupArn: 'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/app',
      }),
    ])
    expect((await logs.send(new LogsListTagsCommand({ resourceArn: logGroups?.[0].logGroupArn }))).tags).toEqual({ app: 'a' })
    // like AWS, the ':*' form is rejected by the tagging APIs
    await expect(logs.send(new LogsListTagsCommand({ resourceArn: logGroups?.[0].arn }))).rejects.toMatchObject({ name: 'ValidationException' })

    fake.putLogEvents('/shipit/app', 'web/app/1', [
      { timestamp: 1000, message: 'starting' },
      { timestamp: 2000, message: 'ERROR boom' },
      { timestamp: 3000, message: 'listening on 8080' },
    ])
    fake.putLogEvents('/shipit/app', 'web/app/2', [{ timestamp: 1500, message: 'ERROR other' }])
    const errors = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shipit/app', filterPattern: 'ERROR' }))
    expect(errors.events?.map((e) => [e.logStreamName, e.message])).toEqual([
      ['web/app/2', 'ERROR other'],
      ['web/app/1', 'ERROR boom'],
    ])
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shipit/app', limit: 2, startTime: 1000 }))
    expect(first.events?.map((e) => e.timestamp)).toEqual([1000, 1500])
    const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shipit/app', limit: 2, startTime: 1000, nextToken: first.nextToken }))
    expect(rest.events?.map((e) => e.timestamp)).toEqual([2000, 3000])
    expect(rest.nextToken).toBeUndefined()
    const head = await logs.send(new GetLogEventsCommand({ logGroupName: '/shipit/app', logStreamName: 'web/app/1', startFromHead: true, limit: 2 }))
    expect(head.events?.map((e) => e.message)).toEqual(['starting', 'ERROR boom'])
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: '/shipit/app', logStreamName: 'web/app/1', nextToken: head.nextForwardToken }))
    expect(tail.events?.map((e) => e.message)).toEqual(['listening on 8080'])
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/shipit/app', orderBy: 'LastEventTime', descending: true }))
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual(['web/app/1', 'web/app/2'])

    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/shipit/app' }))
    await expect(logs.send(new DeleteLogGroupCommand({ logGroupName: '/shipit/app' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
    })
  })
})

describe('ec2', () => {
  it('seeds the default VPC and manages security groups', async () => {
    const ec2 = new EC2Client(config)
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }))
    expect(Vpcs).toEqual([expect.objectContaining({ VpcId: 'vpc-0default', CidrBlock: '172.31.0.0/16', IsDefault: true })])
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({
        Filters: [
          { Name: 'vpc-id', Values: ['vpc-0default'] },
          { Name: 'default-for-az', Values: ['true'] },
        ],
      }),
    )
    expect(Subnets?.map((s) => s.AvailabilityZone)).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c'])

    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'app-sg',
        Description: 'app',
        VpcId: 'vpc-0default',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'shipit:app', Value: 'app' }] }],
      }),
    )
    expect(GroupId).toMatch(/^sg-[0-9a-f]{17}$/)
    await expect(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app-sg', Description: 'x', VpcId: 'vpc-0default' }))).rejects.toMatchObject({
      name: 'InvalidGroup.Duplicate',
    })
    const perm = { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }))
    await expect(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }))).rejects.toMatchObject({
      name: 'InvalidPermission.Duplicate',
      message: 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" already exists',
    })
    await ec2.send(new CreateTagsCommand({ Resources: [GroupId as string], Tags: [{ Key: 'env', Value: 'prod' }] }))
    const byTag = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:shipit:app', Values: ['app'] }] }))
    expect(byTag.SecurityGroups).toHaveLength(1)
    expect(byTag.SecurityGroups?.[0].IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ])
    expect(byTag.SecurityGroups?.[0].Tags).toHaveLength(2)
    const byName = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: ['default'] },
          { Name: 'vpc-id', Values: ['vpc-0default'] },
        ],
      }),
    )
    expect(byName.SecurityGroups?.[0].GroupId).toBe('sg-0default')
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }))
    await expect(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }))).rejects.toMatchObject({
      name: 'InvalidPermission.NotFound',
    })
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }))
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] }))).rejects.toMatchObject({
      name: 'InvalidGroup.NotFound',
      $metadata: { httpStatusCode: 400 },
    })
  })

  it('can start without a default VPC', async () => {
    fake.restore()
    fake = createFakeAws({ defaultVpc: false })
    expect((await new EC2Client(config).send(new DescribeVpcsCommand({}))).Vpcs).toEqual([])
  })
})

describe('ecs', () => {
  const ecs = () => new ECSClient(config)
  const fargateTd = (image: string) =>
    new RegisterTaskDefinitionCommand({
      family: 'web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      containerDefinitions: [
        {
          name: 'app',
          image,
          portMappings: [{ containerPort: 8080 }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/shipit/web', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'web' },
          },
        },
      ],
      tags: [{ key: 'app', value: 'web' }],
    })
  const network = {
    awsvpcConfiguration: { subnets: ['subnet-0defaulta', 'subnet-0defaultb'], securityGroups: ['sg-0default'], assignPublicIp: 'ENABLED' as const },
  }

  async function setup(client: ECSClient) {
    await new CloudWatchLogsClient(config).send(new CreateLogGroupCommand({ logGroupName: '/shipit/web' }))
    await client.send(new CreateClusterCommand({ clusterName: 'shipit', tags: [{ key: 'app', value: 'web' }] }))
    return (await client.send(fargateTd('nginx:1'))).taskDefinition?.taskDefinitionArn as string
  }

  it('handles clusters and task definition revisions like ECS', async () => {
    const client = ecs()
    const a = await client.send(new CreateClusterCommand({ clusterName: 'c1' }))
    const b = await client.send(new CreateClusterCommand({ clusterName: 'c1' }))
    expect(b.cluster?.clusterArn).toBe(a.cluster?.clusterArn)
    expect(a.cluster?.clusterArn).toBe('arn:aws:ecs:us-west-2:123456789012:cluster/c1')
    const described = await client.send(new DescribeClustersCommand({ clusters: ['c1', 'nope'] }))
    expect(described.clusters?.[0]).toMatchObject({ status: 'ACTIVE', registeredContainerInstancesCount: 0, runningTasksCount: 0 })
    expect(described.failures).toEqual([{ arn: 'arn:aws:ecs:us-west-2:123456789012:cluster/nope', reason: 'MISSING' }])

    const r1 = await client.send(fargateTd('nginx:1'))
    expect(r1.taskDefinition).toMatchObject({
      family: 'web',
      revision: 1,
      status: 'ACTIVE',
      taskDefinitionArn: 'arn:aws:ecs:us-west-2:123456789012:task-definition/web:1',
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [],
    })
    expect(r1.taskDefinition?.containerDefinitions?.[0]).toEqual({
      name: 'app',
      image: 'nginx:1',
      portMappings: [{ containerPort: 8080 }],
      logConfiguration: expect.any(Object),
    })
    expect(r1.taskDefinition).not.toHaveProperty('tags')
    await client.send(fargateTd('nginx:2'))
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:2' }))
    const r3 = await client.send(fargateTd('nginx:3'))
    expect(r3.taskDefinition?.revision).toBe(3)
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:3' }))
    const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web', include: ['TAGS'] }))
    expect(latest.taskDefinition?.revision).toBe(1)
    expect(latest.tags).toEqual([{ key: 'app', value: 'web' }])
    expect((await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:2' }))).taskDefinition?.status).toBe('INACTIVE')
    expect((await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', sort: 'DESC' }))).taskDefinitionArns).toEqual([
      'arn:aws:ecs:us-west-2:123456789012:task-definition/web:1',
    ])
    await expect(client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' }))).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.',
    })
    await expect(
      client.send(
        new RegisterTaskDefinitionCommand({
          family: 'x',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'bridge',
          containerDefinitions: [{ name: 'a', image: 'i', memory: 128 }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ClientException', message: 'Fargate only supports network mode \u2018awsvpc\u2019.' })

    await client.send(new DeleteClusterCommand({ cluster: 'c1' }))
    expect((await client.send(new DescribeClustersCommand({ clusters: ['c1'] }))).clusters?.[0].status).toBe('INACTIVE')
    await expect(client.send(new DescribeServicesCommand({ cluster: 'ghost', services: ['x'] }))).rejects.toBeInstanceOf(ClusterNotFoundException)
  })

  it('deploys, redeploys and destroys a Fargate service; waiters return immediately', async () => {
    const client = ecs()
    const td1 = await setup(client)
    const created = await client.send(
      new CreateServiceCommand({
        cluster: 'shipit',
        serviceName: 'web',
        taskDefinition: 'web',
        desiredCount: 2,
        launchType: 'FARGATE',
        networkConfiguration: network,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
        tags: [{ key: 'app', value: 'web' }],
        propagateTags: 'SERVICE',
      }),
    )
    expect(created.service).toMatchObject({ status: 'ACTIVE', desiredCount: 2, runningCount: 2, taskDefinition: td1 })
    expect(created.service?.deployments).toEqual([
      expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2, desiredCount: 2, taskDefinition: td1 }),
    ])
    expect(created.service?.deployments?.[0].id).toMatch(/^ecs-svc\/\d{19}$/)
    await waitUntilServicesStable(waiter(client), { cluster: 'shipit', services: ['web'] })

    // public IPs of the tasks through their ENIs
    const { taskArns } = await client.send(new ListTasksCommand({ cluster: 'shipit', serviceName: 'web' }))
    expect(taskArns).toHaveLength(2)
    const { tasks } = await client.send(new DescribeTasksCommand({ cluster: 'shipit', tasks: taskArns }))
    const eniId = tasks?.[0].attachments?.[0].details?.find((d) => d.name === 'networkInterfaceId')?.value as string
    const { NetworkInterfaces } = await new EC2Client(config).send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))
    expect(NetworkInterfaces?.[0].Association?.PublicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/)

    const td2 = (await client.send(fargateTd('nginx:2'))).taskDefinition?.taskDefinitionArn
    const updated = await client.send(new UpdateServiceCommand({ cluster: 'shipit', service: 'web', taskDefinition: td2 }))
    expect(updated.service?.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: td2, rolloutState: 'COMPLETED' })])
    await waitUntilServicesStable(waiter(client), { cluster: 'shipit', services: ['web'] })
    expect((await client.send(new ListTasksCommand({ cluster: 'shipit', serviceName: 'web' }))).taskArns).toHaveLength(2)
    expect(fake.state.networkInterfaces.size).toBe(2)

    const described = await client.send(new DescribeServicesCommand({ cluster: 'shipit', services: ['web', 'ghost'], include: ['TAGS'] }))
    expect(described.services?.[0].tags).toEqual([{ key: 'app', value: 'web' }])
    expect(described.failures).toEqual(
      [{ arn: 'arn:aws:ecs:us-west-2:123456789012:service/shipit/web', reason: 'MISSING' }].map((f) => ({ ...f, arn: f.arn.replace('web', 'ghost') })),
    )

    await expect(client.send(new DeleteServiceCommand({ cluster: 'shipit', service: 'web' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'The service cannot be stopped while it is scaled above 0.',
    })
    await expect(client.send(new DeleteClusterCommand({ cluster: 'shipit' }))).rejects.toMatchObject({ name: 'ClusterContainsServicesException' })
    const deleted = await client.send(new DeleteServiceCommand({ cluster: 'shipit', service: 'web', force: true }))
    expect(deleted.service?.status).toBe('DRAINING')
    expect((await client.send(new DescribeServicesCommand({ cluster: 'shipit', services: ['web'] }))).services?.[0].status).toBe('INACTIVE')
    expect(fake.state.networkInterfaces.size).toBe(0)
    await client.send(new DeleteClusterCommand({ cluster: 'shipit' }))
  })

  it('rolls back a FAILED deployment like the circuit breaker does', async () => {
    const client = ecs()
    const td1 = await setup(client)
    await client.send(
      new CreateServiceCommand({
        cluster: 'shipit',
        serviceName: 'web',
        taskDefinition: td1,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: network,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    )
    const td2 = (await client.send(fargateTd('nginx:broken'))).taskDefinition?.taskDefinitionArn
    fake.state.ecs.nextRollout = 'FAILED'
    const accepted = await client.send(new UpdateServiceCommand({ cluster: 'shipit', service: 'web', taskDefinition: td2 }))
    const newId = accepted.service?.deployments?.[0].id
    expect(accepted.service?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: td2, rolloutState: 'IN_PROGRESS' })

    const seen = (await client.send(new DescribeServicesCommand({ cluster: 'shipit', services: ['web'] }))).services?.[0]
    expect(seen?.taskDefinition).toBe(td1)
    expect(seen?.deployments).toEqual([
      expect.objectContaining({ status: 'PRIMARY', taskDefinition: td1, rolloutState: 'COMPLETED', runningCount: 1 }),
      expect.objectContaining({
        id: newId,
        status: 'ACTIVE',
        taskDefinition: td2,
        rolloutState: 'FAILED',
        rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      }),
    ])
    expect(seen?.events?.map((e) => e.message)).toContain(`(service web) (deployment ${newId}) deployment failed: tasks failed to start.`)
    // the failed deployment drains, after which the (rolled back) service is stable again
    await waitUntilServicesStable(waiter(client), { cluster: 'shipit', services: ['web'] })
    const stopped = await client.send(new ListTasksCommand({ cluster: 'shipit', desiredStatus: 'STOPPED' }))
    expect(stopped.taskArns?.length).toBeGreaterThan(0)
  })

  it('runs one-off tasks with a programmed outcome and logs', async () => {
    const client = ecs()
    const td = await setup(client)
    fake.state.ecs.taskOutcome = { exitCode: 3, stoppedReason: 'Essential container in task exited', logLines: ['migrating', 'failed'] }
    const run = await client.send(
      new RunTaskCommand({ cluster: 'shipit', taskDefinition: td, launchType: 'FARGATE', networkConfiguration: network, startedBy: 'shipit' }),
    )
    const arn = run.tasks?.[0].taskArn as string
    expect(run.tasks?.[0]).toMatchObject({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', group: 'family:web', startedBy: 'shipit' })
    await waitUntilTasksStopped(waiter(client), { cluster: 'shipit', tasks: [arn] })
    const { tasks } = await client.send(new DescribeTasksCommand({ cluster: 'shipit', tasks: [arn] }))
    expect(tasks?.[0]).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' })
    expect(tasks?.[0].containers).toEqual([expect.objectContaining({ name: 'app', exitCode: 3, lastStatus: 'STOPPED' })])
    const taskId = arn.split('/').pop()
    const logs = await new CloudWatchLogsClient(config).send(
      new GetLogEventsCommand({ logGroupName: '/shipit/web', logStreamName: `web/app/${taskId}`, startFromHead: true }),
    )
    expect(logs.events?.map((e) => e.message)).toEqual(['migrating', 'failed'])

    // without an outcome the task keeps running until stopped
    fake.state.ecs.taskOutcome = undefined
    const run2 = await client.send(new RunTaskCommand({ cluster: 'shipit', taskDefinition: td, launchType: 'FARGATE', networkConfiguration: network }))
    const arn2 = run2.tasks?.[0].taskArn as string
    expect((await client.send(new DescribeTasksCommand({ cluster: 'shipit', tasks: [arn2] }))).tasks?.[0].lastStatus).toBe('RUNNING')
    await client.send(new StopTaskCommand({ cluster: 'shipit', task: arn2, reason: 'done' }))
    await waitUntilTasksStopped(waiter(client), { cluster: 'shipit', tasks: [arn2] })
  })

  it('needs container instances for the EC2 launch type', async () => {
    const client = ecs()
    const td = (
      await client.send(new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [{ name: 'w', image: 'busybox', memory: 128 }] }))
    ).taskDefinition?.taskDefinitionArn
    await client.send(new CreateClusterCommand({ clusterName: 'ec2' }))
    const err = await client.send(new RunTaskCommand({ cluster: 'ec2', taskDefinition: td })).catch((e) => e)
    expect(err).toBeInstanceOf(InvalidParameterException)
    expect(err.message).toBe('No Container Instances were found in your cluster.')

    fake.restore()
    fake = createFakeAws({ containerInstances: 2 })
    const c2 = ecs()
    await c2.send(new CreateClusterCommand({ clusterName: 'ec2' }))
    await c2.send(new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [{ name: 'w', image: 'busybox', memory: 128 }] }))
    expect((await c2.send(new ListContainerInstancesCommand({ cluster: 'ec2' }))).containerInstanceArns).toHaveLength(2)
    const svc = await c2.send(new CreateServiceCommand({ cluster: 'ec2', serviceName: 'w', taskDefinition: 'worker', desiredCount: 2 }))
    expect(svc.service).toMatchObject({ launchType: 'EC2', runningCount: 2 })
    expect((await c2.send(new DescribeClustersCommand({ clusters: ['ec2'] }))).clusters?.[0]).toMatchObject({
      registeredContainerInstancesCount: 2,
      runningTasksCount: 2,
      activeServicesCount: 1,
    })
    // container instances are backed by EC2 instances with public IPs in the default VPC
    const { Reservations } = await new EC2Client(config).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }))
    expect(Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.PublicIpAddress)).toEqual([expect.any(String), expect.any(String)])
    await expect(c2.send(new DeleteClusterCommand({ cluster: 'ec2' }))).rejects.toMatchObject({ name: 'ClusterContainsServicesException' })
  })
})

describe('fault injection, call log and latency', () => {
  it('classifies calls and records inputs', async () => {
    const iam = new IAMClient(config)
    await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: LAMBDA_TRUST }))
    await iam.send(new GetRoleCommand({ RoleName: 'r' }))
    await iam.send(new ListRoleTagsCommand({ RoleName: 'r' }))
    await new STSClient(config).send(new GetCallerIdentityCommand({}))
    await new CloudWatchLogsClient(config).send(new FilterLogEventsCommand({ logGroupName: 'x' })).catch(() => undefined)
    await new EC2Client(config).send(new DescribeVpcsCommand({}))
    expect(fake.calls.map((c) => `${c.service}:${c.operation}`)).toEqual([
      'iam:CreateRole',
      'iam:GetRole',
      'iam:ListRoleTags',
      'sts:GetCallerIdentity',
      'logs:FilterLogEvents',
      'ec2:DescribeVpcs',
    ])
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['CreateRole'])
    expect(fake.calls[0].input).toEqual({ RoleName: 'r', AssumeRolePolicyDocument: LAMBDA_TRUST })
    expect(typeof fake.calls[0].at).toBe('number')
    expect(fake.callsOf('iam:GetRole')).toHaveLength(1)
    // the underlying aws-sdk-client-mock stubs see the same commands
    expect(fake.mocks.iam.commandCalls(CreateRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'r', AssumeRolePolicyDocument: LAMBDA_TRUST }])
  })

  it('failOn fails the n-th matching call, `times` times, without running it', async () => {
    const logs = new CloudWatchLogsClient(config)
    fake.failOn('CreateLogGroup', undefined, { nth: 2, times: 2 })
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'a' }))
    const e = await logs.send(new CreateLogGroupCommand({ logGroupName: 'b' })).catch((x) => x)
    expect(e).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } })
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: 'c' }))).rejects.toMatchObject({ name: 'ThrottlingException' })
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'd' }))
    expect([...fake.state.logGroups.keys()]).toEqual(['a', 'd'])

    fake.failOn('lambda:GetFunction', { name: 'ResourceNotFoundException', message: 'gone', httpStatus: 404 })
    const err = await new LambdaClient(config).send(new GetFunctionCommand({ FunctionName: 'x' })).catch((x) => x)
    expect(err).toBeInstanceOf(ResourceNotFoundException)
    expect(err.message).toBe('gone')
  })

  it('failAtMutation fails the k-th mutating call only, ignoring reads', async () => {
    const iam = new IAMClient(config)
    fake.failAtMutation(2)
    await iam.send(new CreateRoleCommand({ RoleName: 'one', AssumeRolePolicyDocument: LAMBDA_TRUST }))
    await iam.send(new GetRoleCommand({ RoleName: 'one' }))
    await expect(iam.send(new CreateRoleCommand({ RoleName: 'two', AssumeRolePolicyDocument: LAMBDA_TRUST }))).rejects.toMatchObject({
      name: 'InternalFailure',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    })
    await iam.send(new CreateRoleCommand({ RoleName: 'three', AssumeRolePolicyDocument: LAMBDA_TRUST }))
    expect([...fake.state.roles.keys()]).toEqual(['one', 'three'])
    expect(fake.mutatingCalls()).toHaveLength(3)
  })

  it('throws an error naming an unimplemented operation', async () => {
    await expect(new LambdaClient(config).send(new ListLayersCommand({}))).rejects.toThrow(/lambda:ListLayers/)
  })

  it('deep-copies inputs and outputs', async () => {
    const gw = new ApiGatewayV2Client(config)
    const tags = { a: '1' }
    const api = await gw.send(new CreateApiCommand({ Name: 'n', ProtocolType: 'HTTP', Tags: tags }))
    tags.a = 'mutated'
    ;(api.Tags as Record<string, string>).b = 'x'
    expect((await gw.send(new GetApiCommand({ ApiId: api.ApiId }))).Tags).toEqual({ a: '1' })
    expect(fake.calls[0].input.Tags).toEqual({ a: '1' })
  })

  it('delays calls by latencyMs', async () => {
    fake.latencyMs = 60
    const t0 = performance.now()
    await Promise.all([1, 2, 3].map(() => new STSClient(config).send(new GetCallerIdentityCommand({}))))
    const elapsed = performance.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(55)
    expect(elapsed).toBeLessThan(500)
  })

  it('reset() goes back to the seeded state', async () => {
    await new CloudWatchLogsClient(config).send(new CreateLogGroupCommand({ logGroupName: 'g' }))
    fake.latencyMs = 5
    fake.reset()
    expect(fake.calls).toEqual([])
    expect(fake.state.logGroups.size).toBe(0)
    expect(fake.state.vpcs.has('vpc-0default')).toBe(true)
    expect(fake.latencyMs).toBe(0)
  })
})
