import { checkBuildContext } from '../manifest/build-context.js'
import { findManifest } from '../manifest/discover.js'
import { loadManifest, ManifestError, type ManifestProblem } from '../manifest/load.js'
import { resolveDesired } from '../manifest/resolve.js'
import { TARGETS } from '../manifest/schema.js'
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
}

/**
 * Load app.yaml and resolve every environment for the target plan would use, or when there is none,
 * for every target the file has a section for. Offline.
 */
export async function validateManifest(file: string | undefined, targetFlag?: string): Promise<ValidateResult> {
  const loaded = await loadManifest(file ?? (await findManifest(process.cwd())))
  const m = loaded.manifest
  const target = targetFlag ?? m.target
  const targets = target ? [target] : [...(m.function ? ['lambda'] : []), ...(m.container ? ['fargate', 'ecs'] : [])]
  const problems: ManifestProblem[] = []
  for (const env of [undefined, ...Object.keys(m.environments)]) {
    for (const t of targets) {
      const desired = resolveDesired(loaded, { env, target: t })
      if (t === 'lambda') problems.push(...(await checkFunctionSource(loaded, desired)))
      else problems.push(...checkBuildContext(loaded, desired))
    }
  }
  if (problems.length) throw new ManifestError(uniqueProblems(problems))
  return { file: loaded.file, valid: true, app: m.name, environments: Object.keys(m.environments), ...(target ? { target } : {}), targets }
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
  const target = r.target
    ? `target ${r.target}`
    : `no target given: plan and deploy need --target ${TARGETS.join('|')} or target: in ${r.file} (checked for ${r.targets.join(', ') || 'none: it has no function: or container: section'})`
  return `${r.file} is valid: app ${r.app}; ${target}; environments ${r.environments.join(', ') || 'none (default dev)'}`
}
