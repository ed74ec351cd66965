/**
 * A loopback HTTP stub of AWS for transport tests: the real SDK clients (signing, retries, the Node
 * HTTP handler, the protocol deserializers) talk to it through `--endpoint-url`. It listens on
 * 127.0.0.1 only, on a free port, answers at most `maxRequests` requests (then drops connections
 * and stops listening) and `close()` ends every connection it still holds, hung ones included.
 *
 * It speaks just enough of four wire protocols, in the formats the SDK's deserializers read
 * (@aws-sdk/core protocols: loadRestJsonErrorCode, AwsQueryProtocol.loadQueryErrorCode, JSON 1.1 `__type`):
 * - REST-JSON (Lambda, API Gateway v2): error name in `x-amzn-errortype`, `{"message"}` body;
 * - query (IAM, STS): form body `Action=...`, XML results and `<ErrorResponse><Error><Code>` errors;
 * - JSON 1.0/1.1 (DynamoDB, CloudWatch Logs): `x-amz-target: Logs_20140328.Op`, `{"__type", "message"}` errors.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { Socket } from 'node:net'

export type Protocol = 'rest-json' | 'query' | 'json'

export interface StubRequest {
  method: string
  /** path and query, as sent */
  url: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
  /** the signing name of the SigV4 credential scope: lambda, apigateway, iam, sts, logs… */
  service: string
  protocol: Protocol
  /** the AWS operation: Action= for query, x-amz-target for JSON 1.1, inferred from method and path for REST */
  operation: string
  /** the SDK's attempt number of this call (amz-sdk-request: attempt=N) */
  attempt: number
  /** the SDK's id of the call, the same on every attempt (amz-sdk-invocation-id) */
  invocationId: string
  /** Date.now() when the request (headers and body) had arrived */
  receivedAt: number
}

export interface StubResponse {
  status: number
  headers?: Record<string, string>
  body?: string
  /** send the headers at once, then the body one byte every `trickleMs` (a link that never quite stalls) */
  trickleMs?: number
  /** send `body` again and again, chunked with no Content-Length, until this many bytes or the client hangs up (a reply without end) */
  repeatBytes?: number
}

/** `'hang'`: accept the request and never answer. */
export type StubReply = StubResponse | 'hang'
export type StubHandler = (req: StubRequest) => StubReply | Promise<StubReply>

export interface LoopbackStub {
  /** http://127.0.0.1:PORT */
  url: string
  /** every request answered or held, in arrival order */
  requests: StubRequest[]
  /** requests refused because the bound was reached (should stay 0) */
  refused: number
  close(): Promise<void>
}

/** Start a stub; `maxRequests` bounds how many requests it ever takes (default 100). */
export async function startStub(handler: StubHandler, options: { maxRequests?: number } = {}): Promise<LoopbackStub> {
  const maxRequests = options.maxRequests ?? 100
  const sockets = new Set<Socket>()
  const requests: StubRequest[] = []
  const stub: LoopbackStub = { url: '', requests, refused: 0, close: async () => {} }
  const server: Server = createServer((req, res) => {
    if (requests.length >= maxRequests) {
      stub.refused++
      req.socket.destroy()
      server.close()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const request = describeRequest(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'))
      requests.push(request)
      let reply: StubReply
      try {
        reply = await handler(request)
      } catch (err) {
        reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: `stub handler failed: ${(err as Error).message}` }
      }
      if (reply === 'hang') return
      const body = reply.body ?? ''
      if (reply.repeatBytes) return repeat(res, reply.status, reply.headers ?? {}, Buffer.from(body), reply.repeatBytes)
      res.writeHead(reply.status, { 'x-amzn-requestid': randomUUID(), 'content-length': String(Buffer.byteLength(body)), ...reply.headers })
      if (reply.trickleMs) return trickle(res, Buffer.from(body), reply.trickleMs)
      res.end(body)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the stub has no TCP address')
  stub.url = `http://127.0.0.1:${address.port}`
  stub.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      if (!server.listening) return resolve()
      server.close(() => resolve())
    })
  return stub
}

function trickle(res: import('node:http').ServerResponse, body: Buffer, everyMs: number): void {
  res.flushHeaders()
  let sent = 0
  const timer = setInterval(() => {
    if (sent >= body.length) {
      clearInterval(timer)
      res.end()
      return
    }
    res.write(body.subarray(sent, ++sent))
  }, everyMs)
  res.on('close', () => clearInterval(timer))
}

function repeat(res: import('node:http').ServerResponse, status: number, headers: Record<string, string>, chunk: Buffer, total: number): void {
  res.writeHead(status, { 'x-amzn-requestid': randomUUID(), ...headers })
  let sent = 0
  const more = () => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length
      if (!res.write(chunk)) return void res.once('drain', more)
    }
    if (!res.destroyed) res.end()
  }
  more()
}

const REST_OPERATIONS: [string, RegExp, string][] = [
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/policy$/, 'GetPolicy'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+$/, 'GetFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
  ['POST', /^\/2015-03-31\/functions$/, 'CreateFunction'],
  ['GET', /^\/v2\/apis$/, 'GetApis'],
  ['POST', /^\/v2\/apis$/, 'CreateApi'],
  ['GET', /^\/schedule-groups\/[^/]+$/, 'GetScheduleGroup'],
]

function describeRequest(method: string, url: string, headers: IncomingHttpHeaders, body: string): StubRequest {
  const parsed = new URL(url, 'http://stub')
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''))
  const service = scope?.[1] ?? 'unknown'
  const target = headers['x-amz-target']
  const form = String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : undefined
  let protocol: Protocol
  let operation: string
  if (typeof target === 'string') {
    protocol = 'json'
    operation = target.split('.').pop() ?? target
  } else if (form?.has('Action')) {
    protocol = 'query'
    operation = form.get('Action') ?? ''
  } else {
    protocol = 'rest-json'
    operation = REST_OPERATIONS.find(([m, re]) => m === method && re.test(parsed.pathname))?.[2] ?? `${method} ${parsed.pathname}`
  }
  const attempt = Number(/attempt=(\d+)/.exec(String(headers['amz-sdk-request'] ?? ''))?.[1] ?? 0)
  return {
    method,
    url,
    path: parsed.pathname,
    query: parsed.searchParams,
    headers,
    body,
    service,
    protocol,
    operation,
    attempt,
    invocationId: String(headers['amz-sdk-invocation-id'] ?? ''),
    receivedAt: Date.now(),
  }
}

const QUERY_NAMESPACES: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** An AWS error in the wire format of the request's protocol. */
export function awsError(req: Pick<StubRequest, 'protocol' | 'service'>, status: number, code: string, message: string): StubResponse {
  if (req.protocol === 'query') {
    const ns = QUERY_NAMESPACES[req.service] ?? QUERY_NAMESPACES.iam
    return {
      status,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="${ns}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    }
  }
  if (req.protocol === 'json') {
    return { status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ __type: code, message }) }
  }
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': code }, body: JSON.stringify({ Type: 'User', message }) }
}

/** A successful JSON answer (REST-JSON or JSON 1.1). */
export function jsonOk(req: Pick<StubRequest, 'protocol'>, value: unknown): StubResponse {
  return {
    status: 200,
    headers: { 'content-type': req.protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json' },
    body: JSON.stringify(value),
  }
}

/** A successful query-protocol answer: `<OpResponse><OpResult>inner</OpResult>…`. */
export function queryOk(req: Pick<StubRequest, 'operation' | 'service'>, innerXml: string): StubResponse {
  const ns = QUERY_NAMESPACES[req.service] ?? QUERY_NAMESPACES.iam
  const op = req.operation
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${op}Response xmlns="${ns}"><${op}Result>${innerXml}</${op}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${op}Response>`,
  }
}

export const STUB_ACCOUNT = '123456789012'

/**
 * An AWS account where nothing of the app exists yet: answers every read a lambda plan makes
 * (GetFunction, GetAlias, GetPolicy → 404 ResourceNotFoundException; GetRole, ListAttachedRolePolicies → 404
 * NoSuchEntity; DescribeLogGroups → no groups; GetApis → no APIs; GetCallerIdentity → an account),
 * takes every call of the deploy lock (DynamoDB: `{}`), and refuses anything else with 403 AccessDenied(Exception).
 */
export function emptyAccount(req: StubRequest): StubResponse {
  // the deploy lock's table (src/lock/): every lock call succeeds, as in an account where no one else deploys
  if (req.service === 'dynamodb') return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' }
  switch (req.operation) {
    case 'GetFunction':
    case 'GetFunctionConfiguration':
      return awsError(
        req,
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:us-west-2:${STUB_ACCOUNT}:function:${decodeURIComponent(req.path.split('/')[3] ?? '')}`,
      )
    case 'GetPolicy':
      return awsError(req, 404, 'ResourceNotFoundException', 'The resource you requested does not exist.')
    case 'GetAlias':
      return awsError(
        req,
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:us-west-2:${STUB_ACCOUNT}:function:${decodeURIComponent(req.path.split('/')[3] ?? '')}`,
      )
    case 'GetRole':
    case 'ListAttachedRolePolicies':
    case 'ListRolePolicies':
      return awsError(req, 404, 'NoSuchEntity', `The role with name ${new URLSearchParams(req.body).get('RoleName')} cannot be found.`)
    case 'DescribeLogGroups':
      return jsonOk(req, { logGroups: [] })
    case 'GetScheduleGroup':
      return awsError(req, 404, 'ResourceNotFoundException', `Schedule group ${decodeURIComponent(req.path.split('/')[2] ?? '')} does not exist.`)
    case 'GetApis':
      return jsonOk(req, { items: [] })
    case 'GetCallerIdentity':
      return queryOk(req, `<Arn>arn:aws:iam::${STUB_ACCOUNT}:user/ci</Arn><UserId>AIDAEXAMPLEUSERID0000</UserId><Account>${STUB_ACCOUNT}</Account>`)
    default:
      return awsError(
        req,
        403,
        req.protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException',
        `User: arn:aws:iam::${STUB_ACCOUNT}:user/ci is not authorized to perform: ${req.service}:${req.operation}`,
      )
  }
}
