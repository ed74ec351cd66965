import { buildPaths, fenceBuild } from '../package/fence.js'
import type { LoadedManifest, ManifestProblem } from './load.js'
import type { Desired } from './resolve.js'

/**
 * For the container targets: container.build's context and Dockerfile lie under the directory of
 * app.yaml (src/package/fence.ts), reported at the line of `context:` or `dockerfile:` in app.yaml (or
 * of the environment overlay that set it). Local and offline: openSession runs it before any AWS call
 * or build, and validate with the other checks.
 */
export function checkBuildContext(loaded: LoadedManifest, desired: Desired, env: NodeJS.ProcessEnv = process.env): ManifestProblem[] {
  // a container target's build, or an image function's (its container, on lambda)
  const build = desired.target === 'lambda' ? desired.image?.container.build : desired.container.build
  if (!build) return []
  const paths = buildPaths(desired.dir, build, env)
  const problems = fenceBuild({ appDir: desired.dir, ...paths, allowOutsideApp: Boolean(build.allowContextOutsideApp) }, env)
  return problems.map((p) => {
    const overlay = loaded.manifest.environments[desired.env]?.container?.build
    const inOverlay = overlay?.[p.field] !== undefined
    const path = inOverlay ? ['environments', desired.env, 'container', 'build', p.field] : ['container', 'build', p.field]
    const { line, col } = loaded.positionOf?.(path) ?? { line: 1, col: 1 }
    return { file: loaded.file, line, col, message: `${p.message}${inOverlay ? ` (in environment ${desired.env})` : ''}`, hint: p.hint }
  })
}
