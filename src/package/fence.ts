import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path'

/**
 * The fence around what shipit packs (a Lambda source, a container build context, a Dockerfile): it
 * lies under the directory of app.yaml, judged on real paths so that `..`, an absolute path and a
 * symlink all count as where they lead. An opt-in lets a package come from outside, but never from the
 * deployer's home directory itself, `/`, or a directory that holds the home directory: those hold
 * ~/.aws and ~/.ssh, and one `COPY . .` would put them in an image.
 */

/** `child` is `parent` or lies under it (both absolute, normalised). */
export function within(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && parse(rel).root === '')
}

/**
 * The real path of `path`; when it does not exist, the real path of its nearest existing ancestor with
 * the rest appended (a missing directory is reported by whoever reads it; the fence judges where it would be).
 */
function realPathOf(path: string): string {
  const abs = resolve(path)
  try {
    return realpathSync.native(abs)
  } catch {
    const parent = dirname(abs)
    if (parent === abs) return abs
    return resolve(realPathOf(parent), relative(parent, abs))
  }
}

/** The deployer's home directory, real path (HOME as the process sees it; os.homedir() falls back to the password file). */
export function realHome(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = env.HOME || homedir()
  return home ? realPathOf(home) : undefined
}

/** Why a package root may not be packed even with the opt-in, or undefined. */
function tooWide(real: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (parse(real).root === real) return `${real} is the root of the filesystem`
  const home = realHome(env)
  if (!home) return undefined
  if (real === home) return `${real} is your home directory`
  if (within(real, home)) return `${real} holds your home directory ${home}`
  return undefined
}

type FenceVerdict = { ok: true } | { ok: false; kind: 'outside' | 'too-wide'; why: string }

/**
 * Whether `real` (a real path) may be packed for the app whose app.yaml lies in `appDir`. Inside the
 * app's directory it may, unless it is the home directory or above it (an app.yaml in $HOME); outside,
 * only with the opt-in, and never the home directory, `/` or a parent of home.
 */
export function fence(real: string, appDir: string, allowOutsideApp: boolean, env: NodeJS.ProcessEnv = process.env): FenceVerdict {
  const app = realPathOf(appDir)
  if (!within(app, real) && !allowOutsideApp) return { ok: false, kind: 'outside', why: `${real}, outside the app's directory ${app}` }
  const wide = tooWide(real, env)
  return wide ? { ok: false, kind: 'too-wide', why: wide } : { ok: true }
}

/**
 * container.build's context (relative to app.yaml's directory) and dockerfile (relative to the context,
 * as in docker compose), absolute. A leading `~/` is the home directory, as a shell would read it:
 * `dockerfile: ~/.aws/credentials` is then refused for where it is, not reported as a missing file.
 */
export function buildPaths(
  appDir: string,
  build: { context: string; dockerfile?: string },
  env: NodeJS.ProcessEnv = process.env,
): { context: string; dockerfile: string } {
  const home = (path: string) => (path === '~' || path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(1)) : path)
  const contextPath = home(build.context)
  const context = isAbsolute(contextPath) ? contextPath : resolve(appDir, contextPath)
  return { context, dockerfile: resolve(context, home(build.dockerfile ?? 'Dockerfile')) }
}

interface BuildFenceInput {
  /** directory of app.yaml */
  appDir: string
  /** the build context and the Dockerfile, absolute (as resolved from app.yaml) */
  context: string
  dockerfile: string
  allowOutsideApp: boolean
}

interface BuildFenceProblem {
  field: 'context' | 'dockerfile'
  code: 'BuildContextOutsideApp' | 'BuildContextTooWide' | 'DockerfileOutsideApp'
  message: string
  hint: string
}

/**
 * The fence of a container build: the context lies under the app's directory (or outside with
 * build.allowContextOutsideApp, never home or above), and the Dockerfile under the app's directory or the
 * context. The builder is given the context whole, and the Dockerfile is read and sent as well.
 */
export function fenceBuild(input: BuildFenceInput, env: NodeJS.ProcessEnv = process.env): BuildFenceProblem[] {
  const context = realPathOf(input.context)
  const problems: BuildFenceProblem[] = []
  const verdict = fence(context, input.appDir, input.allowOutsideApp, env)
  if (!verdict.ok && verdict.kind === 'outside')
    problems.push({
      field: 'context',
      code: 'BuildContextOutsideApp',
      message: `container.build.context is ${verdict.why}: the whole context goes to the builder, and COPY . . puts it in the image`,
      hint: 'move the context under the directory of app.yaml, or set container.build.allowContextOutsideApp: true if building from there is meant (never your home directory, / or a directory above home)',
    })
  else if (!verdict.ok)
    problems.push({
      field: 'context',
      code: 'BuildContextTooWide',
      message: `container.build.context: ${verdict.why}, which is never a build context (it holds ~/.aws and ~/.ssh)`,
      hint: 'point context at the directory of the app, with what the image needs',
    })
  const dockerfile = realPathOf(input.dockerfile)
  if (!within(realPathOf(input.appDir), dockerfile) && !within(context, dockerfile))
    problems.push({
      field: 'dockerfile',
      code: 'DockerfileOutsideApp',
      message: `container.build.dockerfile is ${dockerfile}, outside the app's directory and the build context`,
      hint: 'keep the Dockerfile under the directory of app.yaml or in the build context (dockerfile is relative to the context)',
    })
  return problems
}
