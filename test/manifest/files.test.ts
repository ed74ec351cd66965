import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findManifest } from '../../src/manifest/discover.js'
import { loadManifest, MAX_MANIFEST_BYTES, ManifestError, type ManifestProblem } from '../../src/manifest/load.js'
import { cleanEnv, shipit } from '../helpers/cli.js'

async function problemOf(path: string): Promise<ManifestProblem> {
  const error = await loadManifest(path, {}).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(ManifestError)
  expect((error as ManifestError).exitCode).toBe(3)
  expect((error as ManifestError).problems).toHaveLength(1)
  return (error as ManifestError).problems[0]
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'shipit-files-'))

describe('what -f may name', () => {
  it('refuses a character device at once (reading /dev/zero would never end)', async () => {
    const p = await problemOf('/dev/zero')
    expect(p).toEqual({
      file: expect.any(String),
      message: 'is not a regular file: it is a character device',
      hint: 'pass the path of an app.yaml file with -f',
    })
  })

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(tempDir(), 'app.yaml')
    execFileSync('mkfifo', [fifo])
    const started = performance.now()
    const p = await problemOf(fifo)
    expect(p.message).toBe('is not a regular file: it is a FIFO (named pipe)')
    // a hang would end in the test's timeout; this says it did not wait at all
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('refuses a file over 1 MiB before parsing it, and takes one at the limit', async () => {
    const dir = tempDir()
    const big = join(dir, 'big.yaml')
    writeFileSync(big, `name: big\n#${'x'.repeat(MAX_MANIFEST_BYTES)}\n`)
    const p = await problemOf(big)
    expect(p.message).toMatch(/^is \d+ bytes; a manifest is at most 1 MiB$/)
    const atLimit = join(dir, 'limit.yaml')
    const head = 'name: big\n#'
    writeFileSync(atLimit, `${head}${'x'.repeat(MAX_MANIFEST_BYTES - head.length - 1)}\n`)
    await expect(loadManifest(atLimit, {})).resolves.toMatchObject({ manifest: { name: 'big' } })
  })
})

describe('finding app.yaml when -f is not given', () => {
  it('takes the one of the directory itself, else of the nearest parent', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'app', 'src', 'lib'), { recursive: true })
    writeFileSync(join(root, 'app.yaml'), 'name: outer\n')
    writeFileSync(join(root, 'app', 'app.yaml'), 'name: inner\n')
    expect(await findManifest(join(root, 'app'))).toBe(join(root, 'app', 'app.yaml'))
    expect(await findManifest(join(root, 'app', 'src', 'lib'))).toBe(join(root, 'app', 'app.yaml'))
    expect(await findManifest(root)).toBe(join(root, 'app.yaml'))
  })

  it('stops at something named app.yaml that is not a file, so that loading it says what it is', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'app.yaml'))
    expect(await findManifest(root)).toBe(join(root, 'app.yaml'))
    expect((await problemOf(join(root, 'app.yaml'))).message).toBe('is a directory, not a file')
  })

  it('when there is none up to the root, names the directory searched and suggests shipit init', async () => {
    const dir = tempDir()
    const error = await findManifest(dir).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ManifestError)
    expect((error as ManifestError).exitCode).toBe(3)
    expect((error as ManifestError).message).toBe(
      `app.yaml: file not found in ${dir} or any directory above it — run \`shipit init\` to write one, or pass its path with -f`,
    )
  })

  it('the CLI run from a subdirectory uses the app.yaml above it (validate and plan)', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'src', 'deep'), { recursive: true })
    writeFileSync(join(root, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
    writeFileSync(join(root, 'app.yaml'), 'name: found\nregion: us-west-2\ntarget: lambda\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n')
    const cwd = join(root, 'src', 'deep')
    const validate = await shipit(['validate'], { cwd })
    expect(validate.stderr).toBe('')
    expect(validate.code).toBe(0)
    expect(validate.stdout).toBe(`${join(root, 'app.yaml')} is valid: app found; target lambda; environments none (default dev)\n`)
    const plan = await shipit(['plan', '--json'], { cwd, env: cleanEnv() })
    expect(plan.code).toBe(0)
    // the plan names the file it was made from, as a path from where shipit ran
    expect(JSON.parse(plan.stdout)).toMatchObject({ app: 'found', target: 'lambda', manifest: '../../app.yaml' })
    const text = await shipit(['plan'], { cwd, env: cleanEnv() })
    expect(text.stdout.split('\n')[0]).toMatch(/· from \.\.\/\.\.\/app\.yaml$/)
    // an explicit -f is taken as given: no search
    const explicit = await shipit(['validate', '-f', 'app.yaml'], { cwd })
    expect(explicit.code).toBe(3)
    expect(explicit.stderr).toBe('Error: app.yaml: file not found — run `shipit init` to write one, or pass its path with -f\n')
  })
})
