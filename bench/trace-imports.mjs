// Preload: `node --import ./bench/trace-imports.mjs bin/run.js …` appends every module the process
// resolves to the file named by SHIPIT_TRACE_FILE, one `kind<TAB>specifier<TAB>resolved` a line.
// ESM imports go through a resolve hook (module.register; the hook runs on the loader thread);
// CommonJS require() calls through a wrapper of Module._resolveFilename (the AWS SDK ships CJS too).
import { appendFileSync } from 'node:fs'
import Module, { register } from 'node:module'

const file = process.env.SHIPIT_TRACE_FILE
if (file) {
  register('./trace-hooks.mjs', import.meta.url, { data: { file } })
  const original = Module._resolveFilename
  Module._resolveFilename = function (request, ...rest) {
    const resolved = original.call(this, request, ...rest)
    appendFileSync(file, `cjs\t${request}\t${resolved}\n`)
    return resolved
  }
}
