import { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { crc32, deflateRawSync } from 'node:zlib'
import { ExitCode, invalid, ShipitError } from '../../errors.js'
import { DEFAULT_LIMITS, formatMb, type Listing, listPackage, MB, type PackageFile, throwIfInterrupted, type WalkOptions } from './walk.js'

export { DEFAULT_IGNORES, ignoreMatcher } from './walk.js'

/**
 * Deterministic zip of a source directory: entries sorted by path, a fixed timestamp (1980-01-01),
 * modes 0644/0755 from the executable bit only, no extra fields. The same files give the same bytes
 * on any checkout, so the archive's SHA-256 says whether the code changed. What goes in is decided by
 * the package boundary in walk.ts.
 */

interface ZipResult {
  bytes: Buffer
  /** hex SHA-256 of the archive */
  sha256: string
  /** base64 SHA-256 of the archive, as Lambda reports CodeSha256 */
  codeSha256: string
  files: number
  /** the files' bytes before compression (Lambda's 250 MB limit applies to this) */
  unzippedBytes: number
  /** above 50 MB zipped Lambda takes the code only from S3, not in the request */
  needsS3: boolean
}

/** Lambda's limit for code sent in the request itself (ZipFile); larger packages go through S3. */
export const DIRECT_UPLOAD_LIMIT = 50 * MB

interface ZipOptions extends WalkOptions {
  /** worker threads; 0 or 1 packs on the calling thread */
  workers?: number
}

/** List `dir` within the package boundary (walk.ts), then zip what was listed. */
export async function zipDirectory(dir: string, options: ZipOptions = {}): Promise<ZipResult> {
  return zipListing(await listPackage(dir, options), { ...options, label: options.label ?? dir })
}

/** Zip the files of a listing, in its order. */
export async function zipListing(listing: Listing, options: Pick<ZipOptions, 'workers' | 'signal' | 'limits' | 'label'> = {}): Promise<ZipResult> {
  const compressed = await compressAll(listing.files, options)
  // a file that grew after it was listed must not carry the package past the limit
  const unzippedBytes = compressed.reduce((n, c) => n + c.size, 0)
  const limit = options.limits?.maxUnzippedBytes ?? DEFAULT_LIMITS.maxUnzippedBytes
  if (unzippedBytes > limit)
    throw invalid(
      'PackageTooLarge',
      `function.source ${options.label ?? ''} is ${formatMb(unzippedBytes)} unzipped; Lambda's hard limit for a .zip package is ${formatMb(limit)} unzipped`,
      ['bundle the code, or ignore files in .shipitignore'],
    )

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
  return {
    bytes,
    sha256: digest.toString('hex'),
    codeSha256: digest.toString('base64'),
    files: compressed.length,
    unzippedBytes,
    needsS3: bytes.length > DIRECT_UPLOAD_LIMIT,
  }
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
 * Reading and deflating is CPU work (a thread-pool round trip per tiny file costs more than the work):
 * a package of more than a few MB is split across worker threads, one per core, each reading and
 * deflating its share synchronously; a small one is done here. Off the main thread, packaging never
 * holds up a signal: an abort terminates the workers at once.
 */
async function compressAll(entries: PackageFile[], options: Pick<ZipOptions, 'workers' | 'signal'>): Promise<Compressed[]> {
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  const threads =
    options.workers !== undefined
      ? Math.max(0, options.workers > 1 ? options.workers : 0)
      : bytes >= INLINE_BYTES
        ? Math.max(1, Math.min(4, availableParallelism(), entries.length))
        : 0
  const results: CompressedRaw[] = new Array(entries.length)
  if (threads === 0) compressInline(entries, results, options.signal)
  else await compressInWorkers(entries, results, threads, options.signal)
  return results.map((r, i) => ({
    name: Buffer.from(entries[i].path, 'utf8'),
    crc: r.crc,
    size: r.size,
    method: r.method,
    data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength),
    executable: entries[i].executable,
  }))
}

/** Below this the whole package is packed on the calling thread in well under a tenth of a second. */
const INLINE_BYTES = 4 * MB

function compressInline(entries: PackageFile[], results: CompressedRaw[], signal: AbortSignal | undefined): void {
  throwIfInterrupted(signal)
  for (let i = 0; i < entries.length; i++) {
    const out = compressFile(entries[i].abs)
    if ('failed' in out) throw changedWhilePacking(out.failed)
    results[i] = out
  }
}

function compressInWorkers(entries: PackageFile[], results: CompressedRaw[], workers: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfInterrupted(signal)
  const running: Worker[] = []
  const stopAll = () => {
    for (const w of running) void w.terminate()
  }
  const shares = Array.from({ length: workers }, (_, w) => {
    // interleaved shares balance big and small files between workers
    const indexes = entries.map((_, i) => i).filter((i) => i % workers === w)
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: indexes.map((i) => entries[i].abs) })
      running.push(worker)
      worker.once('message', (out: CompressedRaw[] | { failed: string }) => {
        if ('failed' in out) return reject(changedWhilePacking(out.failed))
        for (let k = 0; k < out.length; k++) results[indexes[k]] = out[k]
        resolve()
      })
      worker.once('error', reject)
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`zip worker exited with ${code}`))))
    })
  })
  let onAbort = () => {}
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => {
      try {
        throwIfInterrupted(signal)
      } catch (err) {
        reject(err)
      }
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([Promise.all(shares).then(() => undefined), interrupted]).finally(() => {
    signal?.removeEventListener('abort', onAbort)
    stopAll()
  })
}

function changedWhilePacking(why: string): ShipitError {
  return new ShipitError('SourceChanged', `a file of function.source could not be read, or changed while it was packaged: ${why}`, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: ['make the file readable, or run the command again once nothing writes to the source directory'],
  })
}

interface CompressedRaw {
  crc: number
  size: number
  method: number
  data: Uint8Array
}

/**
 * Files of 1 MB or more are sampled first: when deflate cannot shrink their first 128 KB, the file is
 * stored as is. Deflating 60 MB of incompressible bytes takes ~4 s only to be thrown away; the
 * decision depends on the bytes alone, so the zip stays deterministic.
 */
const SAMPLED_FROM = MB
const SAMPLE_BYTES = 128 * 1024

/**
 * Read without following a link and without blocking: the walk saw a regular file here, and a link or
 * a FIFO put in its place since then is refused instead of read (or waited on for ever).
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

function compressFile(path: string): CompressedRaw | { failed: string } {
  let raw: Buffer
  try {
    const fd = openSync(path, OPEN_FLAGS)
    try {
      if (!fstatSync(fd).isFile()) return { failed: `${path} is no longer a regular file` }
      raw = readFileSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    return { failed: `${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }
  }
  // a big file whose first part deflate cannot shrink (a random blob, a .zip, media) is stored without deflating it all
  const sampled = raw.length >= SAMPLED_FROM && deflateRawSync(raw.subarray(0, SAMPLE_BYTES), { level: 6 }).length >= SAMPLE_BYTES
  const deflated = !raw.length || sampled ? raw : deflateRawSync(raw, { level: 6 })
  const store = deflated.length >= raw.length
  return { crc: crc32(raw), size: raw.length, method: store ? 0 : 8, data: store ? raw : deflated }
}

// the same as compressFile, as a self-contained worker (no module path to resolve from a bundle)
const WORKER_SOURCE = `
const { closeSync, constants, fstatSync, openSync, readFileSync } = require('node:fs')
const { crc32, deflateRawSync } = require('node:zlib')
const { parentPort, workerData } = require('node:worker_threads')
const FLAGS = ${OPEN_FLAGS}
function read(path) {
  const fd = openSync(path, FLAGS)
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(path + ' is no longer a regular file'), { shown: true })
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}
const out = []
const transfer = []
try {
  for (const path of workerData) {
    const raw = read(path)
    const sampled = raw.length >= ${SAMPLED_FROM} && deflateRawSync(raw.subarray(0, ${SAMPLE_BYTES}), { level: 6 }).length >= ${SAMPLE_BYTES}
    const deflated = !raw.length || sampled ? raw : deflateRawSync(raw, { level: 6 })
    const store = deflated.length >= raw.length
    const data = store ? raw : deflated
    const copy = new Uint8Array(data.byteLength)
    copy.set(data)
    out.push({ crc: crc32(raw), size: raw.length, method: store ? 0 : 8, data: copy })
    transfer.push(copy.buffer)
  }
  parentPort.postMessage(out, transfer)
} catch (err) {
  parentPort.postMessage({ failed: err.shown ? err.message : (err.path || '') + ': ' + (err.code || err.message) })
}
`
