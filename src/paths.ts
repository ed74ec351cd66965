import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/**
 * The directory of shipit's package.json. Found by walking up from this module, so it is right both
 * from src/ (tests, bin/dev.js) and from the bundled dist/.
 */
export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('shipit: cannot find its package.json')
    dir = parent
  }
  root = dir
  return dir
}
