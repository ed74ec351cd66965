import { invalid } from '../errors.js'
import { bare } from './issue.js'
import { type ComponentRef, type LoadedComponent, type LoadedManifest, ManifestError, type ManifestProblem } from './loaded.js'
import { Manifest, type TargetName } from './schema.js'

export type { ComponentRef, LoadedComponent } from './loaded.js'

/**
 * `components:` — several parts of one app, each on its own target. A component is validated as the
 * app.yaml it would be on its own: the top level (name, region, env, secrets, logs, expect,
 * environments) with the component merged over it, for the component's target. Between components:
 * `before:` (a task that must pass first) and `${component:NAME.OUTPUT}` (a value another component
 * produces) are edges of one graph, which must have no loop.
 */

/** What each target offers to `${component:NAME.OUTPUT}` (src/engine/component-refs.ts gives the values). */
const COMPONENT_OUTPUTS: Record<TargetName, readonly string[]> = {
  lambda: ['url', 'arn', 'name'],
  fargate: ['arn', 'name'],
  ecs: ['arn', 'name'],
}

/** `${component:api.url}`: kept as text by interpolation (interpolate.ts), resolved at plan time. */
export const COMPONENT_REF = /\$\{component:([a-z][a-z0-9-]*)\.([a-zA-Z]+)\}/g

/** Top-level sections that belong to a component once there are components. */
const COMPONENT_ONLY = ['target', 'container', 'function', 'http'] as const

type Raw = Record<string, unknown>
type Validate = (doc: Raw, at: LoadedManifest['positionOf'] & {}) => Pick<LoadedManifest, 'manifest' | 'environments' | 'warnings'>
type Merge = (base: unknown, over: unknown) => unknown

/** `${component:…}` in an app without components: there is no other component to take a value from. */
export function strayRefs(raw: Raw, file: string, at: NonNullable<LoadedManifest['positionOf']>): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const scan = (env: unknown, path: string[]) => {
    for (const [key, value] of Object.entries(asRecord(env))) {
      if (typeof value === 'string' && value.match(COMPONENT_REF)) {
        problems.push({
          file,
          ...at([...path, key]),
          message: `${bare(key)} takes another component's output, and this app has no components:`,
          hint: 'move the app under components: next to the component it reads from',
        })
      }
    }
  }
  scan(raw.env, ['env'])
  for (const [e, overlay] of Object.entries(asRecord(raw.environments))) scan(asRecord(overlay).env, ['environments', e, 'env'])
  return problems
}

/** The components of a manifest whose top level was validated as `top`; every problem at once, with line:col. */
export function loadComponents(top: LoadedManifest, raw: Raw, validate: Validate, merge: Merge): LoadedComponent[] {
  const at = top.positionOf ?? (() => ({ line: 1, col: 1 }))
  const problems: ManifestProblem[] = []
  const problem = (path: (string | number)[], message: string, hint: string, atKey = false) =>
    problems.push({ file: top.file, ...at(path, atKey), message, hint })
  for (const key of COMPONENT_ONLY) {
    if (raw[key] !== undefined) {
      problem([key], `${key} belongs in a component when the app has components:`, `move ${key}: under each component that needs it`, true)
    }
  }
  const specs = (raw.components ?? {}) as Record<string, Raw>
  const names = Object.keys(specs)
  const components: LoadedComponent[] = []
  for (const name of names) {
    const doc = componentDocument(raw, name, merge)
    const position = componentPositions(raw, name, at)
    try {
      const { manifest, environments, warnings } = validate(doc, position)
      const target = specs[name].target as TargetName
      const loaded: LoadedManifest = {
        ...top,
        manifest,
        target,
        environments,
        warnings: warnings.map((w) => ({ ...w, message: `${w.message} (component ${name})` })),
        positionOf: position,
        forTarget: (other) => {
          if (other === target) return loaded
          throw invalid('TargetMismatch', `component ${name} deploys to ${target}, not ${other}`, [
            `leave out --target, or set target: ${other} in component ${name}`,
          ])
        },
      }
      const refs = refsOf(doc, name, names, specs, problem)
      const before = (specs[name].before as string[] | undefined) ?? []
      before.forEach((other, i) => {
        if (!names.includes(other))
          problem(['components', name, 'before', i], `before: names ${bare(other)}, which is not a component`, `components: ${names.join(', ')}`)
      })
      if (before.length && manifest.container?.mode !== 'task') {
        problem(
          ['components', name, 'before'],
          `before: needs a task (container.mode: task) that runs and exits; ${name} is not one`,
          'set container: { mode: task } or remove before:',
          true,
        )
      }
      components.push({ name, target, before, refs, scheduled: specs[name].schedule !== undefined, loaded })
    } catch (err) {
      const inner = (err as { problems?: ManifestProblem[] }).problems
      if (!inner) throw err
      for (const p of inner) problems.push({ ...p, message: `${p.message} (component ${name})` })
    }
  }
  if (!problems.length) {
    const loop = findLoop(components)
    if (loop) {
      problem(
        ['components', loop[0]],
        `components depend on each other in a loop: ${loop.join(' → ')}`,
        'before: and ${component:…} each order two components; remove one of them',
        true,
      )
    }
  }
  if (problems.length) throw new ManifestError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)))
  return components
}

/** The component as the app.yaml it would be alone: top level, the component's sections over it, overlays merged per env. */
function componentDocument(raw: Raw, name: string, merge: Merge): Raw {
  const { components, environments: topEnvs, target: _t, container: _c, function: _f, http: _h, ...top } = raw
  const spec = (components as Record<string, Raw>)[name] ?? {}
  const { before: _b, schedule, environments: ownEnvs, env, secrets, ...sections } = spec
  const envNames = new Set([...Object.keys(asRecord(topEnvs)), ...Object.keys(asRecord(ownEnvs))])
  const environments: Raw = {}
  for (const e of envNames) environments[e] = merge(asRecord(topEnvs)[e] ?? {}, asRecord(ownEnvs)[e] ?? {})
  // schedule: passes through once the app.yaml shape has it (the schedule helper's key)
  const scheduleKey = 'schedule' in Manifest.shape && schedule !== undefined ? { schedule } : {}
  return {
    ...top,
    ...sections,
    ...scheduleKey,
    env: { ...asRecord(top.env), ...asRecord(env) },
    secrets: { ...asRecord(top.secrets), ...asRecord(secrets) },
    environments,
  }
}

/** Where a path of the component's own document is written in the file: in the component when it set it, else at the top level. */
function componentPositions(raw: Raw, name: string, at: NonNullable<LoadedManifest['positionOf']>): NonNullable<LoadedManifest['positionOf']> {
  const spec = asRecord(asRecord(raw.components)[name])
  const own = (path: (string | number)[]) => ['components', name, ...path]
  return (path, atKey) => {
    const [head] = path
    if (head === undefined) return at(['components', name], true)
    if (head === 'name' || head === 'region' || head === 'expect' || head === '$schema') return at(path, atKey)
    if (head === 'env' || head === 'secrets' || head === 'environments') {
      for (let n = path.length; n >= 2; n--) {
        if (has(spec, path.slice(0, n))) return at(own(path), atKey)
        if (has(raw, path.slice(0, n))) return at(path, atKey)
      }
    }
    return at(own(path), atKey)
  }
}

/** The `${component:…}` references of a component's env (base and every environment); unknown names and outputs are problems. */
function refsOf(
  doc: Raw,
  name: string,
  names: string[],
  specs: Record<string, Raw>,
  problem: (path: (string | number)[], message: string, hint: string) => void,
): ComponentRef[] {
  const refs = new Map<string, ComponentRef>()
  const scan = (env: unknown, path: (string | number)[]) => {
    for (const [key, value] of Object.entries(asRecord(env))) {
      if (typeof value !== 'string') continue
      for (const m of value.matchAll(COMPONENT_REF)) {
        const [, component, output] = m
        const where = [...path, key]
        const producer = specs[component]
        if (!producer) {
          problem(where, `\${component:${component}.${output}} names ${bare(component)}, which is not a component`, `components: ${names.join(', ')}`)
          continue
        }
        const offered = COMPONENT_OUTPUTS[producer.target as TargetName] ?? []
        if (!offered.includes(output)) {
          problem(where, `component ${component} (${String(producer.target)}) has no output ${bare(output)}`, `it offers ${offered.join(', ')}`)
          continue
        }
        refs.set(`${component}.${output}`, { component, output })
      }
    }
  }
  const ownEnv = asRecord(specs[name].env)
  const topEnvPath = (key: string) => (key in ownEnv ? ['components', name, 'env'] : ['env'])
  for (const key of Object.keys(asRecord(doc.env))) scan({ [key]: asRecord(doc.env)[key] }, topEnvPath(key))
  for (const [e, overlay] of Object.entries(asRecord(doc.environments))) {
    const ownOverlay = asRecord(asRecord(asRecord(specs[name].environments)[e]).env)
    for (const [key, value] of Object.entries(asRecord(asRecord(overlay).env))) {
      scan({ [key]: value }, key in ownOverlay ? ['components', name, 'environments', e, 'env'] : ['environments', e, 'env'])
    }
  }
  return [...refs.values()]
}

/** The first loop of the graph (producer → consumer, before-task → gated), as the names along it, first name repeated at the end. */
function findLoop(components: Pick<LoadedComponent, 'name' | 'before' | 'refs'>[]): string[] | undefined {
  const next = new Map<string, string[]>(components.map((c) => [c.name, []]))
  for (const c of components) {
    // the consumer is listed after what it needs: web → api when web reads api's url
    for (const r of c.refs) next.get(c.name)?.push(r.component)
    for (const gated of c.before) next.get(gated)?.push(c.name)
  }
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n]
    if (state.get(n) === 'done') return undefined
    state.set(n, 'open')
    stack.push(n)
    for (const m of next.get(n) ?? []) {
      const loop = visit(m)
      if (loop) return loop
    }
    stack.pop()
    state.set(n, 'done')
    return undefined
  }
  for (const c of components) {
    const loop = visit(c.name)
    if (loop) return loop
  }
  return undefined
}

/** The components a command acts on: the named ones and, transitively, what they need (before: tasks, referenced producers). */
export function selectComponents(all: LoadedComponent[], named: string[]): LoadedComponent[] {
  if (!named.length) return all
  const known = new Set(all.map((c) => c.name))
  for (const n of named) {
    if (!known.has(n)) throw invalid('UnknownComponent', `no component named ${bare(n)}`, [`components: ${[...known].join(', ')}`])
  }
  const wanted = new Set<string>()
  const add = (name: string) => {
    if (wanted.has(name)) return
    wanted.add(name)
    const c = all.find((x) => x.name === name)
    for (const r of c?.refs ?? []) add(r.component)
    for (const gate of all.filter((x) => x.before.includes(name))) add(gate.name)
  }
  for (const n of named) add(n)
  return all.filter((c) => wanted.has(c.name))
}

function has(value: unknown, path: (string | number)[]): boolean {
  let cur = value
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) return false
    cur = (cur as Record<string | number, unknown>)[key]
  }
  return true
}

function asRecord(v: unknown): Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {}
}
