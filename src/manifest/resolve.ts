import { isAbsolute, resolve as resolvePath } from 'node:path'
import { didYouMean } from '../did-you-mean.js'
import { invalid } from '../errors.js'
import { type ExpressSpec, expressSpec } from './express.js'
import type { LoadedManifest } from './load.js'
import { DEFAULT_ENV } from './load.js'
import { type ResourceNames, resourceNames, shipitTags } from './names.js'
import { bare, quoted } from './rules.js'
import { type ContainerSpec, type FunctionSpec, type HttpSpec, TARGETS, type TargetName } from './schema.js'

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
  /** from the manifest; the client factory may still pick one from flags or the environment */
  region?: string
  names: ResourceNames
  tags: Record<string, string>
  environment: Record<string, EnvVar>
  secrets: Record<string, string>
  logRetentionDays: number
  http: HttpSpec
  /** directory of app.yaml; relative paths are relative to it */
  dir: string
}

export interface LambdaDesired extends DesiredBase {
  target: 'lambda'
  function: FunctionSpec & { sourceDir: string }
}

export interface ContainerDesired extends DesiredBase {
  target: 'fargate' | 'ecs'
  container: ContainerSpec
  /** `http:` on target fargate: an ECS Express Mode service, defaults filled in */
  express?: ExpressSpec
}

/** What the user wants live, for one target and env: the input of every target's observe and plan. */
export type Desired = LambdaDesired | ContainerDesired

export interface ResolveOptions {
  env?: string
  target?: string
}

/**
 * `--env` must name an overlay under `environments:` or be the default: a typo would otherwise plan
 * (and deploy) a second copy of the app under the misspelt name.
 */
function checkEnvironmentDeclared(loaded: LoadedManifest, env: string): void {
  const declared = Object.keys(loaded.manifest.environments)
  if (env === DEFAULT_ENV || declared.includes(env)) return
  const suggestion = didYouMean(env, [...new Set([...declared, DEFAULT_ENV])])
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
  checkEnvironmentDeclared(given, env)
  const target = options.target ?? given.target
  if (!target) throw invalid('NoTarget', 'no target given', [`pass --target ${TARGETS.join('|')}, or set target: in ${given.file}`])
  if (!isTarget(target)) throw invalid('UnknownTarget', `unknown target "${target}"`, [`use one of ${TARGETS.join(', ')}`])
  const loaded = target === given.target ? given : given.forTarget(target)
  const merged = loaded.environments[env]
  const environment: Record<string, EnvVar> = {}
  for (const [k, v] of Object.entries(merged.env)) {
    environment[k] = typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret }
  }
  const base: DesiredBase = {
    app: merged.name,
    env,
    region: merged.region,
    names: resourceNames(merged.name, env, merged.container?.cluster),
    tags: shipitTags(merged.name, env, target),
    environment,
    secrets: merged.secrets,
    logRetentionDays: merged.logs.retentionDays,
    http: merged.http ?? { routes: ['$default'] },
    dir: loaded.dir,
  }
  // the rules made sure the section of the target is there (with line:col when it is not)
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

function isTarget(name: string): name is TargetName {
  return (TARGETS as readonly string[]).includes(name)
}
