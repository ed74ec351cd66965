import { stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ManifestError } from './load.js'

const MANIFEST_FILE = 'app.yaml'

/**
 * The app.yaml of `cwd` or of its nearest parent directory, as git finds .git: run from `src/`, shipit
 * uses the app's manifest instead of saying "file not found" (and suggesting a second app). Used when
 * -f is not given; the path it returns is the one every message and the plan header name.
 */
export async function findManifest(cwd: string): Promise<string> {
  const start = resolve(cwd)
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, MANIFEST_FILE)
    if (await entryExists(candidate)) return candidate
    if (dirname(dir) === dir) break
  }
  throw new ManifestError([
    {
      file: MANIFEST_FILE,
      message: `file not found in ${start} or any directory above it`,
      hint: 'run `shipit init` to write one, or pass its path with -f',
    },
  ])
}

/** True for anything at `path`, even what is not a readable file: loading it then says what is wrong with it. */
async function entryExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code !== 'ENOENT' && code !== 'ENOTDIR'
  }
}
