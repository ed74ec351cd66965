import { imageFunctionIssues, LAMBDA_SECTION_ISSUE, lambdaPackageOf } from './image-function.js'
import { bare, type ManifestIssue, quoted } from './issue.js'
import { releaseIssues } from './release.js'
import { creatableRuntimes, runtimeStanding } from './runtimes.js'
import { isProblem, isTimeZone, parseScheduleExpression } from './schedule-expression.js'
import { FUNCTION_KEYS, type Manifest, TARGETS, type TargetName } from './schema.js'
import { parseSecretRef } from './secret-refs.js'

/** What the rules need besides the document: the target it is validated for, and the day (runtime deprecations). */
interface RuleContext {
  /** --target; else the document's own target:; absent: every target the document may be deployed to */
  target?: TargetName
  now: Date
  /** the command creates nothing: a runtime blocked for new functions is a warning, not an error */
  existingOnly?: boolean
}

/** Fargate's valid task cpu → memory (MiB) combinations, from the ECS developer guide. */
export const FARGATE_CPU_MEMORY: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = []
  for (let n = from; n <= to; n += step) out.push(n)
  return out
}

function describeFargateMemory(cpu: number): string {
  const mem = FARGATE_CPU_MEMORY[cpu]
  if (!mem) return ''
  return mem.length <= 4 ? mem.join(', ') : `${mem[0]}–${mem[mem.length - 1]} in steps of ${mem[1] - mem[0]}`
}

const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
/** `METHOD /path`, path segments plain or `{param}` / a final `{proxy+}` (API Gateway's route syntax). */
const ROUTE_PATH = /^\/$|^(\/([A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9_]+\}))*(\/\{[A-Za-z0-9_]+\+\})?$/

function checkRoute(route: string): string | undefined {
  if (route === '$default') return undefined
  const m = /^(\S+) (\S+)$/.exec(route)
  if (!m) return `route ${quoted(route)} is not "METHOD /path" or "$default"`
  const [, method, path] = m
  if (!ROUTE_METHODS.includes(method)) return `route ${quoted(route)} has an unknown method ${bare(method)} (use one of ${ROUTE_METHODS.join(', ')})`
  if (!path.startsWith('/')) return `route ${quoted(route)} has a path that does not start with /`
  if (!ROUTE_PATH.test(path)) return `route ${quoted(route)} has an invalid path: segments are literals or {name}, and only the last may be {name+}`
  return undefined
}

const HANDLER_FORMS: [RegExp, RegExp, string][] = [
  [/^(nodejs|python|ruby)/, /^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/, 'FILE.FUNCTION, e.g. index.handler'],
  [/^java/, /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*(::[A-Za-z_$][\w$]*)?$/, 'package.Class::method, e.g. example.Handler::handleRequest'],
  [/^dotnet/, /^[^:]+::[^:]+::[^:]+$/, 'Assembly::Namespace.Class::Method'],
]

/** Reserved Lambda environment keys (the function's runtime sets them). */
const RESERVED_LAMBDA_ENV = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
])

/**
 * Rules that span fields, depend on the target or need AWS knowledge; run once per document (the
 * base and each environment's merged manifest), for the target being validated.
 */
export function checkRules(input: unknown, context: RuleContext): ManifestIssue[] {
  // runs on the raw document (before defaults, possibly invalid), so every field is guarded
  const m = (isObject(input) ? input : {}) as Partial<Record<keyof Manifest, unknown>>
  const target = context.target ?? TARGETS.find((t) => t === m.target)
  const issues: ManifestIssue[] = [...sectionIssues(m, target)]
  const env = isObject(m.env) ? m.env : {}
  const secrets = isObject(m.secrets) ? m.secrets : {}
  const lambdaPackage = target === 'lambda' ? lambdaPackageOf(m) : undefined
  // Fargate's fixed cpu/memory pairs; on EC2 instances (target: ecs) any size that fits an instance is fine, and a container
  // that runs on lambda (an image function) is sized by its memory alone
  if (target !== 'ecs' && lambdaPackage !== 'image') issues.push(...fargateSizeIssues(m))
  if (lambdaPackage === 'image') issues.push(...imageFunctionIssues(m), ...reservedEnvIssues(env), ...lambdaEnvironmentIssues(env, secrets))
  if (isObject(m.container)) {
    // the image is either named or built, never both: a built image would silently replace the named one
    const hasImage = m.container.image !== undefined
    const hasBuild = m.container.build !== undefined
    if (hasImage && hasBuild) {
      issues.push({
        path: ['container', 'build'],
        atKey: true,
        message: 'container has both image and build: give exactly one of them',
        hint: 'keep image: to run an image from a registry, or build: to build one from source and push it to ECR',
      })
    } else if (!hasImage && !hasBuild) {
      issues.push({
        path: ['container'],
        atKey: true,
        message: 'container needs image or build: give exactly one of them',
        hint: 'add image: public.ecr.aws/nginx/nginx:1.27, or build: { context: . } to build the Dockerfile next to app.yaml',
      })
    }
  }
  if (isObject(m.container) && m.container.mode === 'task' && typeof m.container.count === 'number' && m.container.count > 10) {
    issues.push({
      path: ['container', 'count'],
      message: `container.count ${m.container.count} is more than RunTask starts at once (10)`,
      hint: 'use count 1–10 for mode: task, or mode: service for more copies',
    })
  }
  const f = isObject(m.function) ? m.function : undefined
  // with an unknown key (a misspelt handler), the schema's "unknown key" says it once
  const unknownKey = f && Object.keys(f).some((k) => !FUNCTION_KEYS.includes(k))
  if (lambdaPackage === 'zip' && f && !unknownKey && (f.handler === undefined || f.runtime === undefined)) {
    issues.push({
      path: ['function'],
      atKey: true,
      message: `function needs ${f.handler === undefined && f.runtime === undefined ? 'handler and runtime' : f.handler === undefined ? 'handler' : 'runtime'} on target lambda`,
      hint: 'add them, e.g. function: { handler: index.handler, runtime: nodejs24.x }; or, for a container app, add http: to run the container on Lambda',
    })
  }
  if (f && typeof f.runtime === 'string' && (target === 'lambda' || target === undefined)) {
    issues.push(...functionIssues(f, env, context))
    if (isObject(f.release)) issues.push(...releaseIssues(f.release))
    if (target === 'lambda') issues.push(...lambdaEnvironmentIssues(env, secrets))
    const timeout = typeof f.timeout === 'number' ? f.timeout : undefined
    if (isObject(m.http) && timeout !== undefined && timeout > HTTP_API_TIMEOUT_SECONDS) {
      issues.push({
        path: ['function', 'timeout'],
        severity: 'warning',
        message: `function.timeout ${timeout} is more than the ${HTTP_API_TIMEOUT_SECONDS} s an HTTP API waits for the function: requests through http: fail after ${HTTP_API_TIMEOUT_SECONDS} s while the function runs on`,
        hint: `lower timeout to ${HTTP_API_TIMEOUT_SECONDS} or less, or hand long work to a queue and answer at once`,
      })
    }
  }
  const routes = isObject(m.http) && Array.isArray(m.http.routes) ? m.http.routes : []
  {
    const seen = new Set<string>()
    routes.forEach((route: unknown, i) => {
      if (typeof route !== 'string') return
      const problem = checkRoute(route)
      if (problem) issues.push({ path: ['http', 'routes', i], message: problem, hint: 'write routes as "GET /items/{id}", "ANY /{proxy+}" or "$default"' })
      else if (seen.has(route)) issues.push({ path: ['http', 'routes', i], message: `route ${quoted(route)} is listed twice`, hint: 'remove the duplicate' })
      seen.add(route)
    })
  }
  issues.push(...expressIssues(m, target))
  if (isObject(m.http)) issues.push(...domainIssues(m.http, typeof m.region === 'string' ? m.region : undefined, target))
  issues.push(...scheduleIssues(m, target))
  for (const key of Object.keys(secrets)) {
    if (key in env) issues.push({ path: ['secrets', key], atKey: true, message: `${bare(key)} is both in env and in secrets`, hint: 'keep it in one of them' })
  }
  issues.push(...secretRefIssues(secrets))
  return issues
}

/**
 * `http:` on fargate is an ECS Express Mode service. Its routes and CORS are API Gateway's, but one
 * file may serve both targets (a lambda function and a container), so they are not errors here:
 * the fargate plan warns that it ignores them (see lambdaOnlyHttpFields).
 */
function expressIssues(m: Partial<Record<keyof Manifest, unknown>>, target: TargetName | undefined): ManifestIssue[] {
  const issues: ManifestIssue[] = []
  const c = isObject(m.container) ? m.container : undefined
  const http = isObject(m.http) ? m.http : undefined
  if (target === 'fargate' && http && c) {
    if (c.mode === 'task') {
      issues.push({
        path: ['container', 'mode'],
        message: 'http: on target fargate makes a long-running web service, but container.mode is task',
        hint: 'set container.mode: service, or remove http:',
      })
    }
    if (c.port === undefined) {
      issues.push({
        path: ['container'],
        atKey: true,
        message: 'container.port is required with http: on target fargate: the load balancer sends requests to it',
        hint: 'add container.port with the port your server listens on, e.g. 8080',
      })
    }
  }
  if (!c) return issues
  if (typeof c.minTasks === 'number' && typeof c.maxTasks === 'number' && c.minTasks > c.maxTasks) {
    issues.push({
      path: ['container', 'minTasks'],
      message: `container.minTasks ${c.minTasks} is more than maxTasks ${c.maxTasks}`,
      hint: 'raise maxTasks or lower minTasks',
    })
  }
  const scaling = isObject(c.scaling) ? c.scaling : undefined
  if (scaling) {
    const metric = scaling.metric ?? 'cpu'
    if (metric === 'requests' && scaling.target === undefined) {
      issues.push({
        path: ['container', 'scaling'],
        message: 'container.scaling.metric requests needs a target: the requests per task to scale at',
        hint: 'add target, e.g. 500',
      })
    } else if ((metric === 'cpu' || metric === 'memory') && typeof scaling.target === 'number' && scaling.target > 100) {
      issues.push({
        path: ['container', 'scaling', 'target'],
        message: `container.scaling.target ${scaling.target} is more than 100 %, the most ${metric} can reach`,
        hint: 'use a percentage, e.g. 60',
      })
    }
  }
  return issues
}

/**
 * `schedule:` runs something that ends: a container with mode: task, or a function. Its expression
 * and time zone are checked here, as EventBridge Scheduler would at CreateSchedule.
 */
function scheduleIssues(m: Partial<Record<keyof Manifest, unknown>>, target: TargetName | undefined): ManifestIssue[] {
  const schedule = m.schedule
  if (schedule === undefined) return []
  const issues: ManifestIssue[] = []
  const object = isObject(schedule) ? schedule : undefined
  const expression = typeof schedule === 'string' ? schedule : object?.expression
  const at = object ? ['schedule', 'expression'] : ['schedule']
  if (typeof expression === 'string') {
    const parsed = parseScheduleExpression(expression)
    if (isProblem(parsed)) issues.push({ path: at, message: parsed.message, hint: parsed.hint })
  }
  if (object && typeof object.timezone === 'string' && !isTimeZone(object.timezone)) {
    issues.push({
      path: ['schedule', 'timezone'],
      message: `schedule.timezone ${quoted(object.timezone)} is not an IANA time zone`,
      hint: 'use a name of the tz database, e.g. UTC, Europe/Paris, America/New_York',
    })
  }
  const c = isObject(m.container) ? m.container : undefined
  const onContainer = target === 'fargate' || target === 'ecs' || (target === undefined && c !== undefined && !isObject(m.function))
  if (onContainer && c && (c.mode ?? 'service') !== 'task') {
    issues.push({
      path: ['schedule'],
      atKey: true,
      message: 'schedule: starts a task at set times, but container.mode is service: a service runs all the time',
      hint: 'set container.mode: task for a scheduled job, or remove schedule:',
    })
  }
  if (onContainer && c?.count === 0) {
    issues.push({
      path: ['container', 'count'],
      message: 'container.count 0 with schedule: each run of the schedule starts count tasks, and Scheduler starts at least 1',
      hint: 'set count to 1–10, or remove schedule:',
    })
  }
  if (onContainer && object?.payload !== undefined) {
    issues.push({
      path: ['schedule', 'payload'],
      atKey: true,
      message: "schedule.payload is the event a function is invoked with; a container's task takes none",
      hint: 'remove payload, and give the task what it needs with container.command or env:',
    })
  }
  return issues
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** What an API Gateway HTTP API waits for an integration before it answers 503 (its 30 s integration timeout). */
const HTTP_API_TIMEOUT_SECONDS = 30

/** The section the target deploys must be there: said at the top of the document (or of the overlay), with what to add. */
function sectionIssues(m: Partial<Record<keyof Manifest, unknown>>, target: TargetName | undefined): ManifestIssue[] {
  if (target === 'lambda' && !lambdaPackageOf(m)) return [LAMBDA_SECTION_ISSUE]
  if ((target === 'fargate' || target === 'ecs') && !isObject(m.container)) {
    return [
      {
        path: [],
        message: `target ${target} needs a container: section`,
        hint: `add container: with image: or build:, e.g. container: { image: public.ecr.aws/nginx/nginx:1.27, port: 80 } (\`shipit init --target ${target}\` writes one)`,
      },
    ]
  }
  return []
}

function fargateSizeIssues(m: Partial<Record<keyof Manifest, unknown>>): ManifestIssue[] {
  const c = isObject(m.container) ? { cpu: 256, memory: 512, ...m.container } : undefined
  if (!c || typeof c.cpu !== 'number' || typeof c.memory !== 'number' || !Number.isInteger(c.cpu)) return []
  const pairs = FARGATE_CPU_MEMORY[c.cpu]
  if (!pairs) {
    return [
      {
        path: ['container', 'cpu'],
        message: `container.cpu ${c.cpu} is not a Fargate CPU size`,
        hint: `use one of ${Object.keys(FARGATE_CPU_MEMORY).join(', ')}`,
      },
    ]
  }
  if (pairs.includes(c.memory)) return []
  return [
    {
      path: ['container', 'memory'],
      message: `container.memory ${c.memory} does not pair with cpu ${c.cpu} on Fargate`,
      hint: `with cpu ${c.cpu} use memory ${describeFargateMemory(c.cpu)}`,
    },
  ]
}

/** The runtime (refused once Lambda blocks creating functions with it, warned about before), the handler's form, reserved env keys. */
function functionIssues(f: Record<string, any>, env: Record<string, unknown>, { now, existingOnly }: RuleContext): ManifestIssue[] {
  const issues: ManifestIssue[] = []
  const runtime = f.runtime as string
  const standing = runtimeStanding(runtime, now)
  const instead = (successor?: string) => (successor ? `use ${successor}` : `use one of ${creatableRuntimes(now).join(', ')}`)
  if (standing.kind === 'unknown') {
    issues.push({
      path: ['function', 'runtime'],
      message: `runtime ${bare(runtime)} is not a Lambda runtime`,
      hint: `use one of ${creatableRuntimes(now).join(', ')}`,
    })
  } else if (standing.kind === 'blocked') {
    issues.push({
      path: ['function', 'runtime'],
      ...(existingOnly ? { severity: 'warning' as const } : {}),
      message: `runtime ${bare(runtime)} is deprecated and Lambda no longer creates functions with it (blocked since ${standing.createBlocked})`,
      hint: instead(standing.successor),
    })
  } else {
    if (standing.kind === 'warn') {
      issues.push({
        path: ['function', 'runtime'],
        severity: 'warning',
        message: `runtime ${bare(runtime)} ${standing.reason}`,
        hint: instead(standing.successor),
      })
    }
    const form = HANDLER_FORMS.find(([r]) => r.test(runtime))
    if (form && typeof f.handler === 'string' && !form[1].test(f.handler)) {
      issues.push({
        path: ['function', 'handler'],
        message: `handler ${quoted(f.handler)} is not of the form ${runtime} expects`,
        hint: `write it as ${form[2]}`,
      })
    }
  }
  issues.push(...reservedEnvIssues(env))
  return issues
}

/** Keys of env: the Lambda runtime sets itself (a zip function's or an image function's). */
function reservedEnvIssues(env: Record<string, unknown>): ManifestIssue[] {
  return Object.keys(env)
    .filter((key) => RESERVED_LAMBDA_ENV.has(key))
    .map((key) => ({ path: ['env', key], atKey: true, message: `env ${key} is reserved by Lambda`, hint: 'rename the variable' }))
}

/** Lambda's limit on a function's environment: the JSON of its Variables map, keys and values together. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096

/** The function's Variables as the lambda target sends them: env values, and each secret's ARN as SHIPIT_SECRET_<KEY>. */
export function lambdaEnvironmentBytes(environment: Record<string, { value: string; secret?: boolean }>, secrets: Record<string, string>): number {
  const variables: Record<string, string> = {}
  for (const [k, v] of Object.entries(environment)) variables[k] = v.value
  for (const [k, text] of Object.entries(secrets)) {
    variables[`SHIPIT_SECRET_${k}`] = text
    // a tracked secret also gets its extension URL and its version: an estimate, the ARN and version are read later
    if (!text.startsWith('arn:'))
      variables[`SHIPIT_SECRET_${k}_URL`] = `http://localhost:2773/secretsmanager/get?secretId=${text}&versionStage=AWSCURRENT=${k}=${'0'.repeat(36)}`
  }
  return Buffer.byteLength(JSON.stringify(variables), 'utf8')
}

/** Refused offline, where it is cheap to fix, rather than by UpdateFunctionConfiguration halfway through a deploy. */
function lambdaEnvironmentIssues(env: Record<string, unknown>, secrets: Record<string, unknown>): ManifestIssue[] {
  const environment: Record<string, { value: string }> = {}
  for (const [k, v] of Object.entries(env)) {
    const value = typeof v === 'string' ? v : isObject(v) && typeof v.value === 'string' ? v.value : undefined
    if (value === undefined) return [] // the schema reports it
    environment[k] = { value }
  }
  const arns = Object.fromEntries(Object.entries(secrets).filter((e): e is [string, string] => typeof e[1] === 'string'))
  const bytes = lambdaEnvironmentBytes(environment, arns)
  if (bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES) return []
  return [
    {
      path: [Object.keys(env).length ? 'env' : 'secrets'],
      atKey: true,
      message: `the function's environment is ${bytes} bytes; Lambda allows at most ${LAMBDA_ENVIRONMENT_MAX_BYTES} (4 KB) for all keys and values together`,
      hint: 'shorten the values, or keep large ones in SSM Parameter Store and list them under secrets:',
    },
  ]
}

/** A Secrets Manager entry names one version at most: by stage or by id, as ECS takes it. */
function secretRefIssues(secrets: Record<string, unknown>): ManifestIssue[] {
  const issues: ManifestIssue[] = []
  for (const [key, text] of Object.entries(secrets)) {
    if (typeof text !== 'string') continue
    const source = parseSecretRef(text)
    // on Lambda a secret NAME also gives SHIPIT_SECRET_NAME_URL and _JSON_KEY: another secret may not be named so
    const owner = ['_URL', '_JSON_KEY'].map((suffix) => (key.endsWith(suffix) ? key.slice(0, -suffix.length) : '')).find((k) => k && k in secrets)
    if (owner)
      issues.push({
        path: ['secrets', key],
        atKey: true,
        message: `secret ${bare(key)} would share its variable with secret ${bare(owner)} (SHIPIT_SECRET_${key})`,
        hint: 'rename one of them',
      })
    if (source?.store === 'secretsmanager' && source.versionStage && source.versionId)
      issues.push({
        path: ['secrets', key],
        message: `secrets.${bare(key)} names both a version stage (${source.versionStage}) and a version id (${source.versionId})`,
        hint: 'keep one of them: #json-key:STAGE or #json-key::VERSION-ID',
      })
  }
  return issues
}

/** ACM's default quota of names on one certificate (the domain and its alternative names). */
const MAX_DOMAIN_NAMES = 10
/** A DNS name of letters, digits and hyphens, in lower case, with at least two labels; no wildcard. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/
/** arn:PARTITION:acm:REGION:ACCOUNT:certificate/UUID */
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]{36}$/

/** http.domain and http.certificate: DNS names, at most ACM's count, a certificate ARN of the app's region. */
function domainIssues(http: Record<string, any>, region: string | undefined, target: TargetName | undefined): ManifestIssue[] {
  const issues: ManifestIssue[] = []
  const names: unknown[] = http.domain === undefined ? [] : Array.isArray(http.domain) ? http.domain : [http.domain]
  const path = (i: number) => (Array.isArray(http.domain) ? ['http', 'domain', i] : ['http', 'domain'])
  const seen = new Set<string>()
  names.forEach((name, i) => {
    if (typeof name !== 'string') return
    if (name.includes('*')) {
      issues.push({
        path: path(i),
        message: `domain ${quoted(name)} is a wildcard: shipit points one name at one app`,
        hint: 'list each name, e.g. api.example.com',
      })
    } else if (!DNS_NAME.test(name)) {
      issues.push({
        path: path(i),
        message: `domain ${quoted(name)} is not a DNS name`,
        hint: 'write it in lower case, labels of letters, digits and hyphens separated by dots, e.g. api.example.com',
      })
    } else if (seen.has(name)) issues.push({ path: path(i), message: `domain ${quoted(name)} is listed twice`, hint: 'remove the duplicate' })
    seen.add(name)
  })
  if (names.length > MAX_DOMAIN_NAMES) {
    issues.push({
      path: ['http', 'domain'],
      message: `http.domain lists ${names.length} names; one ACM certificate covers at most ${MAX_DOMAIN_NAMES}`,
      hint: `keep at most ${MAX_DOMAIN_NAMES} names`,
    })
  }
  if (names.length && target === 'ecs') {
    issues.push({
      path: ['http', 'domain'],
      atKey: true,
      message: 'http.domain needs a URL to point at, and target ecs has none',
      hint: 'deploy with --target fargate (an Express service) or --target lambda, or remove http.domain',
    })
  }
  const cert = http.certificate
  if (typeof cert === 'string') {
    const m = CERTIFICATE_ARN.exec(cert)
    if (!m) {
      issues.push({
        path: ['http', 'certificate'],
        message: `certificate ${quoted(cert)} is not an ACM certificate ARN`,
        hint: 'write arn:aws:acm:REGION:ACCOUNT:certificate/ID (aws acm list-certificates), or leave it out for shipit to request one',
      })
    } else if (region && m[1] !== region) {
      issues.push({
        path: ['http', 'certificate'],
        message: `certificate is in ${m[1]}, but the app is in ${region}: API Gateway and load balancers use certificates of their own region`,
        hint: `request or import the certificate in ${region}, or leave certificate out for shipit to request one`,
      })
    }
    if (!names.length) {
      issues.push({
        path: ['http', 'certificate'],
        atKey: true,
        message: 'http.certificate is given without http.domain',
        hint: 'add domain: with the names it covers',
      })
    }
  }
  return issues
}
