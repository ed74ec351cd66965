// Build dist/: each command is an entry point, bundled with our code, yaml and zod, with shared chunks.
// Node 20 resolves and compiles hundreds of small ES modules slowly; one bundle per command starts
// several times faster. The AWS SDK and oclif stay external: the SDK clients load only when a
// command needs them (dynamic imports become their own chunks), and oclif is the entry point.
import { readdirSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: [
    ...readdirSync('src/commands').filter((f) => f.endsWith('.ts')).map((f) => ({ in: `src/commands/${f}`, out: `commands/${f.replace(/\.ts$/, '')}` })),
    // --version and validate without oclif (bin/run.js)
    { in: 'src/cli/fast.ts', out: 'fast' },
    // `shipit deplooy`: exit 3 with a did-you-mean (package.json oclif.hooks)
    { in: 'src/cli/hooks/command-not-found.ts', out: 'hooks/command-not-found' },
  ],
  outdir: 'dist',
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
