import type { AcmState } from './acm.js'
import type { ApiGatewayV2State } from './apigatewayv2.js'
import type { CloudWatchState } from './cloudwatch.js'
import type { Ids } from './core.js'
import type { DynamoDbState } from './dynamodb.js'
import type { Ec2State } from './ec2.js'
import type { EcrState } from './ecr.js'
import type { EcsState } from './ecs.js'
import type { Elbv2State } from './elbv2.js'
import type { IamState } from './iam.js'
import type { LambdaState } from './lambda.js'
import type { LogsState } from './logs.js'
import type { Route53State } from './route53.js'
import type { S3State } from './s3.js'
import type { SchedulerState } from './scheduler.js'
import type { SecretsManagerState } from './secretsmanager.js'
import type { SsmState } from './ssm.js'
import type { StsState } from './sts.js'

/** Realism switches. Defaults are the realistic behaviour; tests may relax them. */
export interface FakeBehavior {
  /**
   * Lambda: CreateFunction leaves the function `Pending` and UpdateFunctionCode/Configuration leave
   * `LastUpdateStatus: InProgress` until the function is next read with GetFunction/GetFunctionConfiguration
   * (which is what the SDK waiters poll). A conflicting call before that read fails with
   * ResourceConflictException, as on AWS. `false` = every change is settled immediately.
   */
  lambdaSettleOnRead: boolean
  /** Lambda: the execution role must exist in the fake IAM (same account) and trust lambda.amazonaws.com. */
  lambdaValidateRole: boolean
  /** ECS: tasks whose awslogs log group does not exist (and no awslogs-create-group) fail to start. */
  ecsRequireLogGroup: boolean
  /** ECS: how many DescribeServices responses still show a FAILED (rolled back) deployment before it drains. */
  ecsFailedDeploymentLingers: number
  /**
   * ECS: seconds after CreateRole during which ECS cannot assume the role yet (IAM propagation):
   * RunTask answers ClientException and CreateService InvalidParameterException "ECS was unable to
   * assume the role '…' that was provided for this task. …" for a task definition naming it. 0 = at once.
   */
  ecsRolePropagationSeconds: number
  /**
   * ECS: a fresh account, without AWSServiceRoleForECS: the first CreateCluster starts creating it,
   * and the next CreateService or RunTask fails once with InvalidParameterException "Unable to
   * assume the service linked role. Please verify that the ECS service linked role exists."
   */
  ecsFreshAccount: boolean
  /** ECS: seconds a deleted service stays DRAINING before it is INACTIVE. 0 = INACTIVE at once. */
  ecsServiceDrainSeconds: number
  /** API Gateway: default page size of GetApis/GetRoutes/... when MaxResults is not given. */
  apigwDefaultPageSize: number
  /** DynamoDB: how many DescribeTable answers show a new table CREATING (item calls meanwhile: ResourceNotFoundException). */
  dynamodbCreatingReads: number
}

export const DEFAULT_BEHAVIOR: FakeBehavior = {
  lambdaSettleOnRead: true,
  lambdaValidateRole: true,
  ecsRequireLogGroup: true,
  ecsFailedDeploymentLingers: 1,
  ecsRolePropagationSeconds: 0,
  ecsFreshAccount: false,
  ecsServiceDrainSeconds: 0,
  apigwDefaultPageSize: 25,
  dynamodbCreatingReads: 1,
}

export interface FakeState {
  sts: StsState
  lambda: LambdaState
  apigatewayv2: ApiGatewayV2State
  iam: IamState
  logs: LogsState
  ecs: EcsState
  ec2: Ec2State
  ecr: EcrState
  s3: S3State
  dynamodb: DynamoDbState
  scheduler: SchedulerState
  ssm: SsmState
  secretsmanager: SecretsManagerState
  cloudwatch: CloudWatchState
  acm: AcmState
  route53: Route53State
  elbv2: Elbv2State
  // flat aliases of the per-service collections
  readonly functions: LambdaState['functions']
  readonly apis: ApiGatewayV2State['apis']
  readonly roles: IamState['roles']
  readonly logGroups: LogsState['logGroups']
  readonly clusters: EcsState['clusters']
  readonly services: EcsState['services']
  readonly taskDefinitions: EcsState['taskDefinitions']
  readonly tasks: EcsState['tasks']
  readonly containerInstances: EcsState['containerInstances']
  readonly vpcs: Ec2State['vpcs']
  readonly subnets: Ec2State['subnets']
  readonly securityGroups: Ec2State['securityGroups']
  readonly networkInterfaces: Ec2State['networkInterfaces']
  readonly instances: Ec2State['instances']
}

export interface FakeContext {
  account: string
  region: string
  ids: Ids
  now(): Date
  state: FakeState
  behavior: FakeBehavior
  containerInstancesPerCluster: number
}
