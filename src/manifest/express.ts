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
const DEFAULT_SCALING_TARGET = 60
const DEFAULT_HEALTH_CHECK_PATH = '/'
const DEFAULT_MAX_TASKS = 3

/** The Express settings of a fargate container with `http:`, defaults filled in (the rules checked port, mode and scaling). */
export function expressSpec(c: ContainerSpec): ExpressSpec {
  const minTasks = c.minTasks ?? Math.max(1, c.count)
  const maxTasks = c.maxTasks ?? Math.max(DEFAULT_MAX_TASKS, minTasks)
  const metric = c.scaling?.metric ?? 'cpu'
  const target = c.scaling?.target ?? DEFAULT_SCALING_TARGET
  return {
    port: c.port ?? 0,
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
