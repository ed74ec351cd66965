import { loadManifest } from '../manifest/load.js'
import { resolveDesired } from '../manifest/resolve.js'

export interface ValidateResult {
  file: string
  valid: true
  app: string
  environments: string[]
  targets: string[]
}

/** Load app.yaml and resolve every environment for every target it can serve (or the one given). Offline. */
export async function validateManifest(file: string, target?: string): Promise<ValidateResult> {
  const loaded = await loadManifest(file)
  const m = loaded.manifest
  const targets = [...(m.function ? ['lambda'] : []), ...(m.container ? ['fargate', 'ecs'] : [])]
  for (const env of [undefined, ...Object.keys(m.environments)]) {
    for (const t of target ? [target] : targets) resolveDesired(loaded, { env, target: t })
  }
  return { file: loaded.file, valid: true, app: m.name, environments: Object.keys(m.environments), targets }
}

export function describeValid(r: ValidateResult): string {
  return `${r.file} is valid: app ${r.app}; targets ${r.targets.join(', ') || 'none'}; environments ${r.environments.join(', ') || 'none (default dev)'}`
}
