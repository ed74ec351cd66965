import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeValid, validateManifest } from '../../src/engine/validate.js'
import { ExitCode } from '../../src/errors.js'
import { loadManifest, ManifestError } from '../../src/manifest/load.js'
import { resolveDesired } from '../../src/manifest/resolve.js'

/** A temporary app directory holding these files; returns the path of its app.yaml. */
function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-validate-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return join(dir, 'app.yaml')
}

const LAMBDA = 'name: fn\ntarget: lambda\nfunction:\n  source: ./src\n  handler: index.handler\n  runtime: nodejs22.x\n'

async function problemsOf(file: string, target?: string) {
  const error = await validateManifest(file, target).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error, `${file} was found valid`).toBeInstanceOf(ManifestError)
  expect((error as ManifestError).exitCode).toBe(ExitCode.Invalid)
  return (error as ManifestError).problems.map((p) => ({ at: `${p.line}:${p.col}`, message: p.message, hint: p.hint }))
}

describe('validate and plan agree on the target', () => {
  it('a file without target: and no --target: validate says "no target given", as plan refuses it', async () => {
    const file = app({ 'app.yaml': LAMBDA.replace('target: lambda\n', ''), 'src/index.mjs': 'export const handler = () => 1\n' })
    const result = await validateManifest(file)
    expect(result.target).toBeUndefined()
    expect(result.targets).toEqual(['lambda'])
    const text = describeValid(result)
    expect(text).toContain('no target given: plan and deploy need --target fargate|ecs|lambda or target: in ')
    expect(text).not.toMatch(/\btargets? lambda\b/)
    // what plan and deploy do with the same file
    const loaded = await loadManifest(file, {})
    expect(() => resolveDesired(loaded, {})).toThrow(expect.objectContaining({ code: 'NoTarget', message: 'no target given', exitCode: 3 }))
  })

  it('the target of app.yaml, or --target, is the one named and checked', async () => {
    const file = app({
      'app.yaml': `${LAMBDA}container:\n  image: nginx\n`,
      'src/index.mjs': 'export const handler = () => 1\n',
    })
    const result = await validateManifest(file)
    expect(result).toMatchObject({ target: 'lambda', targets: ['lambda'] })
    expect(describeValid(result)).toMatch(/ is valid: app fn; target lambda; environments none \(default dev\)$/)
    expect(await validateManifest(file, 'ecs')).toMatchObject({ target: 'ecs', targets: ['ecs'] })
  })
})

describe('validate checks the function source for target lambda', () => {
  it('passes when the handler file is there (.js, .mjs or .cjs for node)', async () => {
    for (const name of ['index.js', 'index.mjs', 'index.cjs']) {
      await expect(validateManifest(app({ 'app.yaml': LAMBDA, [`src/${name}`]: '' }))).resolves.toMatchObject({ valid: true })
    }
  })

  it('refuses a missing handler file at the line:col of handler', async () => {
    const problems = await problemsOf(app({ 'app.yaml': LAMBDA, 'src/other.mjs': '' }))
    expect(problems).toEqual([
      {
        at: '5:12',
        message: 'handler "index.handler" needs index.js, index.mjs or index.cjs in function.source ./src, and there is none',
        hint: 'write index.js there, exporting handler, or change handler: to FILE.FUNCTION of a file in ./src',
      },
    ])
  })

  it('says that TypeScript must be built when only index.ts is there', async () => {
    const [p] = await problemsOf(app({ 'app.yaml': LAMBDA, 'src/index.ts': '' }))
    expect(p.hint).toBe("Lambda's nodejs22.x runs JavaScript, not TypeScript: build index.ts to index.js in function.source")
  })

  it('finds python modules by their dotted path, or a package', async () => {
    const py = 'name: fn\ntarget: lambda\nfunction:\n  handler: api.main.handler\n  runtime: python3.13\n'
    await expect(validateManifest(app({ 'app.yaml': py, 'src/api/main.py': '' }))).resolves.toMatchObject({ valid: true })
    await expect(validateManifest(app({ 'app.yaml': py, 'src/api/main/__init__.py': '' }))).resolves.toMatchObject({ valid: true })
    const [p] = await problemsOf(app({ 'app.yaml': py, 'src/main.py': '' }))
    expect(p).toMatchObject({
      at: '4:12',
      message: 'handler "api.main.handler" needs api/main.py or api/main/__init__.py in function.source ./src, and there is none',
    })
  })

  it('does not guess for runtimes whose layout it does not know (java, provided)', async () => {
    const java = 'name: fn\ntarget: lambda\nfunction:\n  handler: example.Handler::handleRequest\n  runtime: java21\n'
    await expect(validateManifest(app({ 'app.yaml': java, 'src/app.jar': '' }))).resolves.toMatchObject({ valid: true })
  })

  it('refuses a source that is not a directory, at the line:col of source', async () => {
    const file = app({ 'app.yaml': LAMBDA.replace('./src', './missing') })
    const problems = await problemsOf(file)
    expect(problems).toHaveLength(1)
    expect(problems[0].at).toBe('4:11')
    expect(problems[0].message).toMatch(/^function\.source \.\/missing is not a directory \(.*missing does not exist or is a file\)$/)
    // the default source ./src, not written in the file, is reported at function:
    const [p] = await problemsOf(app({ 'app.yaml': LAMBDA.replace('  source: ./src\n', '') }))
    expect(p.at).toBe('4:3')
  })

  it('points into the overlay that changed the handler, and checks every environment', async () => {
    const file = app({
      'app.yaml': `${LAMBDA}environments:\n  prod:\n    function:\n      handler: main.handler\n`,
      'src/index.mjs': '',
    })
    const problems = await problemsOf(file)
    expect(problems).toEqual([
      expect.objectContaining({ at: '10:16', message: expect.stringMatching(/^handler "main.handler" needs main.js, .* \(in environment prod\)$/) }),
    ])
  })

  it('leaves the source alone for container targets', async () => {
    const file = app({ 'app.yaml': 'name: web\ntarget: fargate\ncontainer:\n  image: nginx\n' })
    await expect(validateManifest(file)).resolves.toMatchObject({ target: 'fargate' })
  })
})
