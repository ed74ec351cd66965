import { isAbsolute, relative, resolve } from 'node:path'
import type { ContainerDesired } from '../../manifest/resolve.js'
import { type BuildInputs, contextHash, platformFor } from './context.js'

const REPOSITORY_PREFIX = 'shipit/'

export const repositoryName = (app: string) => `${REPOSITORY_PREFIX}${app}`

/** What a plan needs of a build from source, found locally before any AWS read: where, for which platform, and its hash. */
export interface PreparedImage {
  /** `shipit/<app>` */
  repositoryName: string
  /** the image tag: a prefix of the context hash */
  tag: string
  contextSha256: string
  /** the name the image is built as locally: `shipit/<app>:<tag>` */
  localImage: string
  build: BuildInputs
  /** the context as app.yaml names it, for people */
  contextLabel: string
  files: number
  bytes: number
}

/** Hashes the build context of container.build (null without one). Runs alongside observe; reads only local files. */
export async function prepareImage(desired: ContainerDesired): Promise<PreparedImage | null> {
  const spec = desired.container
  if (!spec.build) return null
  const context = isAbsolute(spec.build.context) ? spec.build.context : resolve(desired.dir, spec.build.context)
  // relative to the context, as in docker compose
  const dockerfile = resolve(context, spec.build.dockerfile ?? 'Dockerfile')
  const build: BuildInputs = {
    context,
    dockerfile,
    args: spec.build.args ?? {},
    ...(spec.build.target ? { target: spec.build.target } : {}),
    platform: platformFor(spec.architecture),
  }
  const hash = await contextHash(build)
  const name = repositoryName(desired.app)
  return {
    repositoryName: name,
    tag: hash.tag,
    contextSha256: hash.sha256,
    localImage: `${name}:${hash.tag}`,
    build,
    contextLabel: relative(desired.dir, context) || '.',
    files: hash.files,
    bytes: hash.bytes,
  }
}
