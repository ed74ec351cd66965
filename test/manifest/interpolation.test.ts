import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifest, ManifestError, parseManifest } from '../../src/manifest/load.js'

const VALID = join(import.meta.dirname, '../fixtures/manifests/valid')

const VARS = {
  SHIPIT_T_GREETING: 'hello',
  SHIPIT_T_NAME: 'Ada',
  SHIPIT_T_EMPTY: '',
  SHIPIT_T_API_KEY: 'sk-live-123',
}

function problemsOf(text: string, vars: Record<string, string | undefined> = {}) {
  try {
    parseManifest(text, 'app.yaml', vars)
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError)
    return (err as ManifestError).problems
  }
  throw new Error('expected the manifest to be invalid')
}

describe('interpolation in a manifest file', () => {
  it('expands every form, through loadManifest', async () => {
    const { manifest, secrets } = await loadManifest(join(VALID, 'interpolation.yaml'), VARS)
    expect(manifest.region).toBe('us-west-2')
    expect(manifest.env).toEqual({
      PLAIN: 'hello',
      DEFAULTED: 'fallback',
      EMPTY_USES_DEFAULT: 'was-empty',
      EMPTY_DEFAULT: '',
      LITERAL: '${not-interpolated} and ${env:SHIPIT_T_GREETING}',
      SEVERAL: 'hello, Ada! (hello)',
      DOLLARS: 'costs $5 and $ {x}',
      API_KEY: { value: 'sk-live-123', secret: true },
      NOT_SECRET: { value: 'shown', secret: false },
    })
    // inside nested lists too
    expect(manifest.http?.routes).toEqual(['GET /api/items', 'ANY /api/{proxy+}'])
    // secret values of the base and of every overlay, after interpolation; never the non-secret ones
    expect(secrets.sort()).toEqual(['prod-default-pw', 'sk-live-123'])
  })

  it('takes the variable over the default when it is set', async () => {
    const { manifest, secrets } = await loadManifest(join(VALID, 'interpolation.yaml'), {
      ...VARS,
      SHIPIT_T_REGION: 'eu-central-1',
      SHIPIT_T_PREFIX: 'v2',
      SHIPIT_T_DB_PASSWORD: 'hunter2-long',
    })
    expect(manifest.region).toBe('eu-central-1')
    expect(manifest.http?.routes).toEqual(['GET /v2/items', 'ANY /v2/{proxy+}'])
    expect(manifest.environments.prod.env?.DB_PASSWORD).toEqual({ value: 'hunter2-long', secret: true })
    expect(secrets).toContain('hunter2-long')
    expect(secrets).not.toContain('prod-default-pw')
  })

  it('reads process.env by default', async () => {
    process.env.SHIPIT_T_GREETING = 'from-process'
    process.env.SHIPIT_T_API_KEY = 'key-from-process'
    try {
      const { manifest } = await loadManifest(join(VALID, 'interpolation.yaml'))
      expect(manifest.env.PLAIN).toBe('from-process')
    } finally {
      delete process.env.SHIPIT_T_GREETING
      delete process.env.SHIPIT_T_API_KEY
    }
  })
})

describe('interpolation rules', () => {
  const base = (value: string) => `name: app\nenv:\n  X: ${value}\n`

  it.each([
    ['"${env:A}"', { A: 'a' }, 'a'],
    ['"${env:A:-d}"', {}, 'd'],
    ['"${env:A:-d}"', { A: '' }, 'd'],
    ['"${env:A:-}"', {}, ''],
    ['"${env:A:-with spaces and : colons}"', {}, 'with spaces and : colons'],
    ['"$${env:A}"', { A: 'a' }, '${env:A}'],
    // `$${` is the escape, so `$$${env:A}` is a `$` then the literal `${env:A}`
    ['"$$${env:A}"', { A: 'a' }, '$${env:A}'],
    ['"${env:A}${env:B}-${env:A}"', { A: '1', B: '2' }, '12-1'],
    ['"${env:A}"', { A: '${env:B}' }, '${env:B}'],
    ['plain-${env:A}', { A: 'x' }, 'plain-x'],
    // the default is expanded too
    ['"${env:A:-${env:B}}"', { B: 'b' }, 'b'],
    ['"${env:A:-${env:B}}"', { A: 'a', B: 'b' }, 'a'],
    ['"${env:A:-x-${env:B:-y}-z}"', {}, 'x-y-z'],
    ['"${env:A:-${env:B:-${env:C}}}"', { C: 'c' }, 'c'],
    ['"${env:A:-$${env:B}}"', { B: 'b' }, '${env:B}'],
    ['"${env:A:-d}}"', {}, 'd}'],
    ['"{${env:A}}"', { A: 'a' }, '{a}'],
  ])('%s with %j gives %j', (yamlValue, vars, expected) => {
    const { manifest } = parseManifest(base(yamlValue), 'app.yaml', vars)
    expect(manifest.env.X).toBe(expected)
  })

  it('does not interpolate keys', () => {
    // were keys expanded, this would be the valid name Z
    const problems = problemsOf('name: app\nenv:\n  "${env:A}": "v"\n', { A: 'Z' })
    expect(problems.map((p) => [p.line, p.col, p.message])).toEqual([[3, 3, 'key "${env:A}" in env is not a valid name']])
  })

  it('interpolates inside lists nested in mappings', () => {
    const { manifest } = parseManifest(
      'name: app\ncontainer:\n  image: "nginx:${env:TAG:-1.27}"\n  command: ["sh", "-c", "echo ${env:WHO} ${env:WHO}"]\n',
      'app.yaml',
      { WHO: 'me', TAG: '1.29' },
    )
    expect(manifest.container?.image).toBe('nginx:1.29')
    expect(manifest.container?.command).toEqual(['sh', '-c', 'echo me me'])
  })

  it('names every missing variable, one problem each, at its scalar', () => {
    const problems = problemsOf('name: app\nenv:\n  A: "${env:MISSING_ONE}"\n  B: "x ${env:MISSING_TWO} ${env:MISSING_THREE}"\n')
    expect(problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [3, 6, 'environment variable MISSING_ONE is not set'],
      [4, 6, 'environment variable MISSING_TWO is not set'],
      [4, 6, 'environment variable MISSING_THREE is not set'],
    ])
  })

  it('does not need the variables of a default that is not used', () => {
    const { manifest } = parseManifest(base('"${env:A:-${env:UNSET_TOO}}"'), 'app.yaml', { A: 'a' })
    expect(manifest.env.X).toBe('a')
  })

  it('names the variable of a nested default when neither is set', () => {
    const problems = problemsOf(base('"${env:A:-${env:B}}"'))
    expect(problems.map((p) => [p.line, p.col, p.message, p.hint])).toEqual([
      [3, 6, 'environment variable B is not set', 'set B, or give a default: ${env:B:-value}'],
    ])
  })

  it.each([
    ['${env:HOME', 'interpolation ${env:HOME is not closed: a } is missing'],
    ['before ${env:HOME after', 'interpolation ${env:HOME is not closed: a } is missing'],
    ['${env:A:-fallback', 'interpolation ${env:A:-… is not closed: a } is missing'],
    ['${env:A:-${env:B}', 'interpolation ${env:A:-… is not closed: a } is missing'],
    ['${foo', 'interpolation ${foo is not closed: a } is missing'],
  ])('refuses the unterminated %s with its line:col', (expr, message) => {
    const problems = problemsOf(base(`"${expr}"`), { HOME: '/home/me', A: 'a', B: 'b' })
    expect(problems).toEqual([{ file: 'app.yaml', line: 3, col: 6, message, hint: 'close it with }, or write $${ for a literal ${' }])
  })

  it('does not print the default of an unterminated reference (it may be a secret)', () => {
    const problems = problemsOf('name: app\nenv:\n  K: { value: "${env:K:-s3cret-default-value", secret: true }\n')
    expect(problems).toHaveLength(1)
    expect(JSON.stringify(problems)).not.toContain('s3cret')
  })

  it('treats an empty variable without a default as missing', () => {
    const problems = problemsOf(base('"${env:EMPTY}"'), { EMPTY: '' })
    expect(problems.map((p) => p.message)).toEqual(['environment variable EMPTY is not set'])
    expect(problems[0].hint).toBe('set EMPTY, or give a default: ${env:EMPTY:-value}')
  })

  it.each([
    ['${foo}', 'unsupported interpolation ${foo}'],
    ['${ENV:A}', 'unsupported interpolation ${ENV:A}'],
    ['${env:}', 'unsupported interpolation ${env:}'],
    ['${env:1A}', 'unsupported interpolation ${env:1A}'],
    ['${env:A-B}', 'unsupported interpolation ${env:A-B}'],
    ['${env:A:default}', 'unsupported interpolation ${env:A:default}'],
    ['${}', 'unsupported interpolation ${}'],
  ])('refuses %s', (expr, message) => {
    const problems = problemsOf(base(`"${expr}"`), { A: 'a' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ line: 3, col: 6, message })
    expect(problems[0].hint).toMatch(/^write \$\{env:VAR\} or \$\{env:VAR:-default\}/)
  })

  it('refuses a secret shorter than 8 characters, after interpolation, naming its key and never its value', () => {
    const text = [
      'name: app',
      'env:',
      '  A: { value: "${env:S1}", secret: true }',
      'environments:',
      '  prod:',
      '    env:',
      '      B: { value: "pw1", secret: true }',
    ].join('\n')
    const problems = problemsOf(text, { S1: 'seven77' })
    expect(problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [3, 15, 'secret A is shorter than 8 characters'],
      [7, 19, 'secret B is shorter than 8 characters'],
    ])
    const shown = JSON.stringify(problems)
    expect(shown).not.toContain('seven77')
    expect(shown).not.toContain('pw1')
    // 8 characters, an empty value, and a short value that is not secret are fine
    expect(() => parseManifest(text.replace('pw1', 'pw345678'), 'app.yaml', { S1: 'eight888' })).not.toThrow()
    expect(() => parseManifest('name: app\nenv:\n  A: { value: "", secret: true }\n  B: { value: "x", secret: false }\n', 'app.yaml', {})).not.toThrow()
  })

  it('collects secrets only from {value, secret: true} mappings with a non-empty value', () => {
    const { secrets } = parseManifest(
      [
        'name: app',
        'env:',
        '  A: { value: "${env:S1}", secret: true }',
        '  B: { value: "visible", secret: false }',
        '  C: "${env:S2}"',
        '  D: { value: "${env:UNSET:-}", secret: true }',
        'environments:',
        '  prod:',
        '    env:',
        '      A: { value: "prod-secret", secret: true }',
      ].join('\n'),
      'app.yaml',
      { S1: 'one-secret', S2: 'two' },
    )
    expect(secrets.sort()).toEqual(['one-secret', 'prod-secret'])
  })
})
