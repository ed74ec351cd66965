import { isAbsolute, resolve as resolvePath } from 'node:path'
import { clock } from '../clock.js'
import { didYouMean } from '../did-you-mean.js'
import { invalid } from '../errors.js'
import { declaringKey, isEnvPattern, parseDuration } from './environments.js'
import { type ExpressSpec, expressSpec } from './express.js'
import { lambdaPackageOf, lambdaSizingOfContainer } from './image-function.js'
import { bare, quoted } from './issue.js'
import type { LoadedManifest } from './load.js'
import { DEFAULT_ENV } from './load.js'
import { expiryTags, type ResourceNames, resourceNames, shipitTags } from './names.js'
import { type ContainerSpec, EnvName, type FunctionSpec, type HttpSpec, MAX_ENV_LENGTH, type ScheduleSpec, TARGETS, type TargetName } from './schema.js'

export { DEFAULT_ENV } from './load.js'
export { LAMBDA_ENVIRONMENT_MAX_BYTES, lambdaEnvironmentBytes } from './rules.js'

interface EnvVar {
  value: string
  secret: boolean
}

/** What every target is given: the app, its env, names, tags, environment and secrets. */
interface DesiredBase {
  app: string
  env: string
  /** the key of environments: that declares env: itself, a pattern it matches ("pr-*"), or the default env */
  declaredBy?: string
  /** `ttl:` of the env: its resources carry shipit:expires = the deploy's time + ttl (see expiryTags) */
  ttl?: Ttl
  /** from the manifest; the client factory may still pick one from flags or the environment */
  region?: string
  names: ResourceNames
  tags: Record<string, string>
  environment: Record<string, EnvVar>
  secrets: Record<string, string>
  logRetentionDays: number
  http: HttpSpec
  /** `schedule:` of a task or a function, defaults filled in */
  schedule?: DesiredSchedule
  /** directory of app.yaml; relative paths are relative to it */
  dir: string
}

export interface LambdaDesired extends DesiredBase {
  target: 'lambda'
  /** an image function's too: its memory, timeout, architecture and role (handler, runtime and source unused) */
  function: FunctionSpec & { sourceDir: string }
  /** a container app with http: on lambda: an image function running the container through the Lambda Web Adapter */
  image?: LambdaImageDesired
}

/** What an image function is built from: the container section, its port and the adapter's readiness path. */
export interface LambdaImageDesired {
  container: ContainerSpec
  port: number
  /** container.healthCheckPath, else / (the adapter's readiness check, as the load balancer's on fargate) */
  healthPath: string
}

export interface ContainerDesired extends DesiredBase {
  target: 'fargate' | 'ecs'
  container: ContainerSpec
  /** `http:` on target fargate: an ECS Express Mode service, defaults filled in */
  express?: ExpressSpec
}

/** An EventBridge Scheduler schedule as shipit makes it. */
export interface DesiredSchedule {
  expression: string
  /** IANA name; UTC unless app.yaml names one */
  timezone: string
  enabled: boolean
  /** the function's event, as JSON text */
  payload?: string
}

interface Ttl {
  /** as written, e.g. 3d */
  text: string
  ms: number
  /** the expiry this deploy gives what it creates and what it renews: now + ttl, ISO */
  expires: string
}

/** What the user wants live, for one target and env: the input of every target's observe and plan. */
export type Desired = LambdaDesired | ContainerDesired

export interface ResolveOptions {
  env?: string
  target?: string
  /** the time expiries are counted from; default clock.now() */
  now?: Date
}

/**
 * `--env` must name an overlay under `environments:` or be the default: a typo would otherwise plan
 * (and deploy) a second copy of the app under the misspelt name.
 */
function checkEnvironmentDeclared(loaded: LoadedManifest, env: string): string {
  const declared = Object.keys(loaded.manifest.environments)
  const key = declaringKey(declared, env, DEFAULT_ENV)
  if (key !== undefined && isEnvPattern(key) && !EnvName.safeParse(env).success) {
    // the pattern lets through names that would make invalid AWS names (too long, trailing hyphen)
    throw invalid('InvalidEnvironment', `environment ${quoted(env)} matches ${quoted(key)} but is not a valid environment name`, [
      `environment names use lowercase letters, digits and hyphens, start with a letter and do not end with a hyphen, at most ${MAX_ENV_LENGTH} characters`,
    ])
  }
  if (key !== undefined) return key
  const suggestion = didYouMean(
    env,
    [...new Set([...declared, DEFAULT_ENV])].filter((k) => !isEnvPattern(k)),
  )
  throw invalid('UnknownEnvironment', `environment ${quoted(env)} is not declared in ${loaded.file}`, [
    ...(suggestion ? [`did you mean --env ${suggestion}?`] : []),
    declared.length
      ? `declared environments: ${declared.join(', ')} (${DEFAULT_ENV} is the default and needs no declaration)`
      : `${loaded.file} declares no environments: leave out --env for the default ${DEFAULT_ENV}, or add ${bare(env)} under environments:`,
  ])
}

/**
 * The Desired of one env for one target, from a manifest validated for that target (one pass, in
 * loadManifest); a target other than the one it was loaded for is validated first.
 */
export function resolveDesired(given: LoadedManifest, options: ResolveOptions): Desired {
  const env = options.env ?? DEFAULT_ENV
  const declaredBy = checkEnvironmentDeclared(given, env)
  const target = options.target ?? given.target
  if (!target) throw invalid('NoTarget', 'no target given', [`pass --target ${TARGETS.join('|')}, or set target: in ${given.file}`])
  if (!isTarget(target)) throw invalid('UnknownTarget', `unknown target "${target}"`, [`use one of ${TARGETS.join(', ')}`])
  const loaded = target === given.target ? given : given.forTarget(target)
  const merged = loaded.environments[declaredBy]
  const ttl = ttlOf(loaded.manifest.environments[declaredBy]?.ttl, options.now ?? clock.now())
  const environment: Record<string, EnvVar> = {}
  for (const [k, v] of Object.entries(merged.env)) {
    environment[k] = typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret }
  }
  const base: DesiredBase = {
    app: merged.name,
    env,
    ...(declaredBy !== env ? { declaredBy } : {}),
    ...(ttl ? { ttl } : {}),
    region: merged.region,
    names: resourceNames(merged.name, env, merged.container?.cluster),
    tags: { ...shipitTags(merged.name, env, target), ...(ttl ? expiryTags(ttl.expires, ttl.text) : {}) },
    environment,
    secrets: merged.secrets,
    logRetentionDays: merged.logs.retentionDays,
    http: merged.http ?? { routes: ['$default'] },
    ...(merged.schedule ? { schedule: desiredSchedule(merged.schedule) } : {}),
    dir: loaded.dir,
  }
  // the rules made sure the section of the target is there (with line:col when it is not)
  if (target === 'lambda' && merged.container && lambdaPackageOf(merged) === 'image') return imageFunctionDesired(base, merged.container, merged.function)
  if (target === 'lambda' && merged.function) {
    const fn = merged.function
    return { ...base, target, function: { ...fn, sourceDir: isAbsolute(fn.source) ? fn.source : resolvePath(loaded.dir, fn.source) } }
  }
  if ((target === 'fargate' || target === 'ecs') && merged.container) {
    const express = target === 'fargate' && merged.http ? { express: expressSpec(merged.container) } : {}
    return { ...base, target, container: merged.container, ...express }
  }
  throw new Error(`${loaded.file} was validated for target ${target} without its section`)
}

function desiredSchedule(spec: ScheduleSpec): DesiredSchedule {
  if (typeof spec === 'string') return { expression: spec.trim(), timezone: 'UTC', enabled: true }
  const payload = spec.payload === undefined ? undefined : typeof spec.payload === 'string' ? spec.payload : JSON.stringify(spec.payload)
  return { expression: spec.expression.trim(), timezone: spec.timezone ?? 'UTC', enabled: spec.enabled ?? true, ...(payload === undefined ? {} : { payload }) }
}

/** An image function: sized from the container (function: overrides memory, timeout and the role). */
function imageFunctionDesired(base: DesiredBase, container: ContainerSpec, fn: FunctionSpec | undefined): LambdaDesired {
  const sized = lambdaSizingOfContainer(container)
  const port = container.port
  if (port === undefined) throw new Error('an image function was validated without container.port')
  return {
    ...base,
    target: 'lambda',
    function: {
      source: '',
      sourceDir: base.dir,
      timeout: fn?.timeout ?? DEFAULT_IMAGE_FUNCTION_TIMEOUT,
      memory: fn?.memoryGiven ? fn.memory : sized.memory,
      architecture: container.architecture,
      ...(fn?.role ? { role: fn.role } : {}),
      ...(fn?.reservedConcurrency !== undefined ? { reservedConcurrency: fn.reservedConcurrency } : {}),
    },
    image: { container, port, healthPath: container.healthCheckPath ?? '/' },
  }
}

/** An image function's timeout when function: gives none: the zip default, well inside the 30 s an HTTP API waits. */
const DEFAULT_IMAGE_FUNCTION_TIMEOUT = 10

function ttlOf(text: string | undefined, now: Date): Ttl | undefined {
  const ms = text === undefined ? undefined : parseDuration(text)
  if (text === undefined || ms === undefined) return undefined
  return { text, ms, expires: expiryAt(now, ms) }
}

/** The same Desired with its expiry counted from `now` (a saved plan is made again at its own time). */
export function expiringFrom(desired: Desired, now: Date): Desired {
  if (!desired.ttl) return desired
  const expires = expiryAt(now, desired.ttl.ms)
  return { ...desired, ttl: { ...desired.ttl, expires }, tags: { ...desired.tags, ...expiryTags(expires, desired.ttl.text) } }
}

/** now + ttl, to the second: the value of shipit:expires. */
function expiryAt(now: Date, ms: number): string {
  return new Date(Math.floor((now.getTime() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function isTarget(name: string): name is TargetName {
  return (TARGETS as readonly string[]).includes(name)
}
