// Build dist/ and oclif.manifest.json: each command is an entry point, bundled with our code, yaml and
// zod, with shared chunks. Node 20 resolves and compiles hundreds of small ES modules slowly; one bundle
// per command starts several times faster. The AWS SDK and oclif stay external: the SDK clients load
// only when a command needs them (dynamic imports become their own chunks), and oclif is the entry point.
//
// A shipit may be running from dist/ while this runs (`npm test` builds first): nothing it loads may
// vanish or be half-written under it. So the build goes to a staging directory beside dist/, and each
// file is then renamed into place (a rename is atomic): the chunks first, the entry points and the
// manifest last, so a new entry point never meets a missing chunk. Files of earlier builds stay an
// hour, for the processes that started with them (chunk names carry a content hash, so an old entry
// point still finds its own chunks); the build after that removes them.
//
// Type checks are not a build's job: `npm run lint` runs tsc.
//
// node scripts/build.mjs [ROOT]   ROOT: the package to build (default: the current directory)
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'

const STALE_AFTER_MS = 60 * 60 * 1000
const root = resolve(process.argv[2] ?? '.')
const dist = join(root, 'dist')
const staging = mkdtempSync(join(root, '.build-'))
try {
  const entries = await bundle(join(staging, 'dist'))
  const manifest = await writeManifest(staging)
  const built = filesUnder(join(staging, 'dist'))
  // chunks and source maps first, entry points after them, the manifest that names the commands last
  const isEntry = (f) => entries.has(f)
  for (const f of [...built.filter((f) => !isEntry(f)), ...built.filter(isEntry)]) moveInto(join(staging, 'dist', f), join(dist, f))
  renameSync(manifest, join(root, 'oclif.manifest.json'))
  removeStale(new Set(built))
} finally {
  rmSync(staging, { recursive: true, force: true })
}

/** esbuild into `outdir`; returns the entry points' paths relative to it. */
async function bundle(outdir) {
  const entryPoints = [
    ...readdirSync(join(root, 'src/commands'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ in: join(root, 'src/commands', f), out: `commands/${f.replace(/\.ts$/, '')}` })),
    // --version and validate without oclif (bin/run.js)
    { in: join(root, 'src/cli/fast.ts'), out: 'fast' },
    // `shipit deplooy`: exit 3 with a did-you-mean (package.json oclif.hooks)
    { in: join(root, 'src/cli/hooks/command-not-found.ts'), out: 'hooks/command-not-found' },
  ]
  await build({
    entryPoints,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@aws-sdk/*', '@smithy/*', '@oclif/core'],
    // yaml is CommonJS in places; give the bundle a require
    banner: { js: "import { createRequire as __shipitRequire } from 'node:module'; const require = __shipitRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  return new Set(entryPoints.map((e) => `${e.out}.js`))
}

/**
 * The oclif manifest (what `oclif manifest` writes: each command's flags, so help and parsing need not
 * load every command), made by @oclif/core itself from the staged build. Returns its path.
 */
async function writeManifest(stagingRoot) {
  cpSync(join(root, 'package.json'), join(stagingRoot, 'package.json'))
  // the staged commands import @oclif/core and the SDK from the package's node_modules, one level up
  const { Plugin } = await import('@oclif/core')
  const plugin = new Plugin({ root: stagingRoot, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true })
  await plugin.load()
  const file = join(stagingRoot, 'oclif.manifest.json')
  writeFileSync(file, JSON.stringify(plugin.manifest, null, 2))
  return file
}

function filesUnder(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(dir, join(prefix, d.name)) : [join(prefix, d.name)],
  )
}

function moveInto(from, to) {
  mkdirSync(dirname(to), { recursive: true })
  renameSync(from, to)
}

/** Files of earlier builds that this one did not write, once no shipit started with them can still be running. */
function removeStale(current) {
  let existing = []
  try {
    existing = filesUnder(dist)
  } catch {
    return
  }
  const now = Date.now()
  for (const f of existing) {
    if (current.has(f)) continue
    const path = join(dist, f)
    if (now - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { force: true })
  }
}
