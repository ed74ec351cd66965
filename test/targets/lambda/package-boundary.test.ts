import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { listPackage } from '../../../src/targets/lambda/walk.js'
import { zipDirectory } from '../../../src/targets/lambda/zip.js'
import { refusal, tree } from '../../helpers/package-tree.js'

/** The entries of a zip (this writer's subset: no ZIP64, no data descriptors), read from its central directory. */
function unzipEntries(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  const out = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10)
    const compressedSize = zip.readUInt32LE(at + 20)
    const nameLength = zip.readUInt16LE(at + 28)
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8')
    const local = zip.readUInt32LE(at + 42)
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(dataStart, dataStart + compressedSize)
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data))
    at += 46 + skip
  }
  return out
}

/** The fixture whose archive was recorded before the boundary existed: ordinary trees keep their bytes. */
function ordinaryTree(): string {
  const root = tree({
    'index.mjs': 'export const handler = async () => ({ statusCode: 200, body: "hi" })\n'.repeat(20),
    'bin/run': '#!/bin/sh\necho hi\n',
    'empty.txt': '',
    'lib/a/b/c.js': 'module.exports = 1\n'.repeat(100),
    'lib/été.json': JSON.stringify({ a: 1 }),
    'random.bin': Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251)),
    'node_modules/x/index.js': 'x'.repeat(5000),
    'logs/debug.log': 'ignored',
    'keep.log': 'kept by negation',
    '.git/HEAD': 'ref',
    '.DS_Store': 'mac',
    'docs/readme.md': '# docs',
    '.shipitignore': '*.log\n!keep.log\ndocs/\n',
  })
  chmodSync(join(root, 'bin/run'), 0o755)
  symlinkSync('index.mjs', join(root, 'alias.mjs'))
  symlinkSync('lib/a', join(root, 'linkdir'))
  return root
}

describe('the archive of an ordinary tree', () => {
  it('keeps the bytes it had before the package boundary, inline and with worker threads', async () => {
    const root = ordinaryTree()
    const inline = await zipDirectory(root, { workers: 0 })
    const threaded = await zipDirectory(root, { workers: 3 })
    expect(inline.sha256).toBe('61b3374f0565e6c74d9238ef9316934cf2d5c954eed449c661bbb129ac7e81b1')
    expect(threaded.sha256).toBe(inline.sha256)
    expect(inline.files).toBe(10)
    expect(inline.needsS3).toBe(false)
    expect([...unzipEntries(inline.bytes).keys()]).toEqual([
      'alias.mjs',
      'bin/run',
      'empty.txt',
      'index.mjs',
      'keep.log',
      'lib/a/b/c.js',
      'lib/été.json',
      'linkdir/b/c.js',
      'node_modules/x/index.js',
      'random.bin',
    ])
  })
})

describe('links to files outside the source', () => {
  function withOutsideSecrets() {
    const base = mkdtempSync(join(tmpdir(), 'shipit-pkg-'))
    const home = tree(
      { '.aws/credentials': '[default]\naws_secret_access_key = OUTSIDE-SECRET-BYTES-1\n', 'notes/plan.txt': 'OUTSIDE-SECRET-BYTES-2' },
      join(base, 'home'),
    )
    const app = tree(
      { 'app.yaml': 'name: t\n', 'src/index.mjs': 'export const handler = async () => 1\n', 'src/lib/util.js': 'module.exports = "INSIDE-BYTES"\n' },
      join(base, 'app'),
    )
    const src = join(app, 'src')
    symlinkSync(join(home, '.aws/credentials'), join(src, 'creds'))
    symlinkSync('/proc/self/environ', join(src, 'env'))
    symlinkSync('../../home/notes', join(src, 'notes'))
    // a link to a link that leads out
    symlinkSync('creds', join(src, 'creds-again'))
    // links that stay inside
    symlinkSync('lib/util.js', join(src, 'util-alias.js'))
    symlinkSync('lib', join(src, 'lib-alias'))
    return { app, src, home }
  }

  it('are refused, every one named in one message, with exit 3', async () => {
    const { app, src } = withOutsideSecrets()
    const err = await refusal(zipDirectory(src, { appDir: app, label: './src' }))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('UnsafeSource')
    for (const name of ['creds ->', 'creds-again -> creds', 'env -> /proc/self/environ', 'notes -> ../../home/notes']) expect(err.message).toContain(name)
    expect(err.message).not.toContain('OUTSIDE-SECRET-BYTES')
  })

  it('never reach the package: unzipped, it holds none of their bytes, and links inside are stored as what they point to', async () => {
    const { app, src } = withOutsideSecrets()
    // the way out the message offers: leave the outside links out of the package
    writeFileSync(join(src, '.shipitignore'), 'creds\ncreds-again\nenv\nnotes\n')
    const zip = await zipDirectory(src, { appDir: app })
    expect(zip.bytes.includes('OUTSIDE-SECRET-BYTES')).toBe(false)
    const entries = unzipEntries(zip.bytes)
    expect([...entries.keys()]).toEqual(['index.mjs', 'lib-alias/util.js', 'lib/util.js', 'util-alias.js'])
    for (const [, content] of entries) expect(content.toString()).not.toContain('OUTSIDE-SECRET-BYTES')
    expect(entries.get('util-alias.js')?.toString()).toBe('module.exports = "INSIDE-BYTES"\n')
    expect(entries.get('lib-alias/util.js')?.toString()).toBe('module.exports = "INSIDE-BYTES"\n')
    // and the system's unzip agrees with the reader above
    const file = join(mkdtempSync(join(tmpdir(), 'shipit-zip-')), 'function.zip')
    writeFileSync(file, zip.bytes)
    const unzipped = execFileSync('unzip', ['-p', file]).toString()
    expect(unzipped).toContain('INSIDE-BYTES')
    expect(unzipped).not.toContain('OUTSIDE-SECRET-BYTES')
  })
})

describe('the source directory', () => {
  it('must lie inside the directory of app.yaml unless the manifest allows it', async () => {
    const app = tree({ 'app.yaml': 'name: t\n', 'src/index.mjs': 'x' })
    const up = join(app, '../../..')
    const err = await refusal(listPackage(up, { appDir: app, label: '../../..' }))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('SourceOutsideApp')
    expect(err.message).toContain('function.source ../../..')
    expect(err.suggestions.join('\n')).toContain('function.allowSourceOutsideApp: true')
    const abs = await refusal(listPackage('/etc', { appDir: app }))
    expect(abs.code).toBe('SourceOutsideApp')
    expect(abs.message).toContain('/etc')
  })

  it('may lie outside when allowed, but never on /proc or /sys', async () => {
    const shared = tree({ 'index.mjs': 'x' })
    const app = tree({ 'app.yaml': 'name: t\n' })
    await expect(listPackage(shared, { appDir: app, allowOutsideApp: true })).resolves.toMatchObject({ files: [{ path: 'index.mjs' }] })
    for (const kernel of ['/proc/self', '/sys/kernel']) {
      const err = await refusal(listPackage(kernel, { appDir: app, allowOutsideApp: true }))
      expect(err.exitCode).toBe(3)
      expect(err.code).toBe('SystemSource')
    }
  })

  it('a source that is a link out of the app directory counts as outside', async () => {
    const elsewhere = tree({ 'index.mjs': 'x' })
    const app = tree({ 'app.yaml': 'name: t\n' })
    symlinkSync(elsewhere, join(app, 'src'))
    const err = await refusal(listPackage(join(app, 'src'), { appDir: app, label: './src' }))
    expect(err.code).toBe('SourceOutsideApp')
  })
})

describe('trees that cannot be walked as they are', () => {
  it('a loop of links ends at once, naming the link', async () => {
    const root = tree({ 'index.mjs': 'x', 'a/b/file.js': 'y' })
    symlinkSync('..', join(root, 'a/b/up'))
    symlinkSync('../..', join(root, 'a/b/top'))
    const err = await refusal(listPackage(root))
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('a/b/up -> ..')
    expect(err.message).toContain('a/b/top -> ../..')
  })

  it('links that multiply the tree without a loop stop at the bound on entries', async () => {
    // d0 → d1 → … each through two links: 2^24 paths to the last directory
    const root = tree({ 'index.mjs': 'x' })
    for (let i = 0; i < 24; i++) {
      mkdirSync(join(root, `d${i}`))
      if (i > 0) {
        symlinkSync(`../d${i}`, join(root, `d${i - 1}`, 'left'))
        symlinkSync(`../d${i}`, join(root, `d${i - 1}`, 'right'))
      }
      writeFileSync(join(root, `d${i}`, 'f.js'), 'z')
    }
    const err = await refusal(listPackage(root))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('SourceTooLarge')
    expect(err.message).toContain('more than 100,000 files and directories')
  })

  it('FIFOs, sockets and devices are refused, not read', async () => {
    const root = tree({ 'index.mjs': 'x' })
    execFileSync('mkfifo', [join(root, 'pipe')])
    symlinkSync('/dev/null', join(root, 'null'))
    const err = await refusal(listPackage(root))
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('pipe (a FIFO)')
    // /dev/null lies outside the source: refused as a link that leaves it
    expect(err.message).toContain('null -> /dev/null')
  })

  it('a .shipitignore that is a FIFO is refused instead of blocking the read', async () => {
    const root = tree({ 'index.mjs': 'x' })
    execFileSync('mkfifo', [join(root, '.shipitignore')])
    const err = await refusal(listPackage(root))
    expect(err.code).toBe('InvalidIgnoreFile')
  })

  it('a name that is not valid UTF-8 is named with its bytes escaped', async () => {
    const root = tree({ 'index.mjs': 'x' })
    // a Latin-1 "café.js"
    writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.js')]), 'x')
    const err = await refusal(listPackage(root))
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('caf\\xe9.js')
    // listed in .shipitignore, it is left out instead
    writeFileSync(join(root, '.shipitignore'), 'caf*.js\n')
    await expect(listPackage(root)).resolves.toMatchObject({ files: [{ path: 'index.mjs' }] })
  })
})

describe('size limits', () => {
  it("more than 250 MB unzipped is refused while walking, with the sizes and Lambda's limit", async () => {
    const root = tree({ 'index.mjs': 'x' })
    // sparse: 260 MB that use no disk, never read
    writeFileSync(join(root, 'model.bin'), '')
    truncateSync(join(root, 'model.bin'), 260 * 1024 * 1024)
    const err = await refusal(zipDirectory(root, { label: './src' }))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('PackageTooLarge')
    expect(err.message).toContain('function.source ./src is 260.0 MB unzipped (272,629,761 bytes in 2 files)')
    expect(err.message).toContain("Lambda's hard limit for a .zip package is 250.0 MB unzipped")
    expect(err.suggestions.join('\n')).toContain('model.bin 260.0 MB')
  })

  it('more files than a zip holds are refused while walking', async () => {
    const root = tree({ 'index.mjs': 'x', 'a.js': 'y', 'b.js': 'z' })
    const err = await refusal(listPackage(root, { limits: { maxFiles: 2 } }))
    expect(err.code).toBe('TooManyFiles')
  })

  it('a package above 50 MB zipped is flagged for upload through S3', async () => {
    // random bytes do not compress: 51 MB in, about 51 MB out
    const root = tree({ 'index.mjs': 'x' })
    const { randomBytes } = await import('node:crypto')
    for (let i = 0; i < 3; i++) writeFileSync(join(root, `blob${i}.bin`), randomBytes(17 * 1024 * 1024))
    const zip = await zipDirectory(root)
    expect(zip.bytes.length).toBeGreaterThan(50 * 1024 * 1024)
    expect(zip.needsS3).toBe(true)
    expect(zip.unzippedBytes).toBe(3 * 17 * 1024 * 1024 + 1)
  })

  it('a big file whose start does not compress is stored without deflating it; one whose start does is deflated', async () => {
    const { randomBytes } = await import('node:crypto')
    const random = randomBytes(2 * 1024 * 1024)
    const root = tree({ 'index.mjs': 'x' })
    writeFileSync(join(root, 'random.bin'), random)
    // random, then 2 MB of zeros: the sample says "incompressible", so the file is stored whole
    writeFileSync(join(root, 'random-then-zeros.bin'), Buffer.concat([random, Buffer.alloc(2 * 1024 * 1024)]))
    // zeros, then random: the sample compresses, the file is deflated
    writeFileSync(join(root, 'zeros-then-random.bin'), Buffer.concat([Buffer.alloc(2 * 1024 * 1024), random]))
    const zip = await zipDirectory(root, { workers: 0 })
    const again = await zipDirectory(root, { workers: 2 })
    expect(again.sha256).toBe(zip.sha256)
    const method = (name: string) => zip.bytes.readUInt16LE(zip.bytes.indexOf(Buffer.from(name)) - 30 + 8)
    expect(method('random.bin')).toBe(0)
    expect(method('random-then-zeros.bin')).toBe(0)
    expect(method('zeros-then-random.bin')).toBe(8)
  })
})

describe('.shipitignore', () => {
  it('a line of repeated **/ is matched without backtracking', { timeout: 10_000 }, async () => {
    // with hand-made regexes, 12 repeats took over 100 s
    const root = tree({ 'index.mjs': 'x', 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/file.js': 'y', 'a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/x': 'ignored' })
    writeFileSync(join(root, '.shipitignore'), `${'**/'.repeat(12)}x\n${'**/'.repeat(40)}nothing-matches\n`)
    const listing = await listPackage(root)
    expect(listing.files.map((f) => f.path)).toEqual(['a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/file.js', 'index.mjs'])
  })

  it("follows .gitignore's rules: anchored, directory-only, negated, and the defaults", async () => {
    const root = tree({
      'index.mjs': 'x',
      'build/out.js': 'x',
      'lib/build/keep.js': 'x',
      'test/a.test.js': 'x',
      'README.md': 'x',
      'notes.md': 'x',
      '.git/config': 'x',
      '.shipit/cache': 'x',
    })
    writeFileSync(join(root, '.shipitignore'), '# comment\n/build\ntest/\n*.md\n!README.md\n')
    const listing = await listPackage(root)
    expect(listing.files.map((f) => f.path)).toEqual(['README.md', 'index.mjs', 'lib/build/keep.js'])
  })
})

describe('interrupting the packaging', () => {
  it('an aborted signal ends the walk and the zip with exit 130', async () => {
    const root = tree({ 'index.mjs': 'x' })
    const controller = new AbortController()
    controller.abort(new Error('received SIGTERM'))
    const err = await refusal(zipDirectory(root, { signal: controller.signal }))
    expect(err.exitCode).toBe(130)
    expect(err.code).toBe('Interrupted')
  })

  it('an abort while worker threads deflate stops them instead of waiting for the archive', async () => {
    const root = tree({ 'index.mjs': 'x' })
    const { randomBytes } = await import('node:crypto')
    // zeros first: zip.ts's sample of each file compresses, so the whole file is deflated (slowly)
    for (let i = 0; i < 8; i++) writeFileSync(join(root, `blob${i}.bin`), Buffer.concat([Buffer.alloc(256 * 1024), randomBytes(4 * 1024 * 1024)]))
    const controller = new AbortController()
    const packing = zipDirectory(root, { workers: 2, signal: controller.signal })
    setTimeout(() => controller.abort(new Error('received SIGINT')), 20)
    const err = await refusal(packing)
    expect(err.code).toBe('Interrupted')
  })
})
