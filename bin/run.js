#!/usr/bin/env node
// --version and validate answer without loading oclif (see src/cli/fast.ts); everything else is oclif.
// Whatever escapes oclif's commands (an unknown command, say) is reported by shipit's own handler,
// with the exit code of shipit's table (src/cli/report-error.ts), not oclif's.
const argv = process.argv.slice(2)
const fast = await import('../dist/fast.js').catch(() => undefined)
if (!fast) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
} else if (!(await fast.runFast(argv))) {
  const { flush, run } = await import('@oclif/core')
  // not awaited: flush() waits for stdout to drain, which never comes when the reader left (`| head`),
  // and an unsettled top-level await would turn that into exit 13
  run(argv, import.meta.url).then(
    () => flush(),
    (err) => fast.reportUncaught(err, argv),
  )
}
