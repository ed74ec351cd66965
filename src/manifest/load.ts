import { constants, type Stats } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { relative } from 'node:path'
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, visit, type YAMLMap } from 'yaml'
import type { z } from 'zod'
import { invalid } from '../errors.js'
import { loadComponents, strayRefs } from './components.js'
import { expandInterpolations, type Vars } from './interpolate.js'
import { bare, type ManifestIssue, quoted } from './issue.js'
import { type LoadedManifest, ManifestError, type ManifestProblem } from './loaded.js'
import { describeIssue, knownKeysAt } from './messages.js'
import { checkRules } from './rules.js'
import { Manifest, TARGETS, type TargetName } from './schema.js'

export { formatProblem, type LoadedManifest, ManifestError, type ManifestProblem } from './loaded.js'

/** What a manifest is validated for: the target (--target; else the file's target:) and the day (runtime deprecations). */
export interface LoadOptions {
  target?: string
  /** today, for Lambda's runtime deprecation dates; tests pass their own */
  now?: Date
  /**
   * The command creates nothing (destroy, rollback, status, logs): a runtime Lambda no longer creates
   * functions with is a warning, so what was deployed with it can still be seen and removed.
   */
  existingOnly?: boolean
}

/** One problem at `path` of a loaded manifest, as a ManifestError (exit 3, FILE:LINE:COL). */
export function problemAt(loaded: LoadedManifest, path: (string | number)[], message: string, hint: string, atKey = false): ManifestError {
  const { line, col } = loaded.positionOf?.(path, atKey) ?? { line: 1, col: 1 }
  return new ManifestError([{ file: loaded.file, line, col, message, hint }])
}

export const MAX_MANIFEST_BYTES = 1024 * 1024
const MAX_ALIAS_COUNT = 100

/** Read, parse, interpolate and validate app.yaml; every problem is reported at once with its line:col. */
export async function loadManifest(path: string, vars: Vars = process.env, options: LoadOptions = {}): Promise<LoadedManifest> {
  const file = displayPath(path)
  const text = await readManifestText(path, file)
  return parseManifest(text, file, vars, dirOf(path), options)
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') ? rel : path
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? '.' : path.slice(0, i) || '/'
}

async function readManifestText(path: string, file: string): Promise<string> {
  // about the file as a whole: no line and column to point at
  const problem = (message: string, hint: string) => new ManifestError([{ file, message, hint }])
  let handle: FileHandle
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; the checks below run on
    // the handle itself, so the file cannot be swapped for a device between a check and the read
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw problem('file not found', 'run `shipit init` to write one, or pass its path with -f')
    if (code === 'EACCES') throw problem(`cannot read the file (${code})`, 'make it readable (chmod u+r)')
    throw problem(`cannot read the file (${code})`, 'check the path and its permissions')
  }
  let bytes: Buffer
  try {
    const info = await handle.stat()
    if (info.isDirectory()) throw problem('is a directory, not a file', 'pass the app.yaml inside it with -f DIR/app.yaml')
    if (!info.isFile()) throw problem(`is not a regular file: it is ${specialFileKind(info)}`, 'pass the path of an app.yaml file with -f')
    const tooBig = (size: string) => problem(`is ${size} bytes; a manifest is at most 1 MiB`, 'check that -f points at app.yaml')
    if (info.size > MAX_MANIFEST_BYTES) throw tooBig(String(info.size))
    // read at most one byte past the limit: the file may have grown since it was measured
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > MAX_MANIFEST_BYTES) throw tooBig(`more than ${MAX_MANIFEST_BYTES}`)
    }
    bytes = buffer.subarray(0, length)
  } catch (err) {
    if (err instanceof ManifestError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw problem(`cannot read the file (${code})`, code === 'EACCES' ? 'make it readable (chmod u+r)' : 'check the path')
  } finally {
    await handle.close()
  }
  if (bytes.includes(0)) throw problem('is a binary file, not YAML', 'check that -f points at app.yaml')
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  if (text.includes('\uFFFD')) throw problem('is not valid UTF-8 text', 'save the file as UTF-8')
  if (isBlank(text)) throw problem('is empty', 'run `shipit init` for a commented starter')
  return text
}

function specialFileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  if (info.isSocket()) return 'a socket'
  return 'not a file'
}

/** True when the text holds only blank lines and comments (line by line: a regex over the whole text backtracks exponentially on `#####` banners). */
function isBlank(text: string): boolean {
  return text.split('\n').every((line) => {
    const t = line.trim()
    return t === '' || t.startsWith('#')
  })
}

/** Parse manifest text (exported for tests and for stdin). */
export function parseManifest(text: string, file: string, vars: Vars = process.env, dir = '.', options: LoadOptions = {}): LoadedManifest {
  const deep = nestingTooDeepAt(text)
  if (deep !== undefined) {
    const before = text.slice(0, deep)
    const line = before.split('\n').length
    const col = deep - before.lastIndexOf('\n')
    throw new ManifestError([
      {
        file,
        line,
        col,
        message: `invalid YAML: lists and mappings nest more than ${MAX_NESTING} levels deep here`,
        hint: 'a manifest is a few levels deep: look for brackets that are opened and never closed',
      },
    ])
  }
  const lineCounter = new LineCounter()
  // the parser's own duplicate-key check compares each key with every earlier one (quadratic: 16k keys
  // took seconds); duplicateKeys does it with one hash set per mapping
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true })
  const at = (offset: number) => lineCounter.linePos(offset)
  const problems: ManifestProblem[] = []
  for (const err of doc.errors) {
    const { line, col } = at(err.pos[0])
    problems.push({ file, line, col, ...describeYamlError(doc, err.code, err.message, err.pos[0], at) })
  }
  for (const duplicate of duplicateKeys(doc)) {
    const { line, col } = at(duplicate.offset)
    problems.push({
      file,
      line,
      col,
      message: `duplicate key ${quoted(duplicate.key)}: a key may appear once in a mapping`,
      hint: `remove one of the two, or merge them; the first is at line ${at(duplicate.firstOffset).line}`,
    })
  }
  for (const tag of unknownTags(doc, text)) {
    const { line, col } = at(tag.offset)
    problems.push({
      file,
      line,
      col,
      message: `unknown YAML tag ${bare(tag.name)}: a manifest holds plain strings, numbers, booleans, lists and mappings`,
      hint: "remove the tag, or quote the value if the ! belongs to it (e.g. '!Ref x')",
    })
  }
  if (problems.length) throw new ManifestError(sortProblems(problems))
  if (!isMap(doc.contents)) {
    const { line, col } = at(doc.contents?.range?.[0] ?? 0)
    throw new ManifestError([{ file, line, col, message: 'the top level is not a mapping of keys to values', hint: 'start with `name: my-app`' }])
  }

  const secrets = interpolate(doc, vars, (node, message, hint) => {
    const { line, col } = at(node.range?.[0] ?? 0)
    problems.push({ file, line, col, message, hint })
  })
  if (problems.length) throw new ManifestError(problems)

  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    let offset = 0
    visit(doc, {
      Alias: (_, node) => {
        offset = node.range?.[0] ?? 0
        return visit.BREAK
      },
    })
    const { line, col } = at(offset)
    throw new ManifestError([
      { file, line, col, message: `aliases expand too much (${(err as Error).message})`, hint: 'write the values out instead of nesting aliases' },
    ])
  }
  const now = options.now ?? new Date()
  const positionOf = (path: (string | number)[], atKey = false) => at(offsetOf(doc, path, atKey))
  const existingOnly = Boolean(options.existingOnly)
  // with components: the top level is validated for no target; each component for its own
  const hasComponents = isPlainObject(raw) && raw.components !== undefined
  const validated = (given: TargetName | undefined): LoadedManifest => {
    const target = hasComponents ? undefined : given
    const { manifest, environments, warnings } = validateDocument(raw, { file, target, now, existingOnly, at: positionOf })
    const loaded: LoadedManifest = { file, manifest, target, environments, warnings, secrets, dir, positionOf, forTarget: validated }
    if (!hasComponents) {
      const stray = strayRefs(raw as Record<string, unknown>, file, positionOf)
      if (stray.length) throw new ManifestError(stray)
      return loaded
    }
    const validateComponent = (doc: Record<string, unknown>, at: NonNullable<LoadedManifest['positionOf']>) =>
      validateDocument(doc, { file, target: TARGETS.find((t) => t === doc.target), now, existingOnly, at })
    const components = loadComponents(loaded, raw as Record<string, unknown>, validateComponent, deepMerge)
    return { ...loaded, components, warnings: [...warnings, ...components.flatMap((c) => c.loaded.warnings)] }
  }
  return validated(targetOf(options.target, raw))
}

/** --target, else the file's own target: (which the schema checks); an unknown --target is refused. */
function targetOf(option: string | undefined, raw: unknown): TargetName | undefined {
  if (option !== undefined) {
    if (!(TARGETS as readonly string[]).includes(option)) throw invalid('UnknownTarget', `unknown target "${option}"`, [`use one of ${TARGETS.join(', ')}`])
    return option as TargetName
  }
  const own = isPlainObject(raw) ? raw.target : undefined
  return (TARGETS as readonly unknown[]).includes(own) ? (own as TargetName) : undefined
}

interface ValidateContext {
  file: string
  target: TargetName | undefined
  now: Date
  existingOnly: boolean
  at: (path: (string | number)[], atKey?: boolean) => { line: number; col: number }
}

/**
 * The one validation pass: the schema and the rules for the target, on the base document and on each
 * environment's merged one. Every problem at once (ManifestError), or the typed manifests and the warnings.
 */
function validateDocument(raw: unknown, context: ValidateContext): { manifest: Manifest; environments: Record<string, Manifest>; warnings: ManifestProblem[] } {
  const { file, target, now, existingOnly } = context
  const problems: ManifestProblem[] = []
  const warnings: ManifestProblem[] = []
  const locate = (issue: ManifestIssue, root: (string | number)[] = []) => {
    const { line, col } = context.at([...root, ...issue.path], issue.atKey)
    ;(issue.severity === 'warning' ? warnings : problems).push({ file, line, col, message: issue.message, hint: issue.hint })
  }

  const parsed = Manifest.safeParse(raw)
  const baseRules = checkRules(raw, { target, now, existingOnly })
  if (!parsed.success) for (const issue of toIssues(parsed.error.issues, raw)) locate(issue)
  for (const issue of baseRules) locate(issue)
  if (!parsed.success) throw new ManifestError(sortProblems(dedupe(problems)))
  const manifest = parsed.data

  // each environment's merged manifest must be valid too; problems point into the overlay when it set the value,
  // or when the overlay caused them (the base alone does not have them): then at the nearest part of the overlay
  const issueKey = (issue: ManifestIssue) => `${issue.path.join('\u0000')}\u0000${issue.message}`
  const baseIssues = new Set(baseRules.map(issueKey))
  const environments: Record<string, Manifest> = {}
  for (const [envName, overlay] of Object.entries(manifest.environments)) {
    const merged = mergeEnvironment(raw as Record<string, unknown>, envName)
    const result = Manifest.safeParse(merged)
    if (result.success) environments[envName] = result.data
    const issues = [...(result.success ? [] : toIssues(result.error.issues, merged)), ...checkRules(merged, { target, now, existingOnly })]
    for (const issue of issues) {
      const inOverlay = hasPath(overlay, issue.path) || !baseIssues.has(issueKey(issue))
      const located = { ...issue, message: `${issue.message} (in environment ${envName})` }
      locate(located, inOverlay ? ['environments', envName] : [])
    }
  }
  if (problems.length) throw new ManifestError(sortProblems(dedupe(problems)))
  // the default env without an overlay of its own is the base
  if (!environments[DEFAULT_ENV]) environments[DEFAULT_ENV] = manifest
  return { manifest, environments, warnings: sortProblems(dedupe(warnings)) }
}

/** The env plan and deploy use without --env. */
export const DEFAULT_ENV = 'dev'

/** The YAML 1.2 core schema's own tags (`!!str 123` is a way to quote) and the non-specific `!` (a plain string, list or mapping); any other tag is refused. */
const PLAIN_TAGS = new Set(['!', ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`)])

/**
 * Every node with a tag other than the core ones, and where its tag is written. Unknown tags would
 * otherwise be dropped and their value kept as a string (`!!python/object:os.system ls` passed as "ls"),
 * and known but non-plain ones (`!!binary`, `!!set`, `!!timestamp`) would give values the schema never meant.
 */
function unknownTags(doc: Document, text: string): { name: string; offset: number }[] {
  const found: { name: string; offset: number }[] = []
  visit(doc, {
    Node(_, node) {
      const tag = (node as Node & { tag?: string }).tag
      if (!tag || PLAIN_TAGS.has(tag)) return
      const start = node.range?.[0] ?? 0
      const name = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag.startsWith('!') ? tag : `!<${tag}>`
      found.push({ name, offset: tagTokenBefore(text, start) ?? start })
    },
  })
  return found
}
/** Deeper than this a manifest is refused before it is parsed (a real one is under 10 levels deep). */
const MAX_NESTING = 64

/**
 * Where lists and mappings first nest deeper than MAX_NESTING, found by one linear scan; undefined when
 * they never do. The YAML parser takes time superlinear in the depth (seconds for 10^5 levels, well
 * under 1 MiB) and overflows the stack near 10^3, so deep nesting is refused before parsing. The scan
 * counts flow brackets outside quotes, comments and block scalars, and block levels by indentation
 * and compact `- `/`? ` indicators; it may over-count by a level (a scalar continued on a more indented
 * line), never by dozens.
 */
function nestingTooDeepAt(text: string): number | undefined {
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === undefined
  let flow = 0
  let quote: '"' | "'" | undefined
  let blockScalarParent = -1
  const indents: number[] = []
  for (let lineStart = 0; lineStart <= text.length; ) {
    let lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd < 0) lineEnd = text.length
    let i = lineStart
    while (i < lineEnd && text[i] === ' ') i++
    const indent = i - lineStart
    const empty = text.slice(i, lineEnd).trim() === ''
    if (blockScalarParent >= 0 && (empty || indent > blockScalarParent)) {
      lineStart = lineEnd + 1
      continue
    }
    blockScalarParent = -1
    let block = indents.length
    if (!quote && flow === 0 && !empty && text[i] !== '#') {
      while (indents.length && indents[indents.length - 1] > indent) indents.pop()
      if (!indents.length || indents[indents.length - 1] < indent) indents.push(indent)
      block = indents.length
      while ((text[i] === '-' || text[i] === '?') && isSpace(text[i + 1]) && i < lineEnd) {
        block++
        i++
        while (i < lineEnd && (text[i] === ' ' || text[i] === '\t')) i++
      }
      if (block > MAX_NESTING) return i
    }
    let tokenStart = true
    for (; i < lineEnd; i++) {
      const c = text[i]
      if (quote === '"') {
        if (c === '\\') i++
        else if (c === '"') quote = undefined
        continue
      }
      if (quote === "'") {
        if (c === "'" && text[i + 1] === "'") i++
        else if (c === "'") quote = undefined
        continue
      }
      if (c === ' ' || c === '\t') continue
      if (c === '#' && (i === lineStart || isSpace(text[i - 1]))) break
      if ((c === '[' || c === '{') && (tokenStart || flow > 0)) {
        flow++
        if (block + flow > MAX_NESTING) return i
        tokenStart = true
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--
        tokenStart = false
      } else if ((c === '"' || c === "'") && tokenStart) {
        quote = c
      } else if ((c === '|' || c === '>') && tokenStart && flow === 0 && /^[|>][0-9+-]*[ \t]*(#.*)?\r?$/.test(text.slice(i, lineEnd))) {
        blockScalarParent = indent
        break
      } else {
        tokenStart = c === ',' || ((c === ':' || c === '-' || c === '?') && isSpace(text[i + 1]))
      }
    }
    lineStart = lineEnd + 1
  }
  return undefined
}

function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.message.replace(/ \(in environment [^)]*\)$/, '')}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Deep-merge `environments.<env>` over the base (objects merge, arrays and scalars replace). */
function mergeEnvironment(raw: Record<string, unknown>, env: string): Record<string, unknown> {
  const { environments, ...base } = raw
  const overlay = (environments as Record<string, unknown> | undefined)?.[env]
  // ttl: belongs to the env, not to the app: it is read from the overlay (resolve.ts), never merged
  const { ttl: _ttl, ...sections } = isPlainObject(overlay) ? overlay : {}
  return deepMerge(base, sections) as Record<string, unknown>
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : structuredClone(over)
  const out: Record<string, unknown> = { ...structuredClone(base) }
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v)
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function hasPath(value: unknown, path: (string | number)[]): boolean {
  let cur = value
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) return false
    cur = (cur as Record<string | number, unknown>)[key]
  }
  return true
}

function toIssues(zodIssues: z.core.$ZodIssue[], raw: unknown): ManifestIssue[] {
  const out: ManifestIssue[] = []
  // "X is required" says nothing more when an unknown key next to it is a typo of X ("did you mean X?")
  const suggested = new Set<string>()
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const described = describeIssue(issue, raw, { unknownKey: key, known: knownKeysAt(issue.path) })
        if (described.suggestion) suggested.add([...issue.path, described.suggestion].join('\u0000'))
        out.push(described)
      }
    }
  }
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') continue
    const described = describeIssue(issue, raw)
    if (described.missing && suggested.has(issue.path.join('\u0000'))) continue
    out.push(described)
  }
  return out
}

const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>()

/** The pairs of a mapping by key, built once per mapping: a search per problem was quadratic with thousands of them. */
function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndexes.get(map)
  if (!index) {
    index = new Map()
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue
      const key = String(pair.key.value)
      if (!index.has(key)) index.set(key, pair)
    }
    pairIndexes.set(map, index)
  }
  return index
}

/** Offset of the node at `path`, or of its nearest existing ancestor; `atKey` points at the map key. */
function offsetOf(doc: Document, path: (string | number)[], atKey = false): number {
  let node: unknown = doc.contents
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0
  for (let i = 0; i < path.length; i++) {
    const key = path[i]
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(key))
      if (!pair) return offset
      const keyNode = pair.key as Node
      if (last && atKey) return keyNode.range?.[0] ?? offset
      node = pair.value
      offset = (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined
      if (!item) return offset
      node = item
      offset = item.range?.[0] ?? offset
    } else {
      return offset
    }
    if (isAlias(node)) return offset
  }
  return offset
}

/** Shorter secret values are refused (an empty one is allowed: there is nothing to hide but that it is empty). */
const MIN_SECRET_LENGTH = 8

/**
 * Expand `${env:VAR}` and `${env:VAR:-default}` in every scalar value, in place (see interpolate.ts).
 * Returns the values marked `secret: true`, which must never be printed.
 */
function interpolate(doc: Document, vars: Vars, report: (node: Node, message: string, hint?: string) => void): string[] {
  const secrets: string[] = []
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return
      const { value, problems } = expandInterpolations(node.value, vars)
      node.value = value
      for (const p of problems) report(node, p.message, p.hint)
    },
  })
  visit(doc, {
    Map(_, map, path) {
      const secret = map.get('secret', true)
      const value = map.get('value', true)
      if (isScalar(secret) && secret.value === true && isScalar(value) && typeof value.value === 'string' && value.value !== '') {
        secrets.push(value.value)
        // plans carry a hash of each secret: a short one is found again by trying every value
        if ([...value.value].length < MIN_SECRET_LENGTH) {
          const parent = path[path.length - 1]
          const name = isPair(parent) && isScalar(parent.key) ? bare(String(parent.key.value)) : 'value'
          report(
            value,
            `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters`,
            `a short secret can be recovered from its hash in a plan: use at least ${MIN_SECRET_LENGTH} characters (e.g. from \`openssl rand -hex 16\`), or secret: false if it is not one`,
          )
        }
      }
    },
  })
  return secrets
}

/** A YAML syntax error as a sentence, with what to do; names the key or bracket involved when it can. */
function describeYamlError(
  doc: Document,
  code: string,
  message: string,
  offset: number,
  at: (offset: number) => { line: number; col: number },
): { message: string; hint: string } {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
  switch (code) {
    case 'MULTIPLE_DOCS':
      return { message: 'invalid YAML: the file holds more than one document (a --- line)', hint: 'keep one document: a manifest describes one app' }
    case 'TAB_AS_INDENT':
      return { message: `invalid YAML: ${lowerFirst(first)}`, hint: 'indent with spaces, not tabs' }
    case 'BAD_INDENT':
    case 'MISSING_CHAR': {
      const open = unclosedFlowAt(doc, offset)
      const hint = open
        ? `close the ${open.char} at line ${at(open.offset).line}, col ${at(open.offset).col} with ${open.char === '[' ? ']' : '}'}, or indent the lines that continue it`
        : 'check the indentation and the closing brackets'
      return { message: `invalid YAML: ${lowerFirst(first)}`, hint }
    }
    default:
      return { message: `invalid YAML: ${lowerFirst(first)}`, hint: 'fix the YAML syntax here' }
  }
}

function lowerFirst(s: string): string {
  return `${s.charAt(0).toLowerCase()}${s.slice(1)}`
}

/** Every key that repeats an earlier key of its mapping (scalar keys of equal value, as YAML defines it), in one pass. */
function duplicateKeys(doc: Document): { key: string; offset: number; firstOffset: number }[] {
  const found: { key: string; offset: number; firstOffset: number }[] = []
  visit(doc, {
    Map(_, map) {
      const first = new Map<unknown, number>()
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue
        const offset = pair.key.range?.[0] ?? 0
        const earlier = first.get(pair.key.value)
        if (earlier === undefined) first.set(pair.key.value, offset)
        else found.push({ key: String(pair.key.value), offset, firstOffset: earlier })
      }
    },
  })
  return found
}

/** Where the tag of a node starting at `start` is written: the nearest token before it that starts with `!`, past an anchor. */
function tagTokenBefore(text: string, start: number): number | undefined {
  let i = start
  for (let tokens = 0; tokens < 3; tokens++) {
    while (i > 0 && /\s/.test(text[i - 1])) i--
    let from = i
    while (from > 0 && !/\s/.test(text[from - 1])) from--
    if (from === i) return undefined
    // a verbatim tag may hold commas (!<tag:example.com,2000:x>); in a flow collection a [ or , may come first
    const bang = text.slice(from, i).search(/(?<=^|[[{,])!/)
    if (bang >= 0) return from + bang
    if (!/^[[{,]*&/.test(text.slice(from, i))) return undefined
    i = from
  }
  return undefined
}

/** The outermost flow collection (`[` or `{`) that runs up to `offset` without being closed there. */
function unclosedFlowAt(doc: Document, offset: number): { char: '[' | '{'; offset: number } | undefined {
  let found: { char: '[' | '{'; offset: number } | undefined
  const check = (node: Node & { flow?: boolean }, char: '[' | '{') => {
    const r = node.range
    if (node.flow && r && r[1] === offset && (!found || r[0] < found.offset)) found = { char, offset: r[0] }
  }
  visit(doc, { Seq: (_, n) => check(n, '['), Map: (_, n) => check(n, '{') })
  return found
}
