import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { crc32, deflateRawSync } from 'node:zlib'
import { invalid } from '../../errors.js'

/**
 * Deterministic zip of a source directory: entries sorted by path, a fixed timestamp (1980-01-01),
 * modes 0644/0755 from the executable bit only, no extra fields. The same files give the same bytes
 * on any checkout, so the archive's SHA-256 says whether the code changed.
 */

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

interface Entry {
  path: string
  abs: string
  executable: boolean
  size: number
}

export async function zipDirectory(dir: string, options: { workers?: number } = {}): Promise<ZipResult> {
  const ignore = await loadIgnore(dir)
  const entries = await listFiles(dir, ignore)
  if (entries.length === 0)
    throw invalid('EmptySource', `function.source ${dir} has no files to deploy`, [
      'put the handler file there, or point function.source at the right directory',
    ])
  if (entries.length > MAX_ENTRIES)
    throw invalid('TooManyFiles', `function.source has ${entries.length} files; a zip holds at most ${MAX_ENTRIES}`, [
      'bundle the code, or ignore files in .shipitignore',
    ])

  const compressed = await compressAll(entries, options)

  // one buffer of the final size: no second copy of the archive
  let total = 22
  for (const c of compressed) total += 30 + 46 + 2 * c.name.length + c.data.length
  if (total > 0xffffffff) throw invalid('ZipTooLarge', 'the function source is larger than 4 GiB', ['bundle the code, or ignore files in .shipitignore'])
  const bytes = Buffer.allocUnsafe(total)
  let offset = 0
  const offsets: number[] = []
  for (const c of compressed) {
    offsets.push(offset)
    bytes.writeUInt32LE(0x04034b50, offset)
    bytes.writeUInt16LE(20, offset + 4) // version needed: 2.0
    bytes.writeUInt16LE(0x0800, offset + 6) // names are UTF-8
    bytes.writeUInt16LE(c.method, offset + 8)
    bytes.writeUInt16LE(0, offset + 10) // 00:00:00
    bytes.writeUInt16LE(0x21, offset + 12) // 1980-01-01
    bytes.writeUInt32LE(c.crc >>> 0, offset + 14)
    bytes.writeUInt32LE(c.data.length, offset + 18)
    bytes.writeUInt32LE(c.size, offset + 22)
    bytes.writeUInt16LE(c.name.length, offset + 26)
    bytes.writeUInt16LE(0, offset + 28)
    c.name.copy(bytes, offset + 30)
    c.data.copy(bytes, offset + 30 + c.name.length)
    offset += 30 + c.name.length + c.data.length
  }
  const cdStart = offset
  compressed.forEach((c, i) => {
    bytes.writeUInt32LE(0x02014b50, offset)
    bytes.writeUInt16LE((3 << 8) | 20, offset + 4) // made by Unix, 2.0: the high bytes of external attributes are the mode
    bytes.writeUInt16LE(20, offset + 6)
    bytes.writeUInt16LE(0x0800, offset + 8)
    bytes.writeUInt16LE(c.method, offset + 10)
    bytes.writeUInt16LE(0, offset + 12)
    bytes.writeUInt16LE(0x21, offset + 14)
    bytes.writeUInt32LE(c.crc >>> 0, offset + 16)
    bytes.writeUInt32LE(c.data.length, offset + 20)
    bytes.writeUInt32LE(c.size, offset + 24)
    bytes.writeUInt16LE(c.name.length, offset + 28)
    bytes.fill(0, offset + 30, offset + 38) // extra, comment, disk, internal attributes
    bytes.writeUInt32LE(((c.executable ? 0o100755 : 0o100644) << 16) >>> 0, offset + 38)
    bytes.writeUInt32LE(offsets[i], offset + 42)
    c.name.copy(bytes, offset + 46)
    offset += 46 + c.name.length
  })
  bytes.writeUInt32LE(0x06054b50, offset)
  bytes.writeUInt32LE(0, offset + 4) // disk numbers
  bytes.writeUInt16LE(compressed.length, offset + 8)
  bytes.writeUInt16LE(compressed.length, offset + 10)
  bytes.writeUInt32LE(offset - cdStart, offset + 12)
  bytes.writeUInt32LE(cdStart, offset + 16)
  bytes.writeUInt16LE(0, offset + 20)

  const digest = createHash('sha256').update(bytes).digest()
  return { bytes, sha256: digest.toString('hex'), codeSha256: digest.toString('base64'), files: compressed.length }
}

interface Compressed {
  name: Buffer
  crc: number
  size: number
  method: number
  data: Buffer
  executable: boolean
}

/**
 * Reading and deflating thousands of small files is CPU work on the main thread (a thread-pool round
 * trip per tiny file costs more than the work): a big tree is split across worker threads, one per
 * core, each reading and deflating its share synchronously; a small one is done here.
 */
async function compressAll(entries: Entry[], options: { workers?: number }): Promise<Compressed[]> {
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  const workers = options.workers ?? (entries.length >= 500 && bytes >= 4 * 1024 * 1024 ? Math.min(4, availableParallelism()) : 1)
  const results: CompressedRaw[] = new Array(entries.length)
  if (workers <= 1) {
    for (let i = 0; i < entries.length; i++) results[i] = compressFile(entries[i].abs)
  } else {
    // interleaved shares balance big and small files between workers
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const indexes = entries.map((_, i) => i).filter((i) => i % workers === w)
        return new Promise<void>((resolve, reject) => {
          const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: indexes.map((i) => entries[i].abs) })
          worker.once('message', (out: CompressedRaw[]) => {
            for (let k = 0; k < out.length; k++) results[indexes[k]] = out[k]
            resolve()
          })
          worker.once('error', reject)
          worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`zip worker exited with ${code}`))))
        })
      }),
    )
  }
  return results.map((r, i) => ({
    name: Buffer.from(entries[i].path, 'utf8'),
    crc: r.crc,
    size: r.size,
    method: r.method,
    data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength),
    executable: entries[i].executable,
  }))
}

interface CompressedRaw {
  crc: number
  size: number
  method: number
  data: Uint8Array
}

function compressFile(path: string): CompressedRaw {
  const raw = readFileSync(path)
  const deflated = raw.length ? deflateRawSync(raw, { level: 6 }) : raw
  const store = deflated.length >= raw.length
  return { crc: crc32(raw), size: raw.length, method: store ? 0 : 8, data: store ? raw : deflated }
}

// the same as compressFile, as a self-contained worker (no module path to resolve from a bundle)
const WORKER_SOURCE = `
const { readFileSync } = require('node:fs')
const { crc32, deflateRawSync } = require('node:zlib')
const { parentPort, workerData } = require('node:worker_threads')
const out = []
const transfer = []
for (const path of workerData) {
  const raw = readFileSync(path)
  const deflated = raw.length ? deflateRawSync(raw, { level: 6 }) : raw
  const store = deflated.length >= raw.length
  const data = store ? raw : deflated
  const copy = new Uint8Array(data.byteLength)
  copy.set(data)
  out.push({ crc: crc32(raw), size: raw.length, method: store ? 0 : 8, data: copy })
  transfer.push(copy.buffer)
}
parentPort.postMessage(out, transfer)
`

async function listFiles(root: string, ignored: (path: string, dir: boolean) => boolean): Promise<Entry[]> {
  let top: Awaited<ReturnType<typeof stat>>
  try {
    top = await stat(root)
  } catch {
    throw invalid('MissingSource', `function.source ${root} does not exist`, ['create it with your handler, or fix function.source in app.yaml'])
  }
  if (!top.isDirectory())
    throw invalid('MissingSource', `function.source ${root} is not a directory`, ['point function.source at the directory that holds the handler'])
  const out: Entry[] = []
  const walk = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${d.name}` : d.name
      const abs = join(root, path)
      let isDir = d.isDirectory()
      let isFile = d.isFile()
      if (d.isSymbolicLink()) {
        let target: ReturnType<typeof statSync> | undefined
        try {
          target = statSync(abs)
        } catch {
          continue // a broken link
        }
        isDir = target.isDirectory()
        isFile = target.isFile()
      }
      if (ignored(path, isDir)) continue
      if (isDir) walk(path)
      else if (isFile) {
        const info = statSync(abs)
        out.push({ path, abs, executable: (info.mode & 0o100) !== 0, size: info.size })
      }
    }
  }
  walk('')
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
