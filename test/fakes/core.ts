/**
 * Shared plumbing for the in-memory AWS fake: error construction (real SDK exception classes),
 * deterministic ids, deep copies, paging and filter helpers.
 */

import * as acmSdk from '@aws-sdk/client-acm'
import * as apigwSdk from '@aws-sdk/client-apigatewayv2'
import * as cloudwatchSdk from '@aws-sdk/client-cloudwatch'
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs'
import * as dynamodbSdk from '@aws-sdk/client-dynamodb'
import * as ec2Sdk from '@aws-sdk/client-ec2'
import * as ecrSdk from '@aws-sdk/client-ecr'
import * as ecsSdk from '@aws-sdk/client-ecs'
import * as elbv2Sdk from '@aws-sdk/client-elastic-load-balancing-v2'
import * as iamSdk from '@aws-sdk/client-iam'
import * as lambdaSdk from '@aws-sdk/client-lambda'
import * as taggingSdk from '@aws-sdk/client-resource-groups-tagging-api'
import * as route53Sdk from '@aws-sdk/client-route-53'
import * as s3Sdk from '@aws-sdk/client-s3'
import * as schedulerSdk from '@aws-sdk/client-scheduler'
import * as secretsmanagerSdk from '@aws-sdk/client-secrets-manager'
import * as ssmSdk from '@aws-sdk/client-ssm'
import * as stsSdk from '@aws-sdk/client-sts'

export type ServiceName =
  | 'lambda'
  | 'apigatewayv2'
  | 'iam'
  | 'sts'
  | 'logs'
  | 'ecs'
  | 'ec2'
  | 'ecr'
  | 's3'
  | 'resourcegroupstaggingapi'
  | 'dynamodb'
  | 'scheduler'
  | 'ssm'
  | 'secretsmanager'
  | 'cloudwatch'
  | 'acm'
  | 'route53'
  | 'elbv2'

export interface FakeErrorSpec {
  name: string
  message: string
  httpStatus?: number
  /** a network error of Node's (ECONNRESET, ETIMEDOUT…) rather than an AWS answer */
  code?: string
}

type AnyModule = Record<string, any>

const SDK: Record<ServiceName, { mod: AnyModule; base: AnyModule[string] }> = {
  lambda: { mod: lambdaSdk, base: lambdaSdk.LambdaServiceException },
  apigatewayv2: { mod: apigwSdk, base: apigwSdk.ApiGatewayV2ServiceException },
  iam: { mod: iamSdk, base: iamSdk.IAMServiceException },
  sts: { mod: stsSdk, base: stsSdk.STSServiceException },
  logs: { mod: logsSdk, base: logsSdk.CloudWatchLogsServiceException },
  ecs: { mod: ecsSdk, base: ecsSdk.ECSServiceException },
  ec2: { mod: ec2Sdk, base: ec2Sdk.EC2ServiceException },
  ecr: { mod: ecrSdk, base: ecrSdk.ECRServiceException },
  resourcegroupstaggingapi: { mod: taggingSdk, base: taggingSdk.ResourceGroupsTaggingAPIServiceException },
  s3: { mod: s3Sdk, base: s3Sdk.S3ServiceException },
  dynamodb: { mod: dynamodbSdk, base: dynamodbSdk.DynamoDBServiceException },
  scheduler: { mod: schedulerSdk, base: schedulerSdk.SchedulerServiceException },
  ssm: { mod: ssmSdk, base: ssmSdk.SSMServiceException },
  secretsmanager: { mod: secretsmanagerSdk, base: secretsmanagerSdk.SecretsManagerServiceException },
  cloudwatch: { mod: cloudwatchSdk, base: cloudwatchSdk.CloudWatchServiceException },
  acm: { mod: acmSdk, base: acmSdk.ACMServiceException },
  route53: { mod: route53Sdk, base: route53Sdk.Route53ServiceException },
  elbv2: { mod: elbv2Sdk, base: elbv2Sdk.ElasticLoadBalancingV2ServiceException },
}

/** Default HTTP status per well-known error code (AWS API references). */
const STATUS: Record<string, number> = {
  ResourceNotFoundException: 404,
  NoSuchEntityException: 404,
  NotFoundException: 404,
  ResourceConflictException: 409,
  EntityAlreadyExistsException: 409,
  DeleteConflictException: 409,
  ConflictException: 409,
  PreconditionFailedException: 412,
  TooManyRequestsException: 429,
  ServiceException: 500,
  ServiceFailureException: 500,
  ServerException: 500,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
}

let requestCounter = 0
function requestId(): string {
  requestCounter += 1
  const hex = requestCounter.toString(16).padStart(12, '0')
  return `00000000-fake-4000-8000-${hex}`
}

export function metadata(httpStatusCode = 200) {
  return { httpStatusCode, requestId: requestId(), attempts: 1, totalRetryDelay: 0 }
}

/**
 * Builds an error shaped like the SDK's deserialized service exception:
 * the modeled class from the client package when there is one (so `instanceof` works),
 * otherwise the package's ServiceException base class with `name` = the AWS error code.
 */
export function awsError(service: ServiceName, name: string, message: string, httpStatus?: number, extra: Record<string, unknown> = {}): Error {
  const status = httpStatus ?? STATUS[name] ?? 400
  const $fault = status >= 500 ? 'server' : 'client'
  const { mod, base } = SDK[service]
  const Cls = mod[name]
  const $metadata = metadata(status)
  let err: Error & Record<string, unknown>
  if (typeof Cls === 'function' && Cls !== base && Cls.prototype instanceof base) {
    err = new Cls({ message, $metadata, Message: message, ...extra })
  } else {
    err = new base({ name, $fault, message, $metadata })
    Object.assign(err, { Code: name, Message: message }, extra)
  }
  if (httpStatus !== undefined) err.$fault = $fault
  if (/Throttl|TooManyRequests|RequestLimitExceeded|Rate ?exceeded/i.test(name)) {
    err.$retryable = { throttling: true }
  }
  return err
}

/** Deep copy of plain data: objects, arrays, Date, typed arrays, Map, Set. Functions and class instances are kept by reference. */
export function clone<T>(value: T): T {
  return cloneAny(value) as T
}

function cloneAny(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Date) return new Date(v.getTime())
  if (ArrayBuffer.isView(v)) {
    const copy = new Uint8Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
    // keep the SDK's Uint8ArrayBlobAdapter helper (Invoke Payload) working on copies
    if (typeof (v as { transformToString?: unknown }).transformToString === 'function') asBlob(copy)
    return copy
  }
  if (v instanceof ArrayBuffer) return v.slice(0)
  if (Array.isArray(v)) return v.map(cloneAny)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, cloneAny(x)]))
  if (v instanceof Set) return new Set([...v].map(cloneAny))
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) out[k] = cloneAny(x)
  }
  return out
}

/** Adds `transformToString()` like the SDK's Uint8ArrayBlobAdapter. */
export function asBlob(bytes: Uint8Array): Uint8Array {
  Object.defineProperty(bytes, 'transformToString', {
    value: (encoding = 'utf-8') => Buffer.from(bytes).toString(encoding as BufferEncoding),
    enumerable: false,
    configurable: true,
  })
  return bytes
}

/** Deterministic id source (mulberry32), reseeded by reset(). */
export class Ids {
  private s: number
  constructor(seed = 0x5eed) {
    this.s = seed >>> 0
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  from(alphabet: string, n: number): string {
    let s = ''
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)]
    return s
  }
  hex(n: number): string {
    return this.from('0123456789abcdef', n)
  }
  lowerAlnum(n: number): string {
    return this.from('abcdefghijklmnopqrstuvwxyz0123456789', n)
  }
  upperAlnum(n: number): string {
    return this.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', n)
  }
  digits(n: number): string {
    return this.from('123456789', 1) + this.from('0123456789', n - 1)
  }
  uuid(): string {
    const h = this.hex(32)
    const variant = '89ab'[Math.floor(this.next() * 4)]
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
}

/** Opaque-looking page tokens that encode an offset. */
export function encodeToken(offset: number, salt = 'p'): string {
  return Buffer.from(`${salt}:${offset}`).toString('base64')
}
export function decodeToken(token: string | undefined, salt = 'p'): number | undefined {
  if (!token) return undefined
  const raw = Buffer.from(token, 'base64').toString('utf8')
  const [s, n] = raw.split(':')
  const v = Number(n)
  if (s !== salt || !Number.isInteger(v) || v < 0) return -1
  return v
}

export function page<T>(items: T[], offset: number, size: number): { items: T[]; next?: number } {
  const slice = items.slice(offset, offset + size)
  const next = offset + size < items.length ? offset + size : undefined
  return { items: slice, next }
}

/** Glob match with `*` and `?` (as used by EC2 filters and IAM/Lambda policy conditions). */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
    's',
  )
  return re.test(value)
}

export function isoLambda(d: Date): string {
  return d.toISOString().replace('Z', '+0000')
}

export function tagsToMap(tags: { key?: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const t of tags ?? []) if (t.key !== undefined) out[t.key] = t.value ?? ''
  return out
}

export function upperTagsToMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? ''
  return out
}

export type Handler = (input: any) => any
export type Handlers = Record<string, Handler>
