/**
 * The AWS services shipit talks to, and the types of their operations, read off the SDK's own
 * command classes: `OperationInput<'lambda', 'CreateFunction'>` is `CreateFunctionCommandInput`.
 * Type-only imports: nothing here loads an SDK package.
 */
export interface ServiceModules {
  lambda: typeof import('@aws-sdk/client-lambda')
  apigatewayv2: typeof import('@aws-sdk/client-apigatewayv2')
  iam: typeof import('@aws-sdk/client-iam')
  sts: typeof import('@aws-sdk/client-sts')
  logs: typeof import('@aws-sdk/client-cloudwatch-logs')
  ecs: typeof import('@aws-sdk/client-ecs')
  ec2: typeof import('@aws-sdk/client-ec2')
  ecr: typeof import('@aws-sdk/client-ecr')
  /** shipit prune and the expiry of preview envs: resources found and tagged by their tags */
  resourcegroupstaggingapi: typeof import('@aws-sdk/client-resource-groups-tagging-api')
  s3: typeof import('@aws-sdk/client-s3')
  /** the deploy lock's table (src/lock/) */
  dynamodb: typeof import('@aws-sdk/client-dynamodb')
  /** EventBridge Scheduler: `schedule:` (issue 22) */
  scheduler: typeof import('@aws-sdk/client-scheduler')
  /** SSM Parameter Store: secrets by version (issue 24) */
  ssm: typeof import('@aws-sdk/client-ssm')
  /** Secrets Manager: secrets by version (issue 24) */
  secretsmanager: typeof import('@aws-sdk/client-secrets-manager')
  /** CloudWatch alarms and metrics: releases watched (issue 24) */
  cloudwatch: typeof import('@aws-sdk/client-cloudwatch')
  /** ACM: certificates of custom domains (issue 25) */
  acm: typeof import('@aws-sdk/client-acm')
  /** Route 53: hosted zones and records of custom domains (issue 25) */
  route53: typeof import('@aws-sdk/client-route-53')
  /** ELBv2: the listener certificates and rules of an Express service's domain (issue 25) */
  elbv2: typeof import('@aws-sdk/client-elastic-load-balancing-v2')
}

export type ServiceName = keyof ServiceModules

/** An SDK command class: `new XCommand(input)`. */
type CommandClass = abstract new (input: never) => { readonly input: unknown; resolveMiddleware(...args: never[]): unknown }

/** The operations of a service, by their API names (`CreateFunction` for `CreateFunctionCommand`). */
export type OperationName<S extends ServiceName> = {
  [K in keyof ServiceModules[S]]: K extends `${infer Op}Command` ? (ServiceModules[S][K] extends CommandClass ? Op : never) : never
}[keyof ServiceModules[S]]

type CommandOf<S extends ServiceName, O extends OperationName<S>> = ServiceModules[S][`${O}Command` & keyof ServiceModules[S]]

type Instance<C> = C extends abstract new (...args: never[]) => infer T ? T : never

/** The SDK's input type of an operation, e.g. `CreateFunctionCommandInput`. */
export type OperationInput<S extends ServiceName, O extends OperationName<S>> = Instance<CommandOf<S, O>> extends { readonly input: infer I } ? I : never

/** The SDK's output type of an operation, e.g. `CreateFunctionCommandOutput`. */
export type OperationOutput<S extends ServiceName, O extends OperationName<S>> =
  Instance<CommandOf<S, O>> extends { resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: infer R }> } ? R : never
