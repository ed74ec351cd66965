import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ShipitError } from '../../src/errors.js'

/** A directory holding these files (paths relative to it), in a new temp dir unless `root` is given. */
export function tree(files: Record<string, string | Buffer>, root = mkdtempSync(join(tmpdir(), 'shipit-pkg-'))): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

/** The error a packaging (or build-context) promise is refused with; fails the test when it resolves. */
export async function refusal(promise: Promise<unknown>): Promise<ShipitError> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as ShipitError | undefined
  if (!err) throw new Error('expected a refusal')
  return err
}
