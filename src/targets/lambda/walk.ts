import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, type Stats, statfsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import ignore from 'ignore'
import { ExitCode, invalid, ShipitError } from '../../errors.js'
import { type CredentialCheck, credentialCheck, credentialReasonSync, describeCredentials } from '../../package/credentials.js'
import { fence, within } from '../../package/fence.js'

/**
 * The package boundary: which files of function.source go into the zip, checked while walking, before
 * anything is read or sent. The source lies inside the app's directory (unless the manifest opts out);
 * a symlink is packed as what it points to only when that lies inside the source; devices, FIFOs,
 * sockets and kernel filesystems are refused; directory loops are caught by the identity (dev:inode)
 * of the directories on the path; and the walk stops at Lambda's size limit and a count of entries,
 * so a huge or looping tree exits 3 in seconds instead of filling memory. Files that look like
 * credentials are refused with their paths (src/package/credentials.ts), hard links to the deployer's
 * own credential files among them; other hard links are packed (pnpm's node_modules is made of them).
 */

export interface PackageFile {
  /** path in the zip, `/`-separated */
  path: string
  /** what is read: the file itself, or the real path a symlink inside the source points to */
  abs: string
  executable: boolean
  size: number
}

interface PackageLimits {
  /** files in the zip: a zip without ZIP64 records holds at most 65,535 entries */
  maxFiles: number
  /** files, directories and links looked at, ignored ones aside: bounds the walk itself */
  maxEntries: number
  /** bytes of the files before compression */
  maxUnzippedBytes: number
}

export const MB = 1024 * 1024
/** Lambda refuses a function whose code is 262,144,000 bytes or more once unzipped. */
const LAMBDA_UNZIPPED_LIMIT = 250 * MB
export const DEFAULT_LIMITS: PackageLimits = { maxFiles: 65_535, maxEntries: 100_000, maxUnzippedBytes: LAMBDA_UNZIPPED_LIMIT }

export const DEFAULT_IGNORES = ['.git/', '.shipit/', '.DS_Store', '.shipitignore']

export interface WalkOptions {
  /** the directory of app.yaml: the source must lie inside it unless allowOutsideApp */
  appDir?: string
  allowOutsideApp?: boolean
  /** function.allowFiles: files that look like credentials and are meant to ship (gitignore syntax) */
  allowFiles?: string[]
  /** where HOME and AWS_SHARED_CREDENTIALS_FILE are read, to know the deployer's credential files */
  env?: NodeJS.ProcessEnv
  /** how the source is named in messages (function.source as written); default: the path */
  label?: string
  limits?: Partial<PackageLimits>
  signal?: AbortSignal
}

export interface Listing {
  files: PackageFile[]
  unzippedBytes: number
}

/** How many of each kind of problem a message names before "and N more". */
const NAMED = 5
/** The walk gives the event loop a turn this often, so a signal is handled while a big tree is listed. */
const YIELD_MS = 25

const PROC_SUPER_MAGIC = 0x9fa0
const SYSFS_MAGIC = 0x62656572
const KERNEL_DIRS = ['/proc', '/sys']

interface WalkState {
  root: string
  label: string
  limits: PackageLimits
  ignored: (path: string, isDir: boolean) => boolean
  signal?: AbortSignal
  files: PackageFile[]
  bytes: number
  entries: number
  /** sizes by top-level entry, to say what is big when the package is too large */
  bytesByTop: Map<string, number>
  problems: { outside: string[]; special: string[]; names: string[]; loops: string[]; unreadable: string[]; credentials: string[] }
  credentials: CredentialCheck
  /** dev:inode of the directories from the root to where the walk is */
  onPath: Set<string>
  lastYield: number
}

/** List what goes into the package of `dir`, refusing (exit 3) what must not. */
export async function listPackage(dir: string, options: WalkOptions = {}): Promise<Listing> {
  const label = options.label ?? dir
  const root = realSource(dir, label)
  if (options.appDir) {
    const verdict = fence(root, options.appDir, Boolean(options.allowOutsideApp), options.env)
    if (!verdict.ok && verdict.kind === 'outside')
      throw invalid('SourceOutsideApp', `function.source ${label} is ${verdict.why}: shipit packs only what lies under the directory of app.yaml`, [
        'move the code under the directory of app.yaml',
        'or, if packing that directory is meant, set function.allowSourceOutsideApp: true (never for your home directory, / or a directory above home)',
      ])
    if (!verdict.ok)
      throw invalid('SourceTooWide', `function.source ${label}: ${verdict.why}, which is never packed (it holds ~/.aws and ~/.ssh)`, [
        'point function.source at the directory that holds the code',
      ])
  }
  if (onKernelFs(root)) throw kernelFs(label, root)

  const top = statSync(root)
  const state: WalkState = {
    root,
    label,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ignored: loadIgnore(root, label),
    signal: options.signal,
    files: [],
    bytes: 0,
    entries: 0,
    bytesByTop: new Map(),
    problems: { outside: [], special: [], names: [], loops: [], unreadable: [], credentials: [] },
    credentials: credentialCheck(options.allowFiles, options.env),
    onPath: new Set([identity(top)]),
    lastYield: performance.now(),
  }
  await walkDirectory(state, '', root, top.dev)
  refuseProblems(state)
  if (state.bytes > state.limits.maxUnzippedBytes) throw tooLarge(state, false)
  if (state.files.length === 0)
    throw invalid('EmptySource', `function.source ${label} has no files to deploy`, [
      'put the handler file there, or point function.source at the right directory',
    ])
  state.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files: state.files, unzippedBytes: state.bytes }
}

async function walkDirectory(state: WalkState, rel: string, absDir: string, parentDev: number): Promise<void> {
  let names: Buffer[]
  try {
    names = readdirSync(absDir, { encoding: 'buffer' })
  } catch (err) {
    state.problems.unreadable.push(`${rel || '.'} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
    return
  }
  for (const raw of names) {
    if (performance.now() - state.lastYield > YIELD_MS) await yieldToSignals(state)
    if (++state.entries > state.limits.maxEntries) throw tooLarge(state, true)
    const name = utf8Name(raw)
    if (name === undefined) {
      const shown = `${rel ? `${rel}/` : ''}${escapeName(raw)}`
      if (!state.ignored(shown, false)) state.problems.names.push(shown)
      continue
    }
    const path = rel ? `${rel}/${name}` : name
    const abs = join(absDir, name)
    const entry = inspect(abs)
    if (!entry) continue
    const { info, real, link } = entry
    const isDir = info.isDirectory()
    if (state.ignored(path, isDir)) continue
    if (link !== undefined && !within(state.root, real)) {
      state.problems.outside.push(`${path} -> ${link}`)
      continue
    }
    if (isDir) {
      const id = identity(info)
      if (state.onPath.has(id)) {
        state.problems.loops.push(link === undefined ? path : `${path} -> ${link}`)
        continue
      }
      // another filesystem mounted inside the source: never descend into procfs or sysfs
      if (info.dev !== parentDev && onKernelFs(real)) {
        state.problems.special.push(`${path} (a kernel filesystem)`)
        continue
      }
      state.onPath.add(id)
      await walkDirectory(state, path, real, info.dev)
      state.onPath.delete(id)
    } else if (info.isFile()) {
      const secret = credentialReasonSync(state.credentials, path, real, info)
      if (secret) {
        state.problems.credentials.push(`${path} (${secret})`)
        continue
      }
      state.files.push({ path, abs: real, executable: (info.mode & 0o100) !== 0, size: info.size })
      state.bytes += info.size
      const first = path.split('/')[0]
      state.bytesByTop.set(first, (state.bytesByTop.get(first) ?? 0) + info.size)
      if (state.files.length > state.limits.maxFiles) throw tooManyFiles(state)
    } else {
      state.problems.special.push(`${path} (${specialKind(info)})`)
    }
  }
}

/** lstat an entry; for a symlink, what it says and the real path and stat of what it points to. */
function inspect(abs: string): { info: Stats; real: string; link?: string } | undefined {
  let own: Stats
  try {
    own = lstatSync(abs)
  } catch {
    return undefined // removed since the directory was read
  }
  if (!own.isSymbolicLink()) return { info: own, real: abs }
  try {
    const real = realpathSync.native(abs)
    return { info: statSync(real), real, link: readlinkSync(abs) }
  } catch {
    return undefined // a broken link (or a chain of links that loops): nothing to pack
  }
}

function realSource(dir: string, label: string): string {
  let info: Stats
  try {
    info = statSync(dir)
  } catch {
    throw invalid('MissingSource', `function.source ${label} does not exist`, ['create it with your handler, or fix function.source in app.yaml'])
  }
  if (!info.isDirectory())
    throw invalid('MissingSource', `function.source ${label} is not a directory`, ['point function.source at the directory that holds the handler'])
  return realpathSync.native(dir)
}

function refuseProblems(state: WalkState): void {
  const { outside, special, names, loops, unreadable, credentials } = state.problems
  const lines: string[] = []
  const named = (items: string[]) => items.slice(0, NAMED).join(', ') + (items.length > NAMED ? `, and ${items.length - NAMED} more` : '')
  if (outside.length) lines.push(`  symlinks that lead outside ${state.label}: ${named(outside)}`)
  if (loops.length) lines.push(`  symlinks that loop back to a directory above them: ${named(loops)}`)
  if (special.length) lines.push(`  special files (not regular files or directories): ${named(special)}`)
  if (names.length) lines.push(`  names that are not valid UTF-8 (a zip stores UTF-8 names): ${named(names)}`)
  if (unreadable.length) lines.push(`  directories shipit may not read: ${named(unreadable)}`)
  if (credentials.length) lines.push(`  files that look like credentials:\n${describeCredentials(credentials)}`)
  if (!lines.length) return
  const suggestions: string[] = []
  if (outside.length) suggestions.push('copy what a link points to into the source, or remove the link; shipit packs only what lies inside function.source')
  if (loops.length) suggestions.push('remove the looping link')
  if (special.length) suggestions.push('remove the special files, or list them in .shipitignore')
  if (names.length) suggestions.push('rename the files to UTF-8 names, or list them in .shipitignore')
  if (unreadable.length) suggestions.push('make them readable, or list them in .shipitignore')
  if (credentials.length)
    suggestions.push(
      'take credentials out of function.source (the function gets its AWS access from its role, secrets from secrets: in app.yaml), or list them in .shipitignore',
      'if a file is meant to ship (a test key, a fixture), list it in function.allowFiles',
    )
  throw invalid('UnsafeSource', `function.source ${state.label} cannot be packaged:\n${lines.join('\n')}`, suggestions, state.problems)
}

function tooLarge(state: WalkState, stoppedEarly: boolean): ShipitError {
  const biggest = [...state.bytesByTop.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, n]) => `${name} ${formatMb(n)}`)
  if (stoppedEarly)
    return invalid(
      'SourceTooLarge',
      `function.source ${state.label} has more than ${state.limits.maxEntries.toLocaleString('en-US')} files and directories (shipit stopped counting there; ${formatMb(state.bytes)} in ${state.files.length.toLocaleString('en-US')} files so far)`,
      ['point function.source at the directory that holds the code, or ignore what is not needed in .shipitignore', ...largest(biggest)],
    )
  return invalid(
    'PackageTooLarge',
    `function.source ${state.label} is ${formatMb(state.bytes)} unzipped (${state.bytes.toLocaleString('en-US')} bytes in ${state.files.length.toLocaleString('en-US')} files); Lambda's hard limit for a .zip package is ${formatMb(state.limits.maxUnzippedBytes)} unzipped`,
    ['bundle the code (esbuild, webpack), or ignore tests, docs and dev dependencies in .shipitignore', ...largest(biggest)],
  )
}

const largest = (biggest: string[]) => (biggest.length ? [`the largest parts: ${biggest.join(', ')}`] : [])

function tooManyFiles(state: WalkState): ShipitError {
  return invalid(
    'TooManyFiles',
    `function.source ${state.label} has more than ${state.limits.maxFiles.toLocaleString('en-US')} files; a zip holds at most ${state.limits.maxFiles.toLocaleString('en-US')}`,
    ['bundle the code, or ignore files in .shipitignore'],
  )
}

function kernelFs(label: string, real: string): ShipitError {
  return invalid('SystemSource', `function.source ${label} is ${real}, a kernel filesystem (/proc, /sys): it cannot be packaged`, [
    'point function.source at the directory that holds the handler',
  ])
}

export function formatMb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`
}

async function yieldToSignals(state: WalkState): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  state.lastYield = performance.now()
  throwIfInterrupted(state.signal)
}

export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ShipitError('Interrupted', 'interrupted while packaging function.source; nothing was sent to AWS', {
      exitCode: ExitCode.Interrupted,
      source: 'user',
    })
}

function onKernelFs(real: string): boolean {
  if (KERNEL_DIRS.some((d) => real === d || real.startsWith(`${d}/`))) return true
  try {
    const type = statfsSync(real).type
    return type === PROC_SUPER_MAGIC || type === SYSFS_MAGIC
  } catch {
    return false
  }
}

const identity = (info: Stats) => `${info.dev}:${info.ino}`

const decoder = new TextDecoder('utf-8', { fatal: true })
function utf8Name(raw: Buffer): string | undefined {
  try {
    return decoder.decode(raw)
  } catch {
    return undefined
  }
}

/** A name as text with its invalid bytes shown as \xNN. */
function escapeName(raw: Buffer): string {
  let out = ''
  for (const byte of raw) out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
  return out
}

function specialKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

/** A matcher for .shipitignore, in .gitignore's syntax, by the `ignore` package (as eslint and prettier use). */
export function ignoreMatcher(lines: string[]): (path: string, isDir: boolean) => boolean {
  // paths are built from directory entries, always relative: the package's own check would refuse a file named `...`
  const matcher = ignore({ allowRelativePaths: true }).add(lines)
  return (path, isDir) => matcher.ignores(isDir ? `${path}/` : path)
}

const MAX_IGNORE_FILE = 1 * MB

function loadIgnore(root: string, label: string): (path: string, isDir: boolean) => boolean {
  const file = join(root, '.shipitignore')
  let info: Stats | undefined
  try {
    info = statSync(file)
  } catch {
    info = undefined
  }
  if (!info) return ignoreMatcher(DEFAULT_IGNORES)
  // a FIFO would block the read for ever
  if (!info.isFile() || info.size > MAX_IGNORE_FILE)
    throw invalid('InvalidIgnoreFile', `${label}/.shipitignore is not a regular file of at most 1 MB`, ['make it a text file of patterns, one a line'])
  return ignoreMatcher([...DEFAULT_IGNORES, ...readFileSync(file, 'utf8').split(/\r?\n/)])
}
