import { isAbsolute, resolve as resolvePath } from 'node:path'
import { didYouMean } from '../did-you-mean.js'
import { invalid } from '../errors.js'
import { type ExpressSpec, expressSpec } from './express.js'
import type { LoadedManifest } from './load.js'
import { mergeEnvironment, problemAt } from './load.js'
import { type ResourceNames, resourceNames, shipitTags } from './names.js'
import { bare, describeFargateMemory, FARGATE_CPU_MEMORY, quoted } from './rules.js'
import { type ContainerSpec, type FunctionSpec, type HttpSpec, Manifest, TARGETS, type TargetName } from './schema.js'

export const DEFAULT_ENV = 'dev'

export interface EnvVar {
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
export function checkEnvironmentDeclared(loaded: LoadedManifest, env: string): void {
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

/** Lambda's limit on a function's environment: the JSON of its Variables map, keys and values together. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096

/** The function's Variables as the lambda target sends them: env values, and each secret's ARN as SHIPIT_SECRET_<KEY>. */
export function lambdaEnvironmentBytes(environment: Record<string, EnvVar>, secrets: Record<string, string>): number {
  const variables: Record<string, string> = {}
  for (const [k, v] of Object.entries(environment)) variables[k] = v.value
  for (const [k, arn] of Object.entries(secrets)) variables[`SHIPIT_SECRET_${k}`] = arn
  return Buffer.byteLength(JSON.stringify(variables), 'utf8')
}

/** Refused offline, where it is cheap to fix, rather than by UpdateFunctionConfiguration halfway through a deploy. */
function checkLambdaEnvironmentSize(loaded: LoadedManifest, env: string, environment: Record<string, EnvVar>, secrets: Record<string, string>): void {
  const bytes = lambdaEnvironmentBytes(environment, secrets)
  if (bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES) return
  const overlay = loaded.manifest.environments[env]
  const section = Object.keys(environment).length ? 'env' : 'secrets'
  const path = overlay?.[section] ? ['environments', env, section] : [section]
  const where = overlay ? ` (in environment ${env})` : ''
  throw problemAt(
    loaded,
    path,
    `the function's environment is ${bytes} bytes; Lambda allows at most ${LAMBDA_ENVIRONMENT_MAX_BYTES} (4 KB) for all keys and values together${where}`,
    'shorten the values, or keep large ones in SSM Parameter Store and list them under secrets:',
    true,
  )
}

/** Apply the chosen environment overlay and target to a loaded manifest. */
export function resolveDesired(loaded: LoadedManifest, options: ResolveOptions): Desired {
  const { manifest } = loaded
  const env = options.env ?? DEFAULT_ENV
  checkEnvironmentDeclared(loaded, env)
  const target = (options.target ?? manifest.target) as TargetName | undefined
  if (!target) throw invalid('NoTarget', 'no target given', [`pass --target ${TARGETS.join('|')}, or set target: in ${loaded.file}`])
  if (!TARGETS.includes(target)) throw invalid('UnknownTarget', `unknown target "${target}"`, [`use one of ${TARGETS.join(', ')}`])

  // the merged document was validated by loadManifest, so this parse cannot fail
  const merged = Manifest.parse(mergeEnvironment(JSON.parse(JSON.stringify(manifest)), env))
  const environment: Record<string, EnvVar> = {}
  for (const [k, v] of Object.entries(merged.env)) {
    environment[k] = typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret }
  }

  if (target === 'lambda') checkLambdaEnvironmentSize(loaded, env, environment, merged.secrets)
  const size = merged.container
  if (target === 'fargate' && size && !FARGATE_CPU_MEMORY[size.cpu]?.includes(size.memory)) {
    // app.yaml said target: ecs (any size goes), --target fargate asks for Fargate's pairs
    throw invalid('InvalidSize', `container cpu ${size.cpu} / memory ${size.memory} is not a Fargate size (${loaded.file} is checked for target ecs)`, [
      FARGATE_CPU_MEMORY[size.cpu]
        ? `with cpu ${size.cpu} use memory ${describeFargateMemory(size.cpu)}`
        : `use cpu ${Object.keys(FARGATE_CPU_MEMORY).join(', ')}`,
    ])
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
  if (target === 'lambda') {
    const fn = merged.function
    if (!fn) throw invalid('MissingSection', `target lambda needs a function: section in ${loaded.file}`, ['run `shipit init --target lambda` to see one'])
    return { ...base, target, function: { ...fn, sourceDir: isAbsolute(fn.source) ? fn.source : resolvePath(loaded.dir, fn.source) } }
  }
  if (!merged.container) {
    throw invalid('MissingSection', `target ${target} needs a container: section in ${loaded.file}`, [`run \`shipit init --target ${target}\` to see one`])
  }
  const express = target === 'fargate' && merged.http ? { express: expressSpec(merged.container, loaded.file) } : {}
  return { ...base, target, container: merged.container, ...express }
}
