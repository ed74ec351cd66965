import type { Cors } from '@aws-sdk/client-apigatewayv2'
import type { LambdaDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { arnPartition } from '../target.js'
import { ApiGateway } from './catalogue.js'
import { ALIAS, type ObservedApi } from './observe.js'

const ref = (step: string, output: string, format?: string): Ref => (format ? { ref: step, output, format } : { ref: step, output })

/** The HTTP API as planned: its id (or a reference to CreateApi's answer) and the steps that make it. */
export interface PlannedApi {
  id: string | Ref
  deps: string[]
  /** an API with our name exists but is not ours: nothing is planned on it */
  blocked: boolean
}

function desiredCors(desired: LambdaDesired): Cors | undefined {
  const c = desired.http.cors
  return (
    c && {
      AllowOrigins: c.allowOrigins,
      ...(c.allowMethods ? { AllowMethods: c.allowMethods } : {}),
      ...(c.allowHeaders ? { AllowHeaders: c.allowHeaders } : {}),
      ...(c.exposeHeaders ? { ExposeHeaders: c.exposeHeaders } : {}),
      ...(c.allowCredentials !== undefined ? { AllowCredentials: c.allowCredentials } : {}),
      ...(c.maxAge !== undefined ? { MaxAge: c.maxAge } : {}),
    }
  )
}

function normalizeCors(c: Record<string, unknown> | undefined): unknown {
  if (!c) return null
  const sorted = (v: unknown) => (Array.isArray(v) ? [...v].map(String).sort() : v)
  return {
    AllowOrigins: sorted(c.AllowOrigins) ?? [],
    AllowMethods: sorted(c.AllowMethods) ?? [],
    AllowHeaders: (sorted(c.AllowHeaders) as string[] | undefined)?.map((h) => h.toLowerCase()) ?? [],
    ExposeHeaders: (sorted(c.ExposeHeaders) as string[] | undefined)?.map((h) => h.toLowerCase()) ?? [],
    AllowCredentials: c.AllowCredentials ?? false,
    MaxAge: c.MaxAge ?? 0,
  }
}

/**
 * The HTTP API: created, or its CORS brought in line. An API with our name that is not ours blocks
 * the plan, unless --adopt: then it is tagged and used, never a second one made beside it.
 */
export function planHttpApi(b: PartBuilder<LambdaDesired>, api: ObservedApi | null): PlannedApi {
  const { desired, ctx } = b
  const name = desired.names.api
  if (api && !b.owned(api.tags) && b.refuse('apigatewayv2:api', `${name} (${api.id})`)) return { id: api.id, deps: [], blocked: true }
  const cors = desiredCors(desired)
  if (!api) {
    const id = b.add({
      id: 'api',
      action: 'create',
      resource: { type: 'apigatewayv2:api', name },
      changes: [{ path: 'ProtocolType', after: 'HTTP' }, ...(cors ? [{ path: 'CorsConfiguration', after: cors }] : [])],
      request: ApiGateway.CreateApi.request({
        Name: name,
        ProtocolType: 'HTTP',
        Description: `${desired.app} (${desired.env}), deployed by shipit`,
        ...(cors ? { CorsConfiguration: cors } : {}),
        Tags: desired.tags,
      }),
      dependsOn: [],
    })
    return { id: ref('api', 'ApiId'), deps: [id], blocked: false }
  }
  if (!b.owned(api.tags)) {
    b.adopt(
      'api-tags',
      { type: 'apigatewayv2:api', name },
      ApiGateway.TagResource.request({
        ResourceArn: `arn:${arnPartition(ctx)}:apigateway:${ctx.region}::/apis/${api.id}`,
        Tags: desired.tags,
      }),
    )
  }
  if (JSON.stringify(normalizeCors(api.cors)) === JSON.stringify(normalizeCors(cors as Record<string, unknown> | undefined))) {
    b.keep('apigatewayv2:api', name, api.endpoint)
  } else if (cors) {
    b.add({
      id: 'api-cors',
      action: 'update',
      resource: { type: 'apigatewayv2:api', name },
      reason: 'CORS changed',
      changes: [{ path: 'CorsConfiguration', before: api.cors, after: cors }],
      request: ApiGateway.UpdateApi.request({ ApiId: api.id, CorsConfiguration: cors }),
      dependsOn: [],
    })
  } else {
    b.add({
      id: 'api-cors',
      action: 'delete',
      resource: { type: 'apigatewayv2:cors', name },
      changes: [{ path: 'CorsConfiguration', before: api.cors }],
      request: ApiGateway.DeleteCorsConfiguration.request({ ApiId: api.id }),
      dependsOn: [],
    })
  }
  return { id: api.id, deps: [], blocked: false }
}

/**
 * The API's integration with the alias `live` (so a rollback moves traffic without touching the API),
 * its routes and its `$default` stage; integrations left by an older layout are removed.
 */
export function planApiRoutes(b: PartBuilder<LambdaDesired>, api: ObservedApi | null, planned: PlannedApi, aliasArn: string | Ref, fnSteps: string[]): void {
  const { names } = b.desired
  const integration = api?.integrations.find((i) => i.type === 'AWS_PROXY')
  const label = `${names.api} → ${names.function}:${ALIAS}`
  const integrationDeps = planIntegration(b, integration, planned, aliasArn, fnSteps, label)
  const target = integration ? `integrations/${integration.id}` : ref('integration', 'IntegrationId', 'integrations/{}')
  const existing = new Map((api?.routes ?? []).map((r) => [r.key, r]))
  for (const key of b.desired.http.routes) {
    const route = existing.get(key)
    const resource = { type: 'apigatewayv2:route', name: key }
    if (!route) {
      b.add({
        id: `route ${key}`,
        action: 'create',
        resource,
        request: ApiGateway.CreateRoute.request({ ApiId: planned.id, RouteKey: key, Target: target }),
        dependsOn: [...planned.deps, ...integrationDeps],
      })
    } else if (route.target !== target) {
      b.add({
        id: `route ${key}`,
        action: 'update',
        resource,
        changes: [{ path: 'Target', before: route.target, after: target }],
        request: ApiGateway.UpdateRoute.request({ ApiId: planned.id, RouteId: route.id, Target: target }),
        dependsOn: [...integrationDeps],
      })
    } else b.keep(resource.type, key)
  }
  for (const route of api?.routes ?? []) {
    if (b.desired.http.routes.includes(route.key)) continue
    b.add({
      id: `route ${route.key} (delete)`,
      action: 'delete',
      resource: { type: 'apigatewayv2:route', name: route.key },
      reason: 'no longer in http.routes',
      request: ApiGateway.DeleteRoute.request({ ApiId: planned.id, RouteId: route.id }),
      dependsOn: [],
      okErrors: ['NotFoundException'],
    })
  }
  // integrations that no route uses any more (left by an older layout) are removed after the routes move
  for (const stale of api?.integrations.filter((i) => i !== integration) ?? []) {
    b.add({
      id: `integration ${stale.id} (delete)`,
      action: 'delete',
      resource: { type: 'apigatewayv2:integration', name: stale.id },
      reason: 'not used by any route',
      request: ApiGateway.DeleteIntegration.request({ ApiId: planned.id, IntegrationId: stale.id }),
      dependsOn: b.steps.filter((s) => s.resource.type === 'apigatewayv2:route').map((s) => s.id),
      okErrors: ['NotFoundException'],
    })
  }
  planStage(b, api, planned)
}

function planIntegration(
  b: PartBuilder<LambdaDesired>,
  integration: ObservedApi['integrations'][number] | undefined,
  planned: PlannedApi,
  uri: string | Ref,
  fnSteps: string[],
  label: string,
): string[] {
  const resource = { type: 'apigatewayv2:integration', name: label }
  if (!integration) {
    b.add({
      id: 'integration',
      action: 'create',
      resource,
      changes: [
        { path: 'IntegrationUri', after: uri },
        { path: 'PayloadFormatVersion', after: '2.0' },
      ],
      request: ApiGateway.CreateIntegration.request({
        ApiId: planned.id,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: uri,
        PayloadFormatVersion: '2.0',
        Description: 'shipit: the function alias live',
      }),
      dependsOn: [...planned.deps, ...fnSteps.filter((s) => s === 'function')],
    })
    return ['integration']
  }
  if (integration.uri === uri && integration.payloadFormatVersion === '2.0') {
    b.keep(resource.type, label)
    return []
  }
  b.add({
    id: 'integration',
    action: 'update',
    resource,
    changes: [
      ...(integration.uri !== uri ? [{ path: 'IntegrationUri', before: integration.uri, after: uri }] : []),
      ...(integration.payloadFormatVersion !== '2.0' ? [{ path: 'PayloadFormatVersion', before: integration.payloadFormatVersion, after: '2.0' }] : []),
    ],
    request: ApiGateway.UpdateIntegration.request({
      ApiId: planned.id,
      IntegrationId: integration.id,
      IntegrationUri: uri,
      PayloadFormatVersion: '2.0',
    }),
    dependsOn: [],
  })
  return []
}

function planStage(b: PartBuilder<LambdaDesired>, api: ObservedApi | null, planned: PlannedApi): void {
  const resource = { type: 'apigatewayv2:stage', name: `${b.desired.names.api}/$default` }
  if (!api?.stage) {
    b.add({
      id: 'stage',
      action: 'create',
      resource,
      changes: [{ path: 'AutoDeploy', after: true }],
      request: ApiGateway.CreateStage.request({ ApiId: planned.id, StageName: '$default', AutoDeploy: true, Tags: b.desired.tags }),
      dependsOn: [...planned.deps],
    })
  } else if (!api.stage.autoDeploy) {
    b.add({
      id: 'stage',
      action: 'update',
      resource,
      changes: [{ path: 'AutoDeploy', before: false, after: true }],
      request: ApiGateway.UpdateStage.request({ ApiId: planned.id, StageName: '$default', AutoDeploy: true }),
      dependsOn: [],
    })
  } else b.keep(resource.type, resource.name)
}

/** Copies of this app's API left by an interrupted deploy (CreateApi answered, answer lost, retried): deleted. */
export function planDuplicateApis(b: PartBuilder<LambdaDesired>, duplicates: string[]): void {
  for (const id of duplicates) {
    b.add({
      id: `api ${id} (duplicate)`,
      action: 'delete',
      resource: { type: 'apigatewayv2:api', name: `${b.desired.names.api} (${id})` },
      reason: "a second copy of this app's API (left by an interrupted deploy)",
      request: ApiGateway.DeleteApi.request({ ApiId: id }),
      dependsOn: [],
      okErrors: ['NotFoundException'],
    })
  }
}
