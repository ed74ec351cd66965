// Loader hooks for trace-imports.mjs: records each ESM resolution, then lets Node resolve as usual.
import { appendFileSync } from 'node:fs'

let file

export function initialize(data) {
  file = data?.file
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (file) appendFileSync(file, `esm\t${specifier}\t${result.url}\n`)
  return result
}
