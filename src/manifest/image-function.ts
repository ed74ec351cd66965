import type { ManifestIssue } from './issue.js'
import type { ContainerSpec } from './schema.js'

/**
 * A container app with `http:` on target lambda: a Lambda image function (PackageType Image) that runs
 * the container's own HTTP server through the AWS Lambda Web Adapter. This file decides when an app is
 * one, what Lambda memory its container gets (the sizing `shipit compare` prices it with), and what
 * cannot move to Lambda, each said at its line of app.yaml before any AWS call.
 */

/** How target lambda packages the app: a zip of function.source, or the container's image. */
type LambdaPackage = 'zip' | 'image'

type Doc = Record<string, unknown>

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A function: with handler or runtime is a zip function (a file may serve both targets: its container
 * for fargate, its function for lambda). Without them, a container with http: is an image function,
 * and function: may only override timeout, memory and the role. Undefined: nothing lambda can deploy.
 */
export function lambdaPackageOf(m: Doc): LambdaPackage | undefined {
  const fn = isObject(m.function) ? m.function : undefined
  if (fn && (fn.handler !== undefined || fn.runtime !== undefined)) return 'zip'
  if (isObject(m.container) && isObject(m.http)) return 'image'
  return fn ? 'zip' : undefined
}

/** Lambda's smallest and largest memory, MB. */
const LAMBDA_MEMORY = { min: 128, max: 10240 } as const
/** Lambda gives a function up to 6 vCPUs (at 10,240 MB). */
const LAMBDA_MAX_VCPU_UNITS = 6 * 1024

/**
 * The Lambda size of a container: its memory (at least Lambda's 128 MB). Lambda gives CPU in
 * proportion to memory, so the container's memory is what carries over; `shipit compare` prices a
 * container app on lambda with this same sizing.
 */
export function lambdaSizingOfContainer(c: Pick<ContainerSpec, 'memory' | 'architecture'>): { memory: number; architecture: ContainerSpec['architecture'] } {
  return { memory: Math.max(LAMBDA_MEMORY.min, c.memory), architecture: c.architecture }
}

/** The Lambda Runtime API listens on 9001 inside the execution environment; the adapter forwards to the app's port. */
const RUNTIME_API_PORT = 9001
/** The CloudWatch Lambda Insights extension listens on 3000 (the adapter's documentation says to avoid it). */
const INSIGHTS_PORT = 3000
/** Lambda runs the image as a non-root user: it cannot listen below 1024. */
const FIRST_UNPRIVILEGED_PORT = 1024

/**
 * What keeps a container from running as a Lambda image function, at its line of app.yaml. "Not a
 * server" is decided by the port: the adapter forwards HTTP requests to container.port, so a container
 * without one (whatever its command) serves nothing it can reach.
 */
export function imageFunctionIssues(m: Doc): ManifestIssue[] {
  const c = isObject(m.container) ? m.container : undefined
  if (!c) return []
  const issues: ManifestIssue[] = []
  if (c.mode === 'task') {
    issues.push({
      path: ['container', 'mode'],
      message:
        'container.mode task is a one-off job, not an HTTP app: on target lambda a container runs as an image function that answers requests (at most 15 minutes each)',
      hint: 'deploy it with --target fargate, or set mode: service for a web server',
    })
  }
  if (c.port === undefined) {
    issues.push({
      path: Array.isArray(c.command) ? ['container', 'command'] : ['container'],
      atKey: !Array.isArray(c.command),
      message: `${Array.isArray(c.command) ? 'container.command runs with no container.port, so it is not an HTTP server' : 'container.port is required on target lambda'}: the Lambda Web Adapter forwards each request to the port the server listens on`,
      hint: 'add container.port with the port your server listens on, e.g. 8080',
    })
  } else if (typeof c.port === 'number') {
    if (c.port < FIRST_UNPRIVILEGED_PORT) {
      issues.push({
        path: ['container', 'port'],
        message: `container.port ${c.port} is below ${FIRST_UNPRIVILEGED_PORT}: Lambda runs the image as a non-root user, which cannot listen there`,
        hint: 'make the server listen on 8080 (or another port from 1024 up) and set container.port to it',
      })
    } else if (c.port === RUNTIME_API_PORT) {
      issues.push({
        path: ['container', 'port'],
        message: `container.port ${RUNTIME_API_PORT} is the port of the Lambda Runtime API inside the function`,
        hint: 'make the server listen on another port, e.g. 8080',
      })
    } else if (c.port === INSIGHTS_PORT) {
      issues.push({
        path: ['container', 'port'],
        severity: 'warning',
        message: `container.port ${INSIGHTS_PORT} is the port of the CloudWatch Lambda Insights extension; the Lambda Web Adapter's documentation says to avoid it`,
        hint: 'make the server listen on another port, e.g. 8080',
      })
    }
  }
  const fn = isObject(m.function) ? m.function : undefined
  if (typeof c.memory === 'number' && c.memory > LAMBDA_MEMORY.max && typeof fn?.memory !== 'number') {
    issues.push({
      path: ['container', 'memory'],
      message: `container.memory ${c.memory} is more than Lambda's ${LAMBDA_MEMORY.max} MB`,
      hint: `lower container.memory to ${LAMBDA_MEMORY.max} or less, or set function.memory for lambda`,
    })
  }
  if (typeof c.cpu === 'number' && c.cpu > LAMBDA_MAX_VCPU_UNITS) {
    issues.push({
      path: ['container', 'cpu'],
      message: `container.cpu ${c.cpu} (${c.cpu / 1024} vCPU) is more than the 6 vCPUs Lambda gives a function (at ${LAMBDA_MEMORY.max} MB)`,
      hint: 'lower container.cpu to 6144 or less, or stay on fargate',
    })
  }
  for (const key of ['source', 'bucket', 'allowSourceOutsideApp', 'allowFiles'] as const) {
    if (fn && fn[key] !== undefined) {
      issues.push({
        path: ['function', key],
        atKey: true,
        message: `function.${key} is for a zip function, but this function runs the container's image (function: has no handler or runtime)`,
        hint: 'remove it, or add handler: and runtime: to deploy function.source as a zip instead',
      })
    }
  }
  return issues
}

/** `target lambda needs …`: said when neither a function nor a container with http: is there. */
export const LAMBDA_SECTION_ISSUE: ManifestIssue = {
  path: [],
  message: 'target lambda needs a function: section, or a container: with http:',
  hint: 'add function: with handler: and runtime:, e.g. function: { handler: index.handler, runtime: nodejs24.x } (`shipit init --target lambda` writes one), or http: {} to run the container on Lambda',
}
