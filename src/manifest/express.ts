import { invalid } from '../errors.js'
import type { ContainerSpec, HttpSpec } from './schema.js'

/**
 * `http:` on a fargate app: an ECS Express Mode service (HTTPS URL, shared load balancer, canary
 * deploys, autoscaling), with the defaults filled in. The planner maps it to the API's fields.
 */
export interface ExpressSpec {
  /** the container port the load balancer sends traffic to */
  port: number
  healthCheckPath: string
  minTasks: number
  maxTasks: number
  scaling: { metric: 'cpu' | 'memory' | 'requests'; target: number }
  /** container.infrastructureRole; absent: shipit makes and manages the role */
  infrastructureRole?: string
}

/** ECS's own default target value for Express scaling (60 % for cpu and memory). */
export const DEFAULT_SCALING_TARGET = 60
export const DEFAULT_HEALTH_CHECK_PATH = '/'
export const DEFAULT_MAX_TASKS = 3

/** The Express settings of a resolved fargate container with `http:`; throws a ShipitError (exit 3) when it cannot be one. */
export function expressSpec(c: ContainerSpec, file: string): ExpressSpec {
  if (c.mode === 'task') {
    throw invalid('HttpNeedsService', `http: on target fargate makes a long-running web service, but container.mode is task in ${file}`, [
      'set container.mode: service, or remove http:',
    ])
  }
  if (!c.port) {
    throw invalid('MissingPort', `http: on target fargate needs container.port in ${file}: the port the load balancer sends requests to`, [
      'add container.port (e.g. 8080) with the port your server listens on',
    ])
  }
  const minTasks = c.minTasks ?? Math.max(1, c.count)
  const maxTasks = c.maxTasks ?? Math.max(DEFAULT_MAX_TASKS, minTasks)
  const metric = c.scaling?.metric ?? 'cpu'
  const target = c.scaling?.target ?? (metric === 'requests' ? undefined : DEFAULT_SCALING_TARGET)
  // rules.ts reports these with line:col; an overlay or --target fargate can still get here
  if (minTasks > maxTasks) {
    throw invalid('InvalidScaling', `container.minTasks ${minTasks} is more than maxTasks ${maxTasks} in ${file}`, ['raise maxTasks or lower minTasks'])
  }
  if (target === undefined) {
    throw invalid('InvalidScaling', `container.scaling.metric requests needs a target in ${file}: the requests per task to scale at`, [
      'add container.scaling.target, e.g. 500',
    ])
  }
  return {
    port: c.port,
    healthCheckPath: c.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
    minTasks,
    maxTasks,
    scaling: { metric, target },
    ...(c.infrastructureRole ? { infrastructureRole: c.infrastructureRole } : {}),
  }
}

/** What of `http:` a fargate app ignores (routes and CORS are API Gateway's): for a warning. */
export function lambdaOnlyHttpFields(http: HttpSpec | undefined): string[] {
  if (!http) return []
  const routes = http.routes.length === 1 && http.routes[0] === '$default' ? [] : ['http.routes']
  return [...routes, ...(http.cors ? ['http.cors'] : [])]
}
