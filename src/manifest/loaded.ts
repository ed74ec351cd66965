import { ExitCode, ShipitError } from '../errors.js'
import type { Manifest, TargetName } from './schema.js'

/**
 * What a loaded manifest is, and its problems: the types load.ts and components.ts share (a leaf of
 * both, so that neither imports the other back).
 */

/** One problem in a manifest, where it is and what to do. */
export interface ManifestProblem {
  file: string
  /** where in the file; absent when the problem is the file itself (missing, a directory, unreadable, binary, empty) */
  line?: number
  col?: number
  message: string
  hint?: string
}

export function formatProblem(p: ManifestProblem): string {
  const at = p.line === undefined ? '' : `:${p.line}:${p.col ?? 1}`
  return `${p.file}${at}: ${p.message}${p.hint ? ` — ${p.hint}` : ''}`
}

const MAX_SHOWN_PROBLEMS = 25

/** Thrown for any invalid manifest: every problem at once, exit 3. */
export class ManifestError extends ShipitError {
  readonly problems: ManifestProblem[]
  constructor(problems: ManifestProblem[]) {
    // a file that is not YAML at all gives hundreds: the first ones say enough (--json has them all)
    const shown = problems.slice(0, MAX_SHOWN_PROBLEMS).map(formatProblem)
    if (problems.length > MAX_SHOWN_PROBLEMS) shown.push(`… and ${problems.length - MAX_SHOWN_PROBLEMS} more problems (all of them with --json)`)
    super('InvalidManifest', shown.join('\n'), {
      exitCode: ExitCode.Invalid,
      source: 'user',
      details: { problems },
    })
    this.problems = problems
  }
}

export interface LoadedManifest {
  file: string
  /** the manifest as written, validated, interpolated, without environment overlays */
  manifest: Manifest
  /** the target it was validated for (the option, else its own target:); absent: none named, checked for any */
  target?: TargetName
  /** each environment's merged manifest, validated, by name (the default env is the base) */
  environments: Record<string, Manifest>
  /** what validates but deserves attention (deprecated runtimes, a timeout the HTTP API cuts short), with line:col */
  warnings: ManifestProblem[]
  /** the same document validated for another target (the rules that depend on it run again); throws ManifestError */
  forTarget: (target: TargetName) => LoadedManifest
  /** values that must never be printed (secret env values after interpolation) */
  secrets: string[]
  /** directory of the manifest file: relative paths in it are relative to this */
  dir: string
  /** line:col of the value at `path` (of its key with `atKey`), or of its nearest ancestor in the file */
  positionOf?: (path: (string | number)[], atKey?: boolean) => { line: number; col: number }
  /** `components:` each validated as an app.yaml of its own (src/manifest/components.ts); absent: the app is one component */
  components?: LoadedComponent[]
}

/** One component, validated, with its edges. */
export interface LoadedComponent {
  name: string
  target: TargetName
  /** components whose first change waits for this one's run (a `before:` task) */
  before: string[]
  /** `${component:NAME.OUTPUT}` in this component's env (any environment) */
  refs: ComponentRef[]
  /** `schedule:` as written (the schedule helper's key): a scheduled task does not run at deploy */
  scheduled: boolean
  /** the component as an app.yaml of its own, validated for its target */
  loaded: LoadedManifest
}

export interface ComponentRef {
  component: string
  output: string
}
