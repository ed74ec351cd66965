import { relative } from 'node:path'
import { invalid } from '../../errors.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { buildPaths, fenceBuild } from '../../package/fence.js'
import { type BuildInputs, type ContextListing, contextHash, listBuildContext, platformFor } from './context.js'
import type { ImageLayer } from './operations.js'

const REPOSITORY_PREFIX = 'shipit/'

export const repositoryName = (app: string) => `${REPOSITORY_PREFIX}${app}`

/** What a plan needs of a build from source, found locally before any AWS read: where, for which platform, and its hash. */
export interface PreparedImage {
  /** `shipit/<app>` */
  repositoryName: string
  /** the image tag: a prefix of the context hash (of what the image is made of, for a Lambda image) */
  tag: string
  /** the build context's hash; absent for a Lambda image built FROM a registry image (no context) */
  contextSha256?: string
  /** the name the image is built as locally: `shipit/<app>:<tag>` */
  localImage: string
  /** a Lambda image FROM a registry image has no context nor Dockerfile of the user's */
  build: Omit<BuildInputs, 'context' | 'dockerfile'> & Partial<Pick<BuildInputs, 'context' | 'dockerfile'>>
  /** lines added on top of the image in a generated Dockerfile (the Lambda Web Adapter) */
  layer?: ImageLayer
  /** the largest image the target runs, checked after the build */
  maxBytes?: number
  /** the context as app.yaml names it (or the image built FROM), for people */
  contextLabel: string
  files: number
  bytes: number
}

/** What a build is made from: the app, its directory and its container section (of a container target, or of an image function). */
type ImageSource = Pick<ContainerDesired, 'app' | 'dir' | 'container'>

/** A build whose context was listed and checked: what the hash and the build step need. */
export interface ListedBuild {
  build: BuildInputs
  listing: ContextListing
}

/**
 * The build of container.build (null without one), fenced and listed: the context and Dockerfile under
 * the app's directory, no file that looks like a credential. Local files only; the container target
 * runs it before observe, so a refusal (exit 3) comes before any AWS call. The fence is checked with
 * app.yaml's positions earlier still (checkBuildContext, in openSession); it is checked again here so
 * that no path around that check builds from outside.
 */
export async function listBuild(desired: ImageSource, env: NodeJS.ProcessEnv = process.env): Promise<ListedBuild | null> {
  const spec = desired.container
  if (!spec.build) return null
  const { context, dockerfile } = buildPaths(desired.dir, spec.build, env)
  const [fenced] = fenceBuild({ appDir: desired.dir, context, dockerfile, allowOutsideApp: Boolean(spec.build.allowContextOutsideApp) }, env)
  if (fenced) throw invalid(fenced.code, fenced.message, [fenced.hint])
  const build: BuildInputs = {
    context,
    dockerfile,
    args: spec.build.args ?? {},
    ...(spec.build.target ? { target: spec.build.target } : {}),
    platform: platformFor(spec.architecture),
  }
  return { build, listing: await listBuildContext(build, { allowFiles: spec.build.allowFiles, env }) }
}

/** Hashes a listed build context (the image tag). Runs alongside observe. */
export async function hashBuild(desired: ImageSource, listed: ListedBuild): Promise<PreparedImage> {
  const { build, listing } = listed
  const hash = await contextHash(build, {}, listing)
  const name = repositoryName(desired.app)
  return {
    repositoryName: name,
    tag: hash.tag,
    contextSha256: hash.sha256,
    localImage: `${name}:${hash.tag}`,
    build,
    contextLabel: relative(desired.dir, build.context) || '.',
    files: hash.files,
    bytes: hash.bytes,
  }
}

/** listBuild, then hashBuild. */
export async function prepareImage(desired: ImageSource, env: NodeJS.ProcessEnv = process.env): Promise<PreparedImage | null> {
  const listed = await listBuild(desired, env)
  return listed && hashBuild(desired, listed)
}
