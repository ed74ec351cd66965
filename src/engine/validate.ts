import { checkBuildContext } from '../manifest/build-context.js'
import { findManifest } from '../manifest/discover.js'
import { formatProblem, type LoadedManifest, loadManifest, ManifestError, type ManifestProblem } from '../manifest/load.js'
import { resolveDesired } from '../manifest/resolve.js'
import { TARGETS, type TargetName } from '../manifest/schema.js'
import { checkFunctionSource } from '../manifest/source.js'

export interface ValidateResult {
  file: string
  valid: true
  app: string
  environments: string[]
  /** the target plan and deploy would use (--target, else target: in app.yaml); absent when neither names one */
  target?: string
  /** the targets checked: the one given, or when none is, each that the file has a section for */
  targets: string[]
  /** FILE:LINE:COL: what validates but deserves attention (deprecated runtimes, timeouts the HTTP API cuts short) */
  warnings: string[]
  /** with components: each one and its target */
  components?: { name: string; target: string }[]
}

/**
 * Load app.yaml and resolve every environment for the target plan would use, or when there is none,
 * for every target the file has a section for. Offline.
 */
export async function validateManifest(file: string | undefined, targetFlag?: string, options: { now?: Date } = {}): Promise<ValidateResult> {
  const loaded = await loadManifest(file ?? (await findManifest(process.cwd())), process.env, { target: targetFlag, now: options.now })
  const m = loaded.manifest
  if (loaded.components) return validateComponents(loaded)
  const target = loaded.target
  const targets: TargetName[] = target ? [target] : [...(m.function ? ['lambda' as const] : []), ...(m.container ? ['fargate' as const, 'ecs' as const] : [])]
  const problems: ManifestProblem[] = []
  const warnings: ManifestProblem[] = [...loaded.warnings]
  for (const t of targets) {
    let forTarget: LoadedManifest
    try {
      forTarget = t === target ? loaded : loaded.forTarget(t)
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err
      problems.push(...err.problems)
      continue
    }
    warnings.push(...forTarget.warnings)
    for (const env of [undefined, ...Object.keys(m.environments)]) {
      const desired = resolveDesired(forTarget, { env, target: t })
      if (t === 'lambda') problems.push(...(await checkFunctionSource(forTarget, desired)))
      // a container's build, also on lambda (an image function)
      problems.push(...checkBuildContext(forTarget, desired))
    }
  }
  if (problems.length) throw new ManifestError(uniqueProblems(problems))
  return {
    file: loaded.file,
    valid: true,
    app: m.name,
    environments: Object.keys(m.environments),
    ...(target ? { target } : {}),
    targets,
    warnings: uniqueProblems(warnings).map(formatProblem),
  }
}

/** Each component's sources and build contexts, in every environment (the manifest itself was validated on load). */
async function validateComponents(loaded: LoadedManifest): Promise<ValidateResult> {
  const components = loaded.components ?? []
  const problems: ManifestProblem[] = []
  for (const c of components) {
    for (const env of [undefined, ...Object.keys(c.loaded.manifest.environments)]) {
      const desired = resolveDesired(c.loaded, { env, target: c.target })
      if (c.target === 'lambda') problems.push(...(await checkFunctionSource(c.loaded, desired)))
      else problems.push(...checkBuildContext(c.loaded, desired))
    }
  }
  if (problems.length) throw new ManifestError(uniqueProblems(problems))
  return {
    file: loaded.file,
    valid: true,
    app: loaded.manifest.name,
    environments: Object.keys(loaded.manifest.environments),
    targets: [...new Set(components.map((c) => c.target))],
    warnings: uniqueProblems(loaded.warnings).map(formatProblem),
    components: components.map((c) => ({ name: c.name, target: c.target })),
  }
}

function uniqueProblems(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.message}`
    return !seen.has(key) && Boolean(seen.add(key))
  })
}

/** One line; says "no target given" exactly when plan would refuse the file for that reason. */
export function describeValid(r: ValidateResult): string {
  const target = r.components
    ? `components ${r.components.map((c) => `${c.name} (${c.target})`).join(', ')}`
    : r.target
      ? `target ${r.target}`
      : `no target given: plan and deploy need --target ${TARGETS.join('|')} or target: in ${r.file} (checked for ${r.targets.join(', ') || 'none: it has no function: or container: section'})`
  return `${r.file} is valid: app ${r.app}; ${target}; environments ${r.environments.join(', ') || 'none (default dev)'}`
}
