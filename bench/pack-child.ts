// One packaging run in its own process, for pack.mjs: `node --import tsx bench/pack-child.ts <dir>`
// zips <dir> with shipit's zipDirectory and prints the time of the zip alone, the archive's sha256
// and size, and the process's peak RSS. With `--baseline` it only imports the module (the RSS that
// node, tsx and the module cost before any packaging).
import { createHash } from 'node:crypto'
import { zipDirectory } from '../src/targets/lambda/zip.js'

const [dir, flag] = process.argv.slice(2)
if (flag === '--baseline' || !dir) {
  process.stdout.write(`@@bench ${JSON.stringify({ baseline: true, loaded: typeof zipDirectory, maxRssKb: process.resourceUsage().maxRSS })}\n`)
} else {
  const t0 = performance.now()
  const zip = await zipDirectory(dir)
  const ms = performance.now() - t0
  const check = createHash('sha256').update(zip.bytes).digest('hex')
  if (check !== zip.sha256) throw new Error('zipDirectory reported a sha256 that is not its bytes')
  process.stdout.write(
    `@@bench ${JSON.stringify({ ms, sha256: zip.sha256, size: zip.bytes.length, files: zip.files, maxRssKb: process.resourceUsage().maxRSS })}\n`,
  )
}
