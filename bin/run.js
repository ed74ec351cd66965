#!/usr/bin/env node
// --version and validate answer without loading oclif (see src/cli/fast.ts); everything else is oclif.
const argv = process.argv.slice(2)
const fast = await import('../dist/fast.js').catch(() => undefined)
if (!fast || !(await fast.runFast(argv))) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
}
