// Figure 5: packaging. Generates a ~30 MB tree of ~12,000 small files (JS-like and JSON text that
// compresses, prose, some random bytes that do not, a few executables, nested like node_modules),
// then zips it with shipit's zipDirectory (each run a child process: bench/pack-child.ts) and with
// `zip -qr -X` (when /usr/bin/zip is there), interleaved. Throughput = tree bytes / time of the zip.
// shipit's time is the zipDirectory call inside its process; zip's is the whole command.
// Determinism: the sha256 of every shipit run on the tree, and of a run on a fresh copy of the tree
// whose files and directories all got other (random) mtimes.
// Memory: peak RSS of a zipping child minus that of a child that only imports the module.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fmtMb, median, printRows, ROOT, row, runJsonChild, tempDir, timed, ZIP } from './lib.mjs'

const MB = 1024 * 1024

function prng(seed) {
  let s = seed >>> 0
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = (
  'const let var function return if else for while import export default from async await new this class extends ' +
  'module exports require null undefined true false typeof instanceof throw try catch finally switch case break ' +
  'value options config result error data index length push map filter reduce keys object string number buffer ' +
  'callback resolve reject promise handler request response headers body status message path name type id node'
).split(' ')
const PROSE = 'the of and to in is it that for on with as was by be this are or from at an which not have has but all can more one'.split(' ')

function corpus(rand, size, kind) {
  const parts = []
  let n = 0
  while (n < size) {
    let s
    if (kind === 'js') {
      const w = () => WORDS[Math.floor(rand() * WORDS.length)]
      const r = rand()
      s =
        r < 0.3
          ? `${'  '.repeat(Math.floor(rand() * 4))}${w()} ${w()}${Math.floor(rand() * 100)} = ${w()}.${w()}(${w()}, ${Math.floor(rand() * 1e4)});\n`
          : r < 0.6
            ? `${'  '.repeat(Math.floor(rand() * 4))}if (${w()} ${rand() < 0.5 ? '===' : '!=='} ${w()}) { return ${w()}['${w()}'] }\n`
            : `${'  '.repeat(Math.floor(rand() * 4))}${w()}(${w()}, function (${w()}, ${w()}) { ${w()}.${w()} = ${w()} })\n`
    } else if (kind === 'json') {
      s = `  "${WORDS[Math.floor(rand() * WORDS.length)]}${Math.floor(rand() * 1000)}": ${rand() < 0.5 ? Math.floor(rand() * 1e6) : `"${PROSE[Math.floor(rand() * PROSE.length)]}-${Math.floor(rand() * 1e5).toString(36)}"`},\n`
    } else {
      s = `${Array.from({ length: 8 + Math.floor(rand() * 12) }, () => PROSE[Math.floor(rand() * PROSE.length)]).join(' ')}.\n`
    }
    parts.push(s)
    n += s.length
  }
  return Buffer.from(parts.join(''))
}

/** ~targetBytes in ~files files under root; returns the byte and file counts. */
export function generateTree(root, { files = 12_000, targetBytes = 30 * MB, seed = 42 } = {}) {
  const rand = prng(seed)
  const corpora = { js: corpus(rand, 4 * MB, 'js'), json: corpus(rand, 2 * MB, 'json'), txt: corpus(rand, 2 * MB, 'txt') }
  const random = Buffer.alloc(8 * MB)
  for (let i = 0; i < random.length; i += 4) random.writeUInt32LE(Math.floor(rand() * 4294967296), i)
  // sizes: a long tail like a real dependency tree (most files small, a few large), scaled to the target
  const raw = Array.from({ length: files }, () => Math.exp(rand() * 4.5) * 40)
  const scale = targetBytes / raw.reduce((a, b) => a + b, 0)
  let bytes = 0
  const packages = Math.ceil(files / 40)
  for (let i = 0; i < files; i++) {
    const pkg = `node_modules/${i % 7 === 0 ? '@scope/' : ''}pkg-${i % packages}`
    const sub = ['lib', 'dist', 'src', 'lib/internal', 'dist/esm'][Math.floor(rand() * 5)]
    const r = rand()
    const kind = r < 0.45 ? 'js' : r < 0.65 ? 'json' : r < 0.8 ? 'txt' : 'bin'
    const ext = { js: 'js', json: 'json', txt: 'md', bin: 'node' }[kind]
    const size = Math.max(1, Math.min(Math.round(raw[i] * scale), kind === 'bin' ? random.length : 2 * MB - 1))
    const src = kind === 'bin' ? random : corpora[kind]
    const at = Math.floor(rand() * (src.length - size))
    const dir = join(root, pkg, sub)
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `f${i}.${ext}`)
    writeFileSync(file, src.subarray(at, at + size), { mode: i % 97 === 0 ? 0o755 : 0o644 })
    bytes += size
  }
  writeFileSync(join(root, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
  return { bytes: bytes + 58, files: files + 1 }
}

/**
 * Where the trees go: BENCH_PACK_DIR, else /dev/shm when it has room (a tmpfs: creating and deleting
 * 24,000 files on a busy VM disk costs more time than the zipping, and adds its noise), else the
 * temp dir. Either way both zips read the same files from memory (page cache or tmpfs).
 */
function workDir() {
  const base =
    process.env.BENCH_PACK_DIR ??
    (() => {
      try {
        const s = statfsSync('/dev/shm')
        if (s.bavail * s.bsize > 512 * MB) return '/dev/shm'
      } catch {}
      return undefined
    })()
  return base ? mkdtempSync(join(base, 'shipit-bench-pack-')) : tempDir('pack')
}

function touchRandomly(root, rand) {
  const visit = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name)
      if (d.isDirectory()) visit(p)
      const t = new Date(Date.UTC(2001, 0, 1) + Math.floor(rand() * 20 * 365 * 86400_000))
      utimesSync(p, t, t)
    }
  }
  visit(root)
  const t = new Date(Date.UTC(2011, 5, 5))
  utimesSync(root, t, t)
}

export async function runPack({ runs = Number(process.env.BENCH_PACK_RUNS ?? 3), log: say = () => {} } = {}) {
  const started = performance.now()
  const log = (m) => say(`${m}  [${((performance.now() - started) / 1000).toFixed(1)} s]`)
  const work = workDir()
  log(`  working in ${work}`)
  const tree = join(work, 'tree')
  const rows = []
  try {
    let t0 = performance.now()
    const { bytes, files } = generateTree(tree)
    log(`  generated ${files} files, ${(bytes / MB).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const child = (dir, ...extra) => runJsonChild(['--import', 'tsx', join(ROOT, 'bench', 'pack-child.ts'), dir, ...extra])

    const baseline = child(tree, '--baseline')
    const ours = []
    const theirs = []
    for (let i = 0; i < runs; i++) {
      ours.push(child(tree))
      if (ZIP) {
        const out = join(work, 'out.zip')
        rmSync(out, { force: true })
        const r = await timed(ZIP, ['-qr', '-X', out, '.'], { cwd: tree, rss: false })
        if (r.code !== 0) throw new Error(`zip failed: ${r.stderr}`)
        theirs.push({ ms: r.ms, size: statSync(out).size })
      }
      log(`  run ${i + 1}/${runs}: shipit ${ours[i].ms.toFixed(0)} ms${ZIP ? `, zip ${theirs[i].ms.toFixed(0)} ms` : ''}`)
    }

    // a fresh copy, every file and directory with another mtime
    const copy = join(work, 'copy')
    t0 = performance.now()
    cpSync(tree, copy, { recursive: true })
    touchRandomly(copy, prng(7))
    log(`  copied and touched in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const onCopy = child(copy)
    log(`  shipit on the copy: ${onCopy.ms.toFixed(0)} ms`)

    const oursMs = median(ours.map((o) => o.ms))
    const oursMbps = bytes / MB / (oursMs / 1000)
    const size = ours[0].size
    rows.push(row('5 packaging', 'tree', `${files} files, ${(bytes / MB).toFixed(1)} MB`, undefined, null, `archive ${(size / MB).toFixed(1)} MB`))
    if (ZIP) {
      const zipMs = median(theirs.map((t) => t.ms))
      const zipMbps = bytes / MB / (zipMs / 1000)
      rows.push(
        row(
          '5 packaging',
          'zipDirectory throughput',
          `${oursMbps.toFixed(1)} MB/s (${oursMs.toFixed(0)} ms)`,
          `≥ zip -qr -X (${zipMbps.toFixed(1)} MB/s, ${zipMs.toFixed(0)} ms)`,
          oursMbps >= zipMbps,
          `median of ${runs}; zip's archive ${(theirs[0].size / MB).toFixed(1)} MB`,
        ),
      )
    } else {
      rows.push(
        row(
          '5 packaging',
          'zipDirectory throughput',
          `${oursMbps.toFixed(1)} MB/s (${oursMs.toFixed(0)} ms)`,
          undefined,
          null,
          `median of ${runs}; zip is not installed, no comparison`,
        ),
      )
    }
    const shas = ours.map((o) => o.sha256)
    const sameRuns = shas.every((s) => s === shas[0])
    rows.push(row('5 packaging', `sha256 over ${runs} runs`, sameRuns ? shas[0] : shas.map((s) => s.slice(0, 12)).join(' / '), 'identical', sameRuns))
    const sameCopy = onCopy.sha256 === shas[0]
    rows.push(row('5 packaging', 'sha256 of a copy with other mtimes', sameCopy ? onCopy.sha256 : `${onCopy.sha256} ≠ ${shas[0]}`, 'identical', sameCopy))
    const peakKb = Math.max(...[...ours, onCopy].map((o) => o.maxRssKb)) - baseline.maxRssKb
    const limitKb = (2 * size + 100 * MB) / 1024
    rows.push(
      row(
        '5 packaging',
        'peak memory of packaging',
        fmtMb(peakKb),
        `≤ 2× archive + 100 MB = ${fmtMb(limitKb)}`,
        peakKb <= limitKb,
        `max RSS of a zipping child ${fmtMb(peakKb + baseline.maxRssKb)} − ${fmtMb(baseline.maxRssKb)} of one that only imports the module`,
      ),
    )
    return { rows, bytes, files, ours, theirs, onCopy, baseline }
  } finally {
    rmSync(work, { recursive: true, force: true })
    log('  cleaned up')
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await runPack({ log: console.error })
  printRows(rows)
}
