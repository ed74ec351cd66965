import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/errors.js'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'

const LAMBDA = (handler: string) => `name: fn\ntarget: lambda\nfunction:\n  handler: ${handler}\n  runtime: nodejs22.x\n`

function problemsOf(yaml: string): string[] {
  try {
    parseManifest(yaml, 'app.yaml', {})
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError)
    expect((err as ManifestError).exitCode).toBe(ExitCode.Invalid)
    return (err as ManifestError).problems.map((p) => `${p.line}:${p.col}: ${p.message}`)
  }
  throw new Error('the manifest was found valid')
}

const UNKNOWN = ': a manifest holds plain strings, numbers, booleans, lists and mappings'

describe('YAML tags', () => {
  it("refuses the review's !!python/object:os.system (it used to be dropped and the manifest passed), at the tag", () => {
    expect(problemsOf(LAMBDA('!!python/object:os.system index.handler'))).toEqual([`4:12: unknown YAML tag !!python/object:os.system${UNKNOWN}`])
  })

  it.each([
    ['!Ref Handler', '!Ref'],
    ['!!binary aW5kZXguaGFuZGxlcg==', '!!binary'],
    ['!!timestamp 2001-12-14', '!!timestamp'],
    ['!!js/function index.handler', '!!js/function'],
    ['!<tag:example.com,2000:app/x> index.handler', '!<tag:example.com,2000:app/x>'],
    ['&h !Sub index.handler', '!Sub'],
  ])('refuses %s with the tag and its line:col', (value, tag) => {
    const col = 12 + value.indexOf('!')
    expect(problemsOf(LAMBDA(value))).toEqual([`4:${col}: unknown YAML tag ${tag}${UNKNOWN}`])
  })

  it('refuses tags on keys, on mappings, in lists and in overlays, every one at once', () => {
    const yaml = `name: fn\ntarget: lambda\n!k function: !!omap\n  handler: index.handler\n  runtime: nodejs22.x\nhttp:\n  routes: [!GetAtt x]\nenvironments:\n  prod: { function: { handler: !Sub y } }\n`
    expect(problemsOf(yaml).map((p) => p.split(': unknown')[0])).toEqual(['3:1', '3:14', '7:12', '9:32'])
  })

  it("keeps the core schema's own tags, which only say what a plain value is", () => {
    const loaded = parseManifest(
      `name: !!str fn\ntarget: lambda\nfunction: !!map\n  handler: index.handler\n  runtime: !!str nodejs22.x\n  memory: !!int "256"\n`,
      'app.yaml',
      {},
    )
    expect(loaded.manifest.function).toMatchObject({ runtime: 'nodejs22.x', memory: 256 })
  })

  it('keeps the non-specific ! (YAML: a plain string, list or mapping)', () => {
    expect(parseManifest(`name: fn\nenv: ! { A: ! x }\n`, 'app.yaml', {}).manifest.env).toEqual({ A: 'x' })
  })

  it('a quoted ! is a value, not a tag', () => {
    expect(parseManifest(`name: fn\nenv:\n  A: '!Ref x'\n`, 'app.yaml', {}).manifest.env).toEqual({ A: '!Ref x' })
  })
})
