import { isAbsolute, resolve as resolvePath } from 'node:path'
import { invalid } from '../errors.js'
import { type ExpressSpec, expressSpec } from './express.js'
import type { LoadedManifest } from './load.js'
import { mergeEnvironment } from './load.js'
import { type ResourceNames, resourceNames, shipitTags } from './names.js'
import { describeFargateMemory, FARGATE_CPU_MEMORY } from './rules.js'
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
  /** `http:` on target fargate: an ECS Express Mode service, defaults filled in */
  express?: ExpressSpec
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
}

/** What the user wants live, for one target and env: the input of every target's observe and plan. */
export type Desired = LambdaDesired | ContainerDesired

export interface ResolveOptions {
  env?: string
  target?: string
}

/** Apply the chosen environment overlay and target to a loaded manifest. */
export function resolveDesired(loaded: LoadedManifest, options: ResolveOptions): Desired {
  const { manifest } = loaded
  const env = options.env ?? DEFAULT_ENV
  const known = Object.keys(manifest.environments)
  if (options.env && !known.includes(options.env) && options.env !== DEFAULT_ENV) {
    throw invalid('UnknownEnvironment', `environment "${options.env}" is not in ${loaded.file}`, [
      known.length ? `known environments: ${known.join(', ')}` : `add it under environments: in ${loaded.file}, or leave out --env`,
    ])
  }
  const target = (options.target ?? manifest.target) as TargetName | undefined
  if (!target) throw invalid('NoTarget', 'no target given', [`pass --target ${TARGETS.join('|')}, or set target: in ${loaded.file}`])
  if (!TARGETS.includes(target)) throw invalid('UnknownTarget', `unknown target "${target}"`, [`use one of ${TARGETS.join(', ')}`])

  // the merged document was validated by loadManifest, so this parse cannot fail
  const merged = Manifest.parse(mergeEnvironment(JSON.parse(JSON.stringify(manifest)), env))
  const environment: Record<string, EnvVar> = {}
  for (const [k, v] of Object.entries(merged.env)) {
    environment[k] = typeof v === 'string' ? { value: v, secret: false } : { value: v.value, secret: v.secret }
  }

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
    ...(target === 'fargate' && merged.http && merged.container ? { express: expressSpec(merged.container, loaded.file) } : {}),
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
  return { ...base, target, container: merged.container }
}
