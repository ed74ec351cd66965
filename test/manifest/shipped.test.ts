import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifest, parseManifest } from '../../src/manifest/load.js'
import { DEFAULT_ENV, resolveDesired } from '../../src/manifest/resolve.js'
import { TARGETS } from '../../src/manifest/schema.js'
import { asLambda } from '../helpers/plan.js'

const ROOT = join(import.meta.dirname, '../..')
const TEMPLATES = readdirSync(join(ROOT, 'templates'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(ROOT, 'templates', f))
const EXAMPLES = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(ROOT, 'examples', d.name, 'app.yaml'))

/** Uncomment the commented-out settings of a template (`# key: value`, `#   KEY: value`), not its prose. */
function uncommentSettings(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)# ( *[A-Za-z_][A-Za-z0-9_]*:(?: .*)?)$/.exec(line)
      return m && !m[2].startsWith('yaml-language-server') ? `${m[1]}${m[2]}` : line
    })
    .join('\n')
}

describe('shipped manifests validate as is', () => {
  it('finds the templates and the examples', () => {
    expect(TEMPLATES.map((f) => basename(f)).sort()).toEqual(['ecs.yaml', 'fargate.yaml', 'lambda.yaml'])
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(3)
  })

  for (const path of [...TEMPLATES, ...EXAMPLES]) {
    const label = path.slice(ROOT.length + 1)
    it(`${label} loads and resolves for each of its environments`, async () => {
      // no variables set: every ${env:...} in a shipped file has a default
      const loaded = await loadManifest(path, {})
      const { manifest } = loaded
      // an app of components: each one resolves for its own target
      if (loaded.components) {
        for (const c of loaded.components) expect(resolveDesired(c.loaded, { env: DEFAULT_ENV }).target).toBe(c.target)
        return
      }
      expect(manifest.target).toBeDefined()
      expect(TARGETS).toContain(manifest.target)
      if (path.includes('/templates/')) expect(manifest.target).toBe(basename(path, '.yaml'))
      for (const env of [DEFAULT_ENV, ...Object.keys(manifest.environments)]) {
        const desired = resolveDesired(loaded, { env })
        expect(desired.target).toBe(manifest.target)
        expect(desired.names.base).toBe(`${manifest.name}-${env}`)
        if (desired.target === 'lambda') expect(desired.function).toBeDefined()
        else expect(desired.container).toBeDefined()
      }
    })
  }

  for (const path of TEMPLATES) {
    it(`templates/${basename(path)} still validates with its commented-out settings turned on`, () => {
      const text = uncommentSettings(readFileSync(path, 'utf8'))
      expect(text).not.toBe(readFileSync(path, 'utf8'))
      const loaded = parseManifest(text, basename(path), { API_KEY: 'k-long-enough' }, dirname(path))
      expect(loaded.manifest.region).toBe('us-west-2')
      for (const env of [DEFAULT_ENV, ...Object.keys(loaded.manifest.environments)]) {
        expect(() => resolveDesired(loaded, { env })).not.toThrow()
      }
    })
  }

  it.each(readdirSync(join(ROOT, 'test/fixtures/manifests/valid')))('test fixture valid/%s loads', async (name) => {
    const vars = { SHIPIT_T_GREETING: 'hi', SHIPIT_T_API_KEY: 'k-long-enough' }
    const started = performance.now()
    const loaded = await loadManifest(join(ROOT, 'test/fixtures/manifests/valid', name), vars)
    expect(performance.now() - started).toBeLessThan(500)
    expect(loaded.manifest.name).toMatch(/^[a-z]/)
  })

  it('the lambda example points at a handler that exists', async () => {
    const path = EXAMPLES.find((p) => p.includes('hello-lambda'))
    expect(path).toBeDefined()
    const d = asLambda(resolveDesired(await loadManifest(path as string, {}), {}))
    const [file] = String(d.function.handler).split('.')
    expect(readdirSync(d.function.sourceDir)).toContainEqual(expect.stringMatching(new RegExp(`^${file}\\.(m?js|cjs)$`)))
  })
})
