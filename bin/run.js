#!/usr/bin/env node
// --version and validate answer without loading oclif (see src/cli/fast.ts); everything else is oclif.
// Whatever escapes oclif's commands (an unknown command, say) is reported by shipit's own handler,
// with the exit code of shipit's table (src/cli/report-error.ts), not oclif's.
import { existsSync } from 'node:fs'

const argv = process.argv.slice(2)
if (!existsSync(new URL('../dist/fast.js', import.meta.url))) {
  // a clone that was never built (`npm ci --omit=dev` cannot build: esbuild is a dev dependency)
  process.stderr.write(
    'Error: shipit is not built: dist/ is missing\n  → in a clone: npm ci && npm run build (the build needs the dev dependencies)\n  → or install the package: npm install -g shipit-*.tgz (npm pack builds it)\n',
  )
  process.exit(1)
}
const fast = await import('../dist/fast.js')
if (!(await fast.runFast(argv))) {
  const { flush, run } = await import('@oclif/core')
  // not awaited: flush() waits for stdout to drain, which never comes when the reader left (`| head`),
  // and an unsettled top-level await would turn that into exit 13
  run(argv, import.meta.url).then(
    () => flush(),
    (err) => fast.reportUncaught(err, argv),
  )
}
