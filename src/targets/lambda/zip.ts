import { createHash } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, deflateRaw } from 'node:zlib'
import { promisify } from 'node:util'
import { invalid } from '../../errors.js'

/**
 * Deterministic zip of a source directory: entries sorted by path, a fixed timestamp (1980-01-01),
 * modes 0644/0755 from the executable bit only, no extra fields. The same files give the same bytes
 * on any checkout, so the archive's SHA-256 says whether the code changed. Compression uses Node's
 * native zlib on the thread pool, several files at once.
 */

const deflate = promisify(deflateRaw)

export interface ZipResult {
  bytes: Buffer
  /** hex SHA-256 of the archive */
  sha256: string
  /** base64 SHA-256 of the archive, as Lambda reports CodeSha256 */
  codeSha256: string
  files: number
}

export const DEFAULT_IGNORES = ['.git/', '.shipit/', '.DS_Store', '.shipitignore']
const MAX_ENTRIES = 65_535
/** Lambda's limit for a direct upload is 50 MB zipped. */
export const MAX_DIRECT_UPLOAD = 50 * 1024 * 1024

interface Entry {
  path: string
  abs: string
  executable: boolean
}

export async function zipDirectory(dir: string, options: { concurrency?: number } = {}): Promise<ZipResult> {
  const ignore = await loadIgnore(dir)
  const entries = await listFiles(dir, ignore)
  if (entries.length === 0) throw invalid('EmptySource', `function.source ${dir} has no files to deploy`, ['put the handler file there, or point function.source at the right directory'])
  if (entries.length > MAX_ENTRIES) throw invalid('TooManyFiles', `function.source has ${entries.length} files; a zip holds at most ${MAX_ENTRIES}`, ['bundle the code, or ignore files in .shipitignore'])

  const compressed: { name: Buffer; crc: number; size: number; method: number; data: Buffer; executable: boolean }[] = new Array(entries.length)
  let next = 0
  const worker = async () => {
    while (next < entries.length) {
      const i = next++
      const e = entries[i]
      const raw = await readFile(e.abs)
      const deflated = raw.length ? await deflate(raw, { level: 6 }) : raw
      const store = deflated.length >= raw.length
      compressed[i] = { name: Buffer.from(e.path, 'utf8'), crc: crc32(raw), size: raw.length, method: store ? 0 : 8, data: store ? raw : deflated, executable: e.executable }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker))

  const chunks: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const c of compressed) {
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed: 2.0
    local.writeUInt16LE(0x0800, 6) // names are UTF-8
    local.writeUInt16LE(c.method, 8)
    local.writeUInt16LE(0, 10) // 00:00:00
    local.writeUInt16LE(0x21, 12) // 1980-01-01
    local.writeUInt32LE(c.crc >>> 0, 14)
    local.writeUInt32LE(c.data.length, 18)
    local.writeUInt32LE(c.size, 22)
    local.writeUInt16LE(c.name.length, 26)
    local.writeUInt16LE(0, 28)
    chunks.push(local, c.name, c.data)

    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0)
    cd.writeUInt16LE((3 << 8) | 20, 4) // made by Unix, 2.0: the high bytes of external attributes are the mode
    cd.writeUInt16LE(20, 6)
    cd.writeUInt16LE(0x0800, 8)
    cd.writeUInt16LE(c.method, 10)
    cd.writeUInt16LE(0, 12)
    cd.writeUInt16LE(0x21, 14)
    cd.writeUInt32LE(c.crc >>> 0, 16)
    cd.writeUInt32LE(c.data.length, 20)
    cd.writeUInt32LE(c.size, 24)
    cd.writeUInt16LE(c.name.length, 28)
    cd.writeUInt32LE((((c.executable ? 0o100755 : 0o100644) << 16) >>> 0), 38)
    cd.writeUInt32LE(offset, 42)
    central.push(cd, c.name)
    offset += 30 + c.name.length + c.data.length
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(compressed.length, 8)
  end.writeUInt16LE(compressed.length, 10)
  end.writeUInt32LE(cdSize, 12)
  end.writeUInt32LE(offset, 16)
  if (offset + cdSize > 0xffffffff) throw invalid('ZipTooLarge', 'the function source is larger than 4 GiB', ['bundle the code, or ignore files in .shipitignore'])

  const bytes = Buffer.concat([...chunks, ...central, end])
  const digest = createHash('sha256').update(bytes).digest()
  return { bytes, sha256: digest.toString('hex'), codeSha256: digest.toString('base64'), files: compressed.length }
}

async function listFiles(root: string, ignored: (path: string, dir: boolean) => boolean): Promise<Entry[]> {
  let top: Awaited<ReturnType<typeof stat>>
  try {
    top = await stat(root)
  } catch {
    throw invalid('MissingSource', `function.source ${root} does not exist`, ['create it with your handler, or fix function.source in app.yaml'])
  }
  if (!top.isDirectory()) throw invalid('MissingSource', `function.source ${root} is not a directory`, ['point function.source at the directory that holds the handler'])
  const out: Entry[] = []
  const walk = async (rel: string) => {
    const dirents = await readdir(join(root, rel), { withFileTypes: true })
    await Promise.all(
      dirents.map(async (d) => {
        const path = rel ? `${rel}/${d.name}` : d.name
        const abs = join(root, path)
        let isDir = d.isDirectory()
        let isFile = d.isFile()
        let mode = 0
        if (d.isSymbolicLink()) {
          const target = await stat(abs).catch(() => undefined)
          if (!target) return
          isDir = target.isDirectory()
          isFile = target.isFile()
        }
        if (ignored(path, isDir)) return
        if (isDir) return walk(path)
        if (!isFile) return
        mode = (await stat(abs)).mode
        out.push({ path, abs, executable: (mode & 0o100) !== 0 })
      }),
    )
  }
  await walk('')
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** A matcher for .shipitignore, in .gitignore's syntax (`*`, `**`, `?`, `!negation`, `dir/`, `/anchored`). */
export async function loadIgnore(dir: string): Promise<(path: string, isDir: boolean) => boolean> {
  const text = await readFile(join(dir, '.shipitignore'), 'utf8').catch(() => '')
  return ignoreMatcher([...DEFAULT_IGNORES, ...text.split(/\r?\n/)])
}

export function ignoreMatcher(lines: string[]): (path: string, isDir: boolean) => boolean {
  const rules = lines
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!')
      let p = negate ? line.slice(1) : line
      const dirOnly = p.endsWith('/')
      if (dirOnly) p = p.slice(0, -1)
      const anchored = p.startsWith('/') || p.includes('/')
      if (p.startsWith('/')) p = p.slice(1)
      const body = p
        .split(/(\*\*\/|\/\*\*|\*|\?|[.+^${}()|[\]\\])/)
        .map((t) => {
          if (t === '**/') return '(?:.*/)?'
          if (t === '/**') return '(?:/.*)?'
          if (t === '*') return '[^/]*'
          if (t === '?') return '[^/]'
          if (/^[.+^${}()|[\]\\]$/.test(t)) return `\\${t}`
          return t
        })
        .join('')
      const re = new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`)
      return { negate, dirOnly, re }
    })
  return (path, isDir) => {
    let ignored = false
    for (const r of rules) {
      if (r.dirOnly && !isDir) continue
      if (r.re.test(path)) ignored = !r.negate
    }
    return ignored
  }
}
