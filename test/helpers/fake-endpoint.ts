/**
 * The in-memory fake (test/fakes/aws.ts) behind a loopback HTTP endpoint, so that real processes —
 * the aws CLI, `bin/run.js … --endpoint-url` — talk to the same stateful AWS as in-process tests.
 * Each request is decoded to `{ service, operation, input }` (query: the form; JSON 1.1: the body;
 * REST-JSON: the route table below, its path and query members, the body), sent through the SDK
 * client of that service in this process (which the fake intercepts: its latency, call log, faults
 * and handlers apply), and the output or the error encoded in the request's protocol.
 *
 * It covers the operations of a fresh lambda deploy (shipit's, and the classic tutorial's aws CLI
 * flow): the REST routes of Lambda, API Gateway v2 and Scheduler listed in ROUTES, and any query (IAM,
 * STS) or JSON 1.1 (CloudWatch Logs, DynamoDB) operation the fake implements. Anything else is a 400
 * `UnknownOperationException` naming the request, so a flow cannot silently measure a failure.
 */
import * as apigwSdk from '@aws-sdk/client-apigatewayv2'
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs'
import * as dynamodbSdk from '@aws-sdk/client-dynamodb'
import * as iamSdk from '@aws-sdk/client-iam'
import * as lambdaSdk from '@aws-sdk/client-lambda'
import * as schedulerSdk from '@aws-sdk/client-scheduler'
import * as stsSdk from '@aws-sdk/client-sts'
import type { FakeAws } from '../fakes/aws.js'
import { awsError, jsonOk, type LoopbackStub, queryOk, type StubRequest, type StubResponse, startStub } from './loopback.js'

type Rec = Record<string, any>
type SdkModule = Record<string, any>

/** signing name → the fake's service name and the SDK package whose clients the fake intercepts */
const SERVICES: Record<string, { name: string; mod: SdkModule; client: string }> = {
  lambda: { name: 'lambda', mod: lambdaSdk, client: 'LambdaClient' },
  apigateway: { name: 'apigatewayv2', mod: apigwSdk, client: 'ApiGatewayV2Client' },
  iam: { name: 'iam', mod: iamSdk, client: 'IAMClient' },
  sts: { name: 'sts', mod: stsSdk, client: 'STSClient' },
  logs: { name: 'logs', mod: logsSdk, client: 'CloudWatchLogsClient' },
  dynamodb: { name: 'dynamodb', mod: dynamodbSdk, client: 'DynamoDBClient' },
  scheduler: { name: 'scheduler', mod: schedulerSdk, client: 'SchedulerClient' },
}

/** REST routes: method, path with `{Member}` labels, operation; query strings map to the members in QUERY */
const ROUTES: [string, string, string][] = [
  ['GET', '/2015-03-31/functions/{FunctionName}', 'GetFunction'],
  ['GET', '/2015-03-31/functions/{FunctionName}/configuration', 'GetFunctionConfiguration'],
  ['GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', 'GetAlias'],
  ['GET', '/2015-03-31/functions/{FunctionName}/policy', 'GetPolicy'],
  ['POST', '/2015-03-31/functions', 'CreateFunction'],
  ['POST', '/2015-03-31/functions/{FunctionName}/versions', 'PublishVersion'],
  ['POST', '/2015-03-31/functions/{FunctionName}/aliases', 'CreateAlias'],
  ['POST', '/2015-03-31/functions/{FunctionName}/policy', 'AddPermission'],
  ['GET', '/v2/apis', 'GetApis'],
  ['POST', '/v2/apis', 'CreateApi'],
  ['POST', '/v2/apis/{ApiId}/integrations', 'CreateIntegration'],
  ['POST', '/v2/apis/{ApiId}/routes', 'CreateRoute'],
  ['POST', '/v2/apis/{ApiId}/stages', 'CreateStage'],
  ['GET', '/schedule-groups/{Name}', 'GetScheduleGroup'],
]
const QUERY: Record<string, string> = { Qualifier: 'Qualifier', maxResults: 'MaxResults', nextToken: 'NextToken' }

/** maps whose keys are the user's (tags, variables): their keys keep their case */
const USER_MAPS = new Set(['Tags', 'tags', 'StageVariables', 'stageVariables', 'RequestParameters', 'requestParameters'])

function route(method: string, path: string): { operation: string; labels: Rec } | undefined {
  for (const [m, template, operation] of ROUTES) {
    if (m !== method) continue
    const names: string[] = []
    const pattern = template.replace(/\{(\w+)\}/g, (_, n: string) => {
      names.push(n)
      return '([^/]+)'
    })
    const re = new RegExp(`^${pattern}$`)
    const hit = re.exec(path)
    if (hit) return { operation, labels: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(hit[i + 1])])) }
  }
  return undefined
}

/**
 * API Gateway v2 speaks camelCase on the wire, the SDK's members are PascalCase; timestamps travel as
 * ISO 8601 in REST-JSON and as epoch seconds in JSON 1.0/1.1
 */
function recase(v: unknown, f: (k: string) => string, epoch = false): unknown {
  if (Array.isArray(v)) return v.map((x) => recase(x, f, epoch))
  if (v instanceof Date) return epoch ? v.getTime() / 1000 : v.toISOString()
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), USER_MAPS.has(k) ? x : recase(x, f, epoch)]))
}
const pascal = (k: string) => k.charAt(0).toUpperCase() + k.slice(1)
const camel = (k: string) => k.charAt(0).toLowerCase() + k.slice(1)

/** `Tags.member.1.Key=a` → `{ Tags: [{ Key: 'a' }] }` (query protocol lists and nested members) */
export function parseQueryForm(form: URLSearchParams): Rec {
  const out: Rec = {}
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue
    const parts = key.split('.').filter((p) => p !== 'member')
    let at: Rec = out
    parts.forEach((p, i) => {
      const k = /^\d+$/.test(p) ? Number(p) - 1 : p
      const last = i === parts.length - 1
      if (last) at[k] = value
      else at[k] ??= /^\d+$/.test(parts[i + 1]) ? [] : {}
      at = at[k]
    })
  }
  return out
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** an output object as the query protocol's XML: lists as `<member>`, dates ISO 8601 */
export function toQueryXml(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map((x) => `<member>${toQueryXml(x)}</member>`).join('')
  if (typeof v === 'object') {
    return Object.entries(v)
      .filter(([k, x]) => k !== '$metadata' && x !== undefined)
      .map(([k, x]) => `<${k}>${toQueryXml(x)}</${k}>`)
      .join('')
  }
  return xmlEscape(String(v))
}

function decode(req: StubRequest, apigw: boolean): { operation: string; input: Rec } | undefined {
  if (req.protocol === 'query') return { operation: req.operation, input: parseQueryForm(new URLSearchParams(req.body)) }
  if (req.protocol === 'json') return { operation: req.operation, input: req.body ? JSON.parse(req.body) : {} }
  const hit = route(req.method, req.path)
  if (!hit) return undefined
  const body = (req.body ? JSON.parse(req.body) : {}) as Rec
  const input: Rec = { ...(apigw ? (recase(body, pascal) as Rec) : body), ...hit.labels }
  for (const [q, member] of Object.entries(QUERY)) {
    const v = req.query.get(q)
    if (v !== null) input[member] = v
  }
  // blobs travel base64 in JSON; the SDK's input holds bytes
  if (typeof input.Code?.ZipFile === 'string') input.Code.ZipFile = Buffer.from(input.Code.ZipFile, 'base64')
  return { operation: hit.operation, input }
}

function encode(req: StubRequest, operation: string, output: Rec, apigw: boolean): StubResponse {
  const { $metadata: _, ...out } = output
  if (req.protocol === 'query') return queryOk({ ...req, operation }, toQueryXml(out))
  if (req.protocol === 'json') {
    const r = jsonOk(
      req,
      recase(out, (k) => k, true),
    )
    // DynamoDB is JSON 1.0
    if (req.service === 'dynamodb') r.headers = { 'content-type': 'application/x-amz-json-1.0' }
    return r
  }
  return {
    ...jsonOk(req, apigw ? recase(out, camel) : recase(out, (k) => k)),
    status: operation.startsWith('Create') || operation === 'AddPermission' || operation === 'PublishVersion' ? 201 : 200,
  }
}

const UNKNOWN = 'x-fake-endpoint-unknown'
function unknown(req: StubRequest, message: string): StubResponse {
  const r = awsError(req, 400, 'UnknownOperationException', message)
  return { ...r, headers: { ...r.headers, [UNKNOWN]: message } }
}

/** One request through the fake: its answer in the wire format, or a modeled error. */
async function answer(req: StubRequest, region: string): Promise<StubResponse> {
  const svc = SERVICES[req.service]
  const decoded = svc && decode(req, svc.name === 'apigatewayv2')
  if (!svc || !decoded) return unknown(req, `the fake endpoint does not route ${req.service} ${req.method} ${req.path}`)
  const Command = svc.mod[`${decoded.operation}Command`]
  if (typeof Command !== 'function') return unknown(req, `no ${decoded.operation} in ${req.service}`)
  const client = new svc.mod[svc.client]({ region })
  try {
    const output = (await client.send(new Command(decoded.input))) as Rec
    return encode(req, decoded.operation, output, svc.name === 'apigatewayv2')
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } }
    // not an AWS answer of the fake's (an operation it does not implement): a failure of the endpoint
    if (!e.$metadata) return unknown(req, e.message)
    return awsError(req, e.$metadata.httpStatusCode ?? 400, e.name, e.message)
  } finally {
    client.destroy()
  }
}

export interface FakeEndpoint extends LoopbackStub {
  /** requests the endpoint could not route or the fake does not implement (`service METHOD path: why`); answered 400 UnknownOperationException */
  unrouted: string[]
}

/** Serve `fake` on 127.0.0.1 (the fake must be created in this process: it intercepts the SDK clients here). */
export async function startFakeEndpoint(fake: FakeAws, options: { maxRequests?: number } = {}): Promise<FakeEndpoint> {
  const unrouted: string[] = []
  const stub = await startStub(
    async (req) => {
      const res = await answer(req, fake.region)
      const why = res.headers?.[UNKNOWN]
      if (why) unrouted.push(`${req.service} ${req.method} ${req.path}: ${why}`)
      return res
    },
    { maxRequests: options.maxRequests ?? 100_000 },
  )
  return Object.assign(stub, { unrouted })
}
