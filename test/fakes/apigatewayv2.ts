import type { FakeContext } from './context.js'
import { awsError, decodeToken, encodeToken, type Handlers } from './core.js'

type Rec = Record<string, any>

export interface ApiRecord {
  /** GetApi shape */
  api: Rec
  integrations: Map<string, Rec>
  routes: Map<string, Rec>
  stages: Map<string, Rec>
  deployments: Map<string, Rec>
}

export interface ApiGatewayV2State {
  apis: Map<string, ApiRecord>
  /** custom domain names (GetDomainName shape) and their API mappings by id */
  domainNames: Map<string, Rec>
  apiMappings: Map<string, Map<string, Rec>>
}

export function createApiGatewayV2State(): ApiGatewayV2State {
  return { apis: new Map(), domainNames: new Map(), apiMappings: new Map() }
}

/** The hosted zone of regional API Gateway endpoints, by region (the API Gateway endpoints table); others get a made-up one. */
const REGIONAL_ZONES: Record<string, string> = { 'us-east-1': 'Z1UJRXOUMOOFQ8', 'us-west-2': 'Z2OJLYMUO9EFXC', 'eu-west-1': 'ZLY8HYME6SFDD' }

const ROUTE_KEY_RE = /^(\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/[^\s]*)$/

export function apigwHandlers(ctx: FakeContext): Handlers {
  const apis = () => ctx.state.apigatewayv2.apis
  const notFound = (what: string, extra = '') =>
    awsError('apigatewayv2', 'NotFoundException', `Invalid ${what} identifier specified${extra}`, 404, { ResourceType: what })
  const bad = (message: string) => awsError('apigatewayv2', 'BadRequestException', message, 400)
  const conflict = (message: string) => awsError('apigatewayv2', 'ConflictException', message, 409)

  const getApi = (id: string | undefined): ApiRecord => {
    const a = id ? apis().get(id) : undefined
    if (!a) throw notFound('API', ` ${ctx.account}:${id}`)
    return a
  }
  const pageSize = (max: string | undefined) => {
    if (max === undefined) return ctx.behavior.apigwDefaultPageSize
    const n = Number(max)
    if (!Number.isInteger(n) || n < 1 || n > 500) throw bad('MaxResults must be an integer between 1 and 500')
    return n
  }
  const paged = <T>(items: T[], input: Rec) => {
    const start = decodeToken(input.NextToken, 'agw') ?? 0
    if (start < 0) throw bad('Invalid NextToken')
    const size = pageSize(input.MaxResults)
    return { Items: items.slice(start, start + size), NextToken: start + size < items.length ? encodeToken(start + size, 'agw') : undefined }
  }
  const byResourceArn = (arn: string): Rec => {
    const m = /^arn:aws[a-zA-Z-]*:apigateway:([^:]+)::\/apis\/([^/]+)(?:\/stages\/([^/]+))?$/.exec(arn ?? '')
    if (!m || m[1] !== ctx.region) throw bad(`Invalid resource ARN: ${arn}`)
    const api = getApi(m[2])
    if (!m[3]) return api.api
    const stage = api.stages.get(decodeURIComponent(m[3]))
    if (!stage) throw notFound('stage')
    return stage
  }
  const autoDeploy = (api: ApiRecord) => {
    for (const s of api.stages.values()) {
      if (!s.AutoDeploy) continue
      const id = ctx.ids.lowerAlnum(6)
      api.deployments.set(id, {
        DeploymentId: id,
        DeploymentStatus: 'DEPLOYED',
        CreatedDate: ctx.now(),
        AutoDeployed: true,
        Description: 'Automatic deployment triggered by changes to the Api configuration',
      })
      s.DeploymentId = id
      s.LastUpdatedDate = ctx.now()
      s.LastDeploymentStatusMessage = `Successfully deployed stage with deployment ID '${id}'`
    }
  }
  const integrationIdOf = (target: unknown): string | undefined => {
    if (target === undefined) return undefined
    const m = /^integrations\/([a-z0-9]+)$/.exec(String(target))
    if (!m) throw bad(`Invalid target '${target}'. Target must be of the format integrations/{IntegrationId}`)
    return m[1]
  }
  const checkRouteKey = (api: ApiRecord, key: string, selfId?: string) => {
    if (api.api.ProtocolType === 'HTTP' && !ROUTE_KEY_RE.test(key)) {
      throw bad(`Unable to create Route because key '${key}' is invalid. Route keys must be "$default" or "<METHOD> <path>".`)
    }
    for (const r of api.routes.values()) {
      if (r.RouteKey === key && r.RouteId !== selfId) throw conflict(`Unable to create route. A route with key: ${key} already exists for this API.`)
    }
  }
  const newIntegration = (api: ApiRecord, input: Rec): Rec => {
    if (!input.IntegrationType) throw bad('IntegrationType is required')
    if (api.api.ProtocolType === 'HTTP' && !['AWS_PROXY', 'HTTP_PROXY'].includes(input.IntegrationType)) {
      throw bad(`Unsupported integration type '${input.IntegrationType}' for HTTP APIs. Supported values: AWS_PROXY, HTTP_PROXY`)
    }
    if (input.PayloadFormatVersion !== undefined && !['1.0', '2.0'].includes(input.PayloadFormatVersion)) {
      throw bad(`Invalid PayloadFormatVersion '${input.PayloadFormatVersion}'. Supported values: 1.0, 2.0`)
    }
    const id = ctx.ids.lowerAlnum(7)
    const i: Rec = {
      ApiGatewayManaged: false,
      ConnectionType: input.ConnectionType ?? 'INTERNET',
      Description: input.Description,
      IntegrationId: id,
      IntegrationMethod: input.IntegrationMethod ?? (input.IntegrationType === 'AWS_PROXY' ? 'POST' : undefined),
      IntegrationType: input.IntegrationType,
      IntegrationUri: input.IntegrationUri,
      PayloadFormatVersion: input.PayloadFormatVersion ?? '1.0',
      TimeoutInMillis: input.TimeoutInMillis ?? 30000,
      RequestParameters: input.RequestParameters,
      CredentialsArn: input.CredentialsArn,
    }
    for (const k of Object.keys(i)) if (i[k] === undefined) delete i[k]
    api.integrations.set(id, i)
    return i
  }
  const newRoute = (api: ApiRecord, input: Rec): Rec => {
    if (!input.RouteKey) throw bad('RouteKey is required')
    checkRouteKey(api, input.RouteKey)
    const integ = integrationIdOf(input.Target)
    if (integ && !api.integrations.has(integ)) throw notFound('Integration')
    const id = ctx.ids.lowerAlnum(7)
    const r: Rec = {
      ApiGatewayManaged: false,
      ApiKeyRequired: input.ApiKeyRequired ?? false,
      AuthorizationType: input.AuthorizationType ?? 'NONE',
      AuthorizerId: input.AuthorizerId,
      AuthorizationScopes: input.AuthorizationScopes,
      OperationName: input.OperationName,
      RouteId: id,
      RouteKey: input.RouteKey,
      Target: input.Target,
    }
    for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k]
    api.routes.set(id, r)
    return r
  }
  const newStage = (api: ApiRecord, input: Rec): Rec => {
    const name: string = input.StageName ?? ''
    if (!/^(\$default|[A-Za-z0-9_-]{1,128})$/.test(name)) throw bad(`Stage name '${name}' is invalid. Stage names must be "$default" or match [A-Za-z0-9_-]+`)
    if (api.stages.has(name)) throw conflict(`Stage already exists`)
    if (input.DeploymentId && !api.deployments.has(input.DeploymentId)) throw notFound('Deployment')
    const s: Rec = {
      ApiGatewayManaged: false,
      AutoDeploy: input.AutoDeploy ?? false,
      CreatedDate: ctx.now(),
      DefaultRouteSettings: { DetailedMetricsEnabled: false, ...(input.DefaultRouteSettings ?? {}) },
      DeploymentId: input.DeploymentId,
      Description: input.Description,
      AccessLogSettings: input.AccessLogSettings,
      LastUpdatedDate: ctx.now(),
      RouteSettings: { ...(input.RouteSettings ?? {}) },
      StageName: name,
      StageVariables: { ...(input.StageVariables ?? {}) },
      Tags: { ...(input.Tags ?? {}) },
    }
    for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k]
    api.stages.set(name, s)
    if (s.AutoDeploy) autoDeploy(api)
    return s
  }

  return {
    GetApis: (input) =>
      paged(
        [...apis().values()].map((a) => a.api),
        input,
      ),

    GetApi: (input) => getApi(input.ApiId).api,

    CreateApi: (input) => {
      if (!input.Name) throw bad('Name is required')
      if (!['HTTP', 'WEBSOCKET'].includes(input.ProtocolType)) throw bad(`Invalid ProtocolType '${input.ProtocolType}'`)
      if (input.ProtocolType === 'WEBSOCKET' && !input.RouteSelectionExpression) throw bad('RouteSelectionExpression is required for WEBSOCKET APIs')
      if (input.CorsConfiguration && input.ProtocolType !== 'HTTP') throw bad('CORS configuration is supported only for HTTP APIs')
      const id = ctx.ids.lowerAlnum(10)
      const scheme = input.ProtocolType === 'HTTP' ? 'https' : 'wss'
      const api: Rec = {
        ApiEndpoint: `${scheme}://${id}.execute-api.${ctx.region}.amazonaws.com`,
        ApiGatewayManaged: false,
        ApiId: id,
        ApiKeySelectionExpression: input.ApiKeySelectionExpression ?? '$request.header.x-api-key',
        CorsConfiguration: input.CorsConfiguration,
        CreatedDate: ctx.now(),
        Description: input.Description,
        DisableExecuteApiEndpoint: input.DisableExecuteApiEndpoint ?? false,
        IpAddressType: input.IpAddressType ?? 'ipv4',
        Name: input.Name,
        ProtocolType: input.ProtocolType,
        RouteSelectionExpression: input.RouteSelectionExpression ?? '$request.method $request.path',
        Tags: { ...(input.Tags ?? {}) },
        Version: input.Version,
      }
      for (const k of Object.keys(api)) if (api[k] === undefined) delete api[k]
      const rec: ApiRecord = { api, integrations: new Map(), routes: new Map(), stages: new Map(), deployments: new Map() }
      apis().set(id, rec)
      if (input.Target) {
        // quick create: integration + route + $default stage with auto-deploy
        const integ = newIntegration(rec, {
          IntegrationType: /^arn:aws[a-zA-Z-]*:lambda:/.test(input.Target) ? 'AWS_PROXY' : 'HTTP_PROXY',
          IntegrationUri: input.Target,
          PayloadFormatVersion: '2.0',
          IntegrationMethod: /^arn:aws[a-zA-Z-]*:lambda:/.test(input.Target) ? 'POST' : 'ANY',
          CredentialsArn: input.CredentialsArn,
        })
        integ.ApiGatewayManaged = true
        const route = newRoute(rec, { RouteKey: input.RouteKey ?? '$default', Target: `integrations/${integ.IntegrationId}` })
        route.ApiGatewayManaged = true
        const stage = newStage(rec, { StageName: '$default', AutoDeploy: true })
        stage.ApiGatewayManaged = true
      }
      return api
    },

    UpdateApi: (input) => {
      const rec = getApi(input.ApiId)
      const a = rec.api
      for (const k of [
        'Name',
        'Description',
        'CorsConfiguration',
        'DisableExecuteApiEndpoint',
        'RouteSelectionExpression',
        'ApiKeySelectionExpression',
        'Version',
        'IpAddressType',
      ]) {
        if (input[k] !== undefined) a[k] = input[k]
      }
      autoDeploy(rec)
      return a
    },

    DeleteCorsConfiguration: (input) => {
      const rec = getApi(input.ApiId)
      delete rec.api.CorsConfiguration
      return {}
    },

    DeleteApi: (input) => {
      getApi(input.ApiId)
      apis().delete(input.ApiId)
      return {}
    },

    GetIntegrations: (input) => paged([...getApi(input.ApiId).integrations.values()], input),

    GetIntegration: (input) => {
      const i = getApi(input.ApiId).integrations.get(input.IntegrationId)
      if (!i) throw notFound('Integration')
      return i
    },

    CreateIntegration: (input) => {
      const rec = getApi(input.ApiId)
      const i = newIntegration(rec, input)
      autoDeploy(rec)
      return i
    },

    UpdateIntegration: (input) => {
      const rec = getApi(input.ApiId)
      const i = rec.integrations.get(input.IntegrationId)
      if (!i) throw notFound('Integration')
      if (input.PayloadFormatVersion !== undefined && !['1.0', '2.0'].includes(input.PayloadFormatVersion)) {
        throw bad(`Invalid PayloadFormatVersion '${input.PayloadFormatVersion}'. Supported values: 1.0, 2.0`)
      }
      for (const k of [
        'IntegrationType',
        'IntegrationUri',
        'IntegrationMethod',
        'PayloadFormatVersion',
        'TimeoutInMillis',
        'Description',
        'ConnectionType',
        'RequestParameters',
        'CredentialsArn',
      ]) {
        if (input[k] !== undefined) i[k] = input[k]
      }
      autoDeploy(rec)
      return i
    },

    DeleteIntegration: (input) => {
      const rec = getApi(input.ApiId)
      if (!rec.integrations.has(input.IntegrationId)) throw notFound('Integration')
      const users = [...rec.routes.values()].filter((r) => r.Target === `integrations/${input.IntegrationId}`)
      if (users.length) {
        throw conflict(
          `Unable to delete integration ${input.IntegrationId} because it is still referenced by route(s): ${users.map((r) => r.RouteId).join(', ')}`,
        )
      }
      rec.integrations.delete(input.IntegrationId)
      autoDeploy(rec)
      return {}
    },

    GetRoutes: (input) => paged([...getApi(input.ApiId).routes.values()], input),

    GetRoute: (input) => {
      const r = getApi(input.ApiId).routes.get(input.RouteId)
      if (!r) throw notFound('Route')
      return r
    },

    CreateRoute: (input) => {
      const rec = getApi(input.ApiId)
      const r = newRoute(rec, input)
      autoDeploy(rec)
      return r
    },

    UpdateRoute: (input) => {
      const rec = getApi(input.ApiId)
      const r = rec.routes.get(input.RouteId)
      if (!r) throw notFound('Route')
      if (input.RouteKey !== undefined) checkRouteKey(rec, input.RouteKey, r.RouteId)
      const integ = integrationIdOf(input.Target)
      if (integ && !rec.integrations.has(integ)) throw notFound('Integration')
      for (const k of ['RouteKey', 'Target', 'AuthorizationType', 'AuthorizerId', 'ApiKeyRequired', 'OperationName', 'AuthorizationScopes']) {
        if (input[k] !== undefined) r[k] = input[k]
      }
      autoDeploy(rec)
      return r
    },

    DeleteRoute: (input) => {
      const rec = getApi(input.ApiId)
      if (!rec.routes.delete(input.RouteId)) throw notFound('Route')
      autoDeploy(rec)
      return {}
    },

    GetStages: (input) => paged([...getApi(input.ApiId).stages.values()], input),

    GetStage: (input) => {
      const s = getApi(input.ApiId).stages.get(input.StageName)
      if (!s) throw notFound('stage')
      return s
    },

    CreateStage: (input) => newStage(getApi(input.ApiId), input),

    UpdateStage: (input) => {
      const rec = getApi(input.ApiId)
      const s = rec.stages.get(input.StageName)
      if (!s) throw notFound('stage')
      if (input.DeploymentId && !rec.deployments.has(input.DeploymentId)) throw notFound('Deployment')
      for (const k of ['AutoDeploy', 'DeploymentId', 'Description', 'AccessLogSettings']) if (input[k] !== undefined) s[k] = input[k]
      if (input.DefaultRouteSettings) s.DefaultRouteSettings = { ...s.DefaultRouteSettings, ...input.DefaultRouteSettings }
      if (input.RouteSettings) s.RouteSettings = { ...input.RouteSettings }
      if (input.StageVariables) s.StageVariables = { ...input.StageVariables }
      s.LastUpdatedDate = ctx.now()
      if (input.AutoDeploy) autoDeploy(rec)
      return s
    },

    DeleteStage: (input) => {
      const rec = getApi(input.ApiId)
      if (!rec.stages.delete(input.StageName)) throw notFound('stage')
      return {}
    },

    CreateDeployment: (input) => {
      const rec = getApi(input.ApiId)
      if (!rec.routes.size) throw bad('Unable to deploy API because no routes exist in this API')
      const id = ctx.ids.lowerAlnum(6)
      const d = { DeploymentId: id, DeploymentStatus: 'DEPLOYED', CreatedDate: ctx.now(), AutoDeployed: false, Description: input.Description }
      rec.deployments.set(id, d)
      if (input.StageName) {
        const s = rec.stages.get(input.StageName)
        if (!s) throw notFound('stage')
        if (s.AutoDeploy) throw bad('Deployments cannot be created for stages with auto-deploy enabled')
        s.DeploymentId = id
        s.LastUpdatedDate = ctx.now()
      }
      return d
    },

    GetDeployments: (input) => paged([...getApi(input.ApiId).deployments.values()], input),

    TagResource: (input) => {
      const r = byResourceArn(input.ResourceArn)
      r.Tags = { ...(r.Tags ?? {}), ...(input.Tags ?? {}) }
      return {}
    },

    UntagResource: (input) => {
      const r = byResourceArn(input.ResourceArn)
      for (const k of input.TagKeys ?? []) delete r.Tags?.[k]
      return {}
    },

    GetTags: (input) => ({ Tags: { ...(byResourceArn(input.ResourceArn).Tags ?? {}) } }),

    ...domainNameHandlers(ctx, { notFound, bad, conflict, getApi }),
  }
}

/**
 * Custom domain names and API mappings (issue 25), from the API Gateway V2 reference: a regional
 * domain name needs an ISSUED ACM certificate of its region (BadRequestException otherwise) and
 * answers its own `d-….execute-api.<region>.amazonaws.com` name and hosted zone, for alias records.
 */
function domainNameHandlers(
  ctx: FakeContext,
  h: { notFound: (what: string, extra?: string) => Error; bad: (m: string) => Error; conflict: (m: string) => Error; getApi: (id: string) => ApiRecord },
): Handlers {
  const state = () => ctx.state.apigatewayv2
  const getDomain = (name: unknown): Rec => {
    const d = typeof name === 'string' ? state().domainNames.get(name.toLowerCase()) : undefined
    if (!d) throw h.notFound('domain name')
    return d
  }
  const mappingsOf = (name: string) => {
    let m = state().apiMappings.get(name)
    if (!m) state().apiMappings.set(name, (m = new Map()))
    return m
  }
  return {
    CreateDomainName: (input) => {
      const name = String(input.DomainName ?? '').toLowerCase()
      if (!name) throw h.bad('DomainName is required')
      if (state().domainNames.has(name)) throw h.conflict(`The domain name you provided already exists.`)
      const configs: Rec[] = input.DomainNameConfigurations ?? []
      if (configs.length !== 1) throw h.bad('Exactly one domain name configuration is required')
      const config = configs[0]
      const arn = String(config.CertificateArn ?? '')
      const cert = ctx.state.acm.certificates.get(arn)
      if (!cert || arn.split(':')[3] !== ctx.region) throw h.bad(`Certificate ${arn} not found in region ${ctx.region}`)
      if (cert.status !== 'ISSUED') throw h.bad(`Certificate ${arn} in account ${ctx.account} not yet issued`)
      const covers = cert.names.some((n) => n === name || (n.startsWith('*.') && name.endsWith(n.slice(1)) && name.split('.').length === n.split('.').length))
      if (!covers) throw h.bad(`The certificate ${arn} does not cover the domain name ${name}`)
      if ((config.EndpointType ?? 'REGIONAL') !== 'REGIONAL') throw h.bad('Only REGIONAL endpoints are supported for HTTP APIs domain names in this region')
      const domain: Rec = {
        DomainName: name,
        ApiMappingSelectionExpression: '$request.basepath',
        DomainNameConfigurations: [
          {
            ApiGatewayDomainName: `d-${ctx.ids.lowerAlnum(10)}.execute-api.${ctx.region}.amazonaws.com`,
            CertificateArn: arn,
            DomainNameStatus: 'AVAILABLE',
            EndpointType: 'REGIONAL',
            HostedZoneId: REGIONAL_ZONES[ctx.region] ?? `Z${ctx.ids.upperAlnum(13)}`,
            SecurityPolicy: config.SecurityPolicy ?? 'TLS_1_2',
          },
        ],
        Tags: { ...(input.Tags ?? {}) },
      }
      state().domainNames.set(name, domain)
      return structuredClone(domain)
    },

    GetDomainName: (input) => structuredClone(getDomain(input.DomainName)),

    GetDomainNames: () => ({ Items: [...state().domainNames.values()].map((d) => structuredClone(d)) }),

    DeleteDomainName: (input) => {
      const d = getDomain(input.DomainName)
      state().domainNames.delete(d.DomainName)
      state().apiMappings.delete(d.DomainName)
      return {}
    },

    CreateApiMapping: (input) => {
      const d = getDomain(input.DomainName)
      const api = h.getApi(input.ApiId)
      if (!api.stages.has(input.Stage)) throw h.notFound('stage')
      const key = input.ApiMappingKey ?? ''
      const mappings = mappingsOf(d.DomainName)
      if ([...mappings.values()].some((m) => m.ApiMappingKey === key))
        throw h.conflict(`ApiMapping with key '${key}' already exists for domain name ${d.DomainName}`)
      const mapping = { ApiId: input.ApiId, ApiMappingId: ctx.ids.lowerAlnum(6), ApiMappingKey: key, Stage: input.Stage }
      mappings.set(mapping.ApiMappingId, mapping)
      return { ...mapping }
    },

    GetApiMappings: (input) => ({ Items: [...mappingsOf(getDomain(input.DomainName).DomainName).values()].map((m) => ({ ...m })) }),

    DeleteApiMapping: (input) => {
      const mappings = mappingsOf(getDomain(input.DomainName).DomainName)
      if (!mappings.delete(input.ApiMappingId)) throw h.notFound('api mapping')
      return {}
    },
  }
}
