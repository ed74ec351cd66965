import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { invalid } from '../errors.js'
import { type RunbookOptions, renderRunbook } from './runbook.js'
import { type Artifact, forEachMarker, isArtifact, type Plan } from './types.js'

const RUNBOOK_SCRIPT = 'deploy.sh'

/**
 * `plan --cli --out DIR`: DIR/deploy.sh (executable) and each package it sends (`function.zip`), so that
 * `bash DIR/deploy.sh` performs the plan with the aws CLI. Returns the files written.
 */
/** The packages a plan sends, by name, with their bytes (a target's prepared artifacts). */
type RunbookArtifacts = ReadonlyMap<string, { artifact: Artifact; bytes: Uint8Array }>

export async function writeRunbook(dir: string, plan: Plan, artifacts: RunbookArtifacts, catalogue: RunbookOptions['catalogue']): Promise<string[]> {
  const byHash = new Map([...artifacts].map(([name, a]) => [a.artifact.sha256, { name, bytes: a.bytes }]))
  const artifactFile = (a: Artifact) => `${byHash.get(a.sha256)?.name ?? 'function'}.zip`
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw invalid('BadOutDirectory', `cannot make the directory ${dir} for the runbook (${(err as NodeJS.ErrnoException).code})`, [
      'with --cli, --out names a directory: deploy.sh and the package are written into it',
    ])
  }
  const script = join(dir, RUNBOOK_SCRIPT)
  await writeFile(script, renderRunbook(plan, { artifactFile, catalogue }), { mode: 0o755 })
  // an existing deploy.sh keeps its mode through writeFile
  await chmod(script, 0o755)
  const written = [script]
  const used = new Set<string>()
  for (const step of plan.steps)
    forEachMarker(step.request.input, (m) => {
      if (isArtifact(m)) used.add(m.sha256)
    })
  for (const [sha256, { name, bytes }] of byHash) {
    if (!used.has(sha256)) continue
    const file = join(dir, `${name}.zip`)
    await writeFile(file, bytes)
    written.push(file)
  }
  return written
}
