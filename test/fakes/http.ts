/**
 * A tiny simulator of the execute-api endpoint of HTTP APIs: routes a request through
 * stage -> route -> integration -> Lambda resource policy -> the programmed Lambda handler,
 * so tests can check that a deployment is actually wired up end to end.
 */
import type { FakeContext } from './context.js'
import type { lambdaModel } from './lambda.js'

type Rec = Record<string, any>

export interface FakeHttpRequest {
  method?: string
  /** e.g. `${api.ApiEndpoint}/items/1?x=y` (the stage name is the first path segment unless a $default stage exists) */
  url: string
  headers?: Record<string, string>
  body?: string
}
export interface FakeHttpResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
}

const json = (statusCode: number, message: string): FakeHttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message }),
})

function matchPath(template: string, path: string): { params: Record<string, string>; score: number } | undefined {
  const t = template.split('/').filter(Boolean)
  const p = path.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  let score = 0
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]
    const greedy = /^\{(.+)\+\}$/.exec(seg)
    if (greedy) {
      if (i !== t.length - 1 || p.length <= i) return undefined
      params[greedy[1]] = p.slice(i).join('/')
      return { params, score: score * 10 + 1 }
    }
    if (p[i] === undefined) return undefined
    const param = /^\{(.+)\}$/.exec(seg)
    if (param) {
      params[param[1]] = decodeURIComponent(p[i])
      score = score * 10 + 5
    } else if (seg === p[i]) score = score * 10 + 9
    else return undefined
  }
  return p.length === t.length ? { params, score: score * 10 + 9 } : undefined
}

export function httpApiSimulator(ctx: FakeContext, lambda: ReturnType<typeof lambdaModel>) {
  return async function request(req: FakeHttpRequest): Promise<FakeHttpResponse> {
    const url = new URL(req.url)
    const m = /^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)
    const api = m && m[2] === ctx.region ? ctx.state.apigatewayv2.apis.get(m[1]) : undefined
    if (!m || !api) throw new Error(`getaddrinfo ENOTFOUND ${url.hostname}`)
    if (api.api.DisableExecuteApiEndpoint) return json(403, 'Forbidden')
    const method = (req.method ?? 'GET').toUpperCase()
    let stageName = '$default'
    let path = url.pathname || '/'
    if (!api.stages.has('$default')) {
      const [, first, ...rest] = path.split('/')
      stageName = decodeURIComponent(first ?? '')
      path = `/${rest.join('/')}`
    }
    const stage = api.stages.get(stageName)
    if (!stage?.DeploymentId) return json(404, 'Not Found')

    let best: { route: Rec; params: Record<string, string>; score: number } | undefined
    for (const route of api.routes.values()) {
      if (route.RouteKey === '$default') continue
      const [rm, rp] = String(route.RouteKey).split(' ')
      if (rm !== method && rm !== 'ANY') continue
      const hit = matchPath(rp, path)
      if (!hit) continue
      const score = hit.score * 2 + (rm === method ? 1 : 0)
      if (!best || score > best.score) best = { route, params: hit.params, score }
    }
    const fallback = [...api.routes.values()].find((r) => r.RouteKey === '$default')
    const route = best?.route ?? fallback
    if (!route) return json(404, 'Not Found')
    const integrationId = /^integrations\/(.+)$/.exec(route.Target ?? '')?.[1]
    const integration = integrationId ? api.integrations.get(integrationId) : undefined
    if (!integration) return json(500, 'Internal Server Error')
    if (integration.IntegrationType !== 'AWS_PROXY') return { statusCode: 200, headers: {}, body: `proxied to ${integration.IntegrationUri}` }

    const fnArn = /functions\/(arn:[^/]+)\/invocations$/.exec(integration.IntegrationUri ?? '')?.[1] ?? integration.IntegrationUri
    const { name, qualifier } = lambda.parseName(fnArn)
    const routePath = route.RouteKey === '$default' ? '$default' : `${method}${String(route.RouteKey).split(' ')[1]}`
    const sourceArn = `arn:aws:execute-api:${ctx.region}:${ctx.account}:${api.api.ApiId}/${stageName}/${routePath}`
    if (!ctx.state.lambda.functions.has(name) || !lambda.permits(name, qualifier, 'apigateway.amazonaws.com', sourceArn)) {
      return json(500, 'Internal Server Error')
    }

    const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
    headers.host = url.hostname
    const query = Object.fromEntries(url.searchParams.entries())
    const now = ctx.now()
    const requestId = `${ctx.ids.lowerAlnum(14)}=`
    const v2 = integration.PayloadFormatVersion === '2.0'
    const event = v2
      ? {
          version: '2.0',
          routeKey: route.RouteKey,
          rawPath: url.pathname,
          rawQueryString: url.search.replace(/^\?/, ''),
          headers,
          queryStringParameters: Object.keys(query).length ? query : undefined,
          pathParameters: best && Object.keys(best.params).length ? best.params : undefined,
          requestContext: {
            accountId: ctx.account,
            apiId: api.api.ApiId,
            domainName: url.hostname,
            domainPrefix: api.api.ApiId,
            http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: headers['user-agent'] ?? 'fake' },
            requestId,
            routeKey: route.RouteKey,
            stage: stageName,
            time: now.toUTCString(),
            timeEpoch: now.getTime(),
          },
          body: req.body,
          isBase64Encoded: false,
        }
      : {
          version: '1.0',
          resource: route.RouteKey === '$default' ? '/{proxy+}' : String(route.RouteKey).split(' ')[1],
          path: url.pathname,
          httpMethod: method,
          headers,
          queryStringParameters: Object.keys(query).length ? query : null,
          pathParameters: best && Object.keys(best.params).length ? best.params : null,
          requestContext: {
            accountId: ctx.account,
            apiId: api.api.ApiId,
            httpMethod: method,
            path: url.pathname,
            requestId,
            stage: stageName,
            requestTimeEpoch: now.getTime(),
          },
          body: req.body ?? null,
          isBase64Encoded: false,
        }

    let res: Awaited<ReturnType<typeof lambda.invoke>>
    try {
      res = await lambda.invoke(name, qualifier, event)
    } catch {
      return json(500, 'Internal Server Error')
    }
    if (res.out.error) return json(500, 'Internal Server Error')
    const r = res.out.result as Rec | string | number | null | undefined
    const isResponse = typeof r === 'object' && r !== null && 'statusCode' in r
    if (!isResponse) {
      if (!v2) return json(502, 'Internal Server Error')
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(r ?? null) }
    }
    const rr = r as Rec
    const outHeaders: Record<string, string> = {}
    for (const [k, v] of Object.entries(rr.headers ?? {})) outHeaders[k.toLowerCase()] = String(v)
    if (Array.isArray(rr.cookies) && rr.cookies.length) outHeaders['set-cookie'] = rr.cookies.join(', ')
    let body = rr.body === undefined || rr.body === null ? '' : typeof rr.body === 'string' ? rr.body : JSON.stringify(rr.body)
    if (rr.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8')
    return { statusCode: Number(rr.statusCode), headers: outHeaders, body }
  }
}
