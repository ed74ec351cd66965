import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadShape } from '../../src/compare/run.js'
import { ShipitError } from '../../src/errors.js'
import { declaringKey, matchesEnvPattern, parseDuration } from '../../src/manifest/environments.js'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'
import { TAG_EXPIRES } from '../../src/manifest/names.js'
import { resolveDesired } from '../../src/manifest/resolve.js'
import { asContainer } from '../helpers/plan.js'
import { project } from '../helpers/session.js'
import { PREVIEW_APP } from './apps.js'

const NOW = new Date('2026-12-05T12:00:00Z')

describe('environment patterns', () => {
  it('the example of issue 26 validates; pr-7 is declared by "pr-*" with its ttl and expiry tag', () => {
    const loaded = parseManifest(PREVIEW_APP, 'app.yaml', {})
    const d = resolveDesired(loaded, { env: 'pr-7', now: NOW })
    expect(d.env).toBe('pr-7')
    expect(d.declaredBy).toBe('pr-*')
    expect(d.names.base).toBe('web-pr-7')
    expect(asContainer(d).container.count).toBe(1)
    expect(d.ttl).toEqual({ text: '3d', ms: 3 * 86_400_000, expires: '2026-12-08T12:00:00Z' })
    expect(d.tags).toEqual({ 'shipit:app': 'web', 'shipit:env': 'pr-7', 'shipit:target': 'fargate', [TAG_EXPIRES]: '2026-12-08T12:00:00Z', 'shipit:ttl': '3d' })
  })

  it('an exact name beats a pattern; prod and dev carry no ttl and no expiry tag', () => {
    const loaded = parseManifest(`${PREVIEW_APP}  "p*": { ttl: 1h }\n`, 'app.yaml', {})
    const prod = resolveDesired(loaded, { env: 'prod', now: NOW })
    expect(prod.declaredBy).toBeUndefined()
    expect(prod.ttl).toBeUndefined()
    expect(prod.tags[TAG_EXPIRES]).toBeUndefined()
    expect(resolveDesired(loaded, { now: NOW }).tags[TAG_EXPIRES]).toBeUndefined()
    // the longest literal prefix wins
    expect(resolveDesired(loaded, { env: 'pr-9', now: NOW }).declaredBy).toBe('pr-*')
    expect(resolveDesired(loaded, { env: 'px', now: NOW }).ttl?.text).toBe('1h')
  })

  it('a name no key declares stays exit 3 with the did-you-mean of today', () => {
    const loaded = parseManifest(PREVIEW_APP, 'app.yaml', {})
    const err = (() => {
      try {
        resolveDesired(loaded, { env: 'prdo' })
      } catch (e) {
        return e as ShipitError
      }
      throw new Error('expected a refusal')
    })()
    expect(err.exitCode).toBe(3)
    expect(err.message).toBe('environment "prdo" is not declared in app.yaml')
    expect(err.suggestions[0]).toBe('did you mean --env prod?')
    expect(err.suggestions[1]).toContain('declared environments: prod, pr-*')
  })

  it('a matching name that makes invalid AWS names is refused (exit 3)', () => {
    const loaded = parseManifest(PREVIEW_APP, 'app.yaml', {})
    expect(() => resolveDesired(loaded, { env: 'pr-' })).toThrow(/matches "pr-\*" but is not a valid environment name/)
    expect(() => resolveDesired(loaded, { env: 'pr-12345678901234567' })).toThrow(ShipitError)
  })

  it('a bad ttl is refused at its line:col', () => {
    try {
      parseManifest(PREVIEW_APP.replace('ttl: 3d', 'ttl: 3 days'), 'app.yaml', {})
      throw new Error('expected a ManifestError')
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError)
      const [p] = (e as ManifestError).problems
      expect(p).toMatchObject({ line: 9, col: 18 })
      expect(p.message).toContain('ttl')
      expect(p.hint).toMatch(/e.g. ttl: 3d/)
      expect(p.message).toContain('ttl')
    }
  })

  it('matches, ranks and parses', () => {
    expect(matchesEnvPattern('pr-*', 'pr-7')).toBe(true)
    expect(matchesEnvPattern('pr-*', 'prod')).toBe(false)
    expect(matchesEnvPattern('*-preview', 'a-preview')).toBe(true)
    expect(declaringKey(['*', 'pr-*', 'pr-1*'], 'pr-12', 'dev')).toBe('pr-1*')
    expect(declaringKey(['pr-*'], 'dev', 'dev')).toBe('dev')
    expect(declaringKey(['pr-*'], 'qa', 'dev')).toBeUndefined()
    expect(parseDuration('3d')).toBe(259_200_000)
    expect(parseDuration('12h')).toBe(43_200_000)
    expect(parseDuration('90m')).toBe(5_400_000)
    expect(parseDuration('0d')).toBeUndefined()
    expect(parseDuration('3w')).toBeUndefined()
  })

  it('compare --env pr-7 sizes the app with the pattern overlay', async () => {
    const file = join(project(PREVIEW_APP), 'app.yaml')
    expect((await loadShape(file, 'pr-7', {})).shape.container?.count).toBe(1)
    expect((await loadShape(file, 'prod', {})).shape.container?.count).toBe(3)
    await expect(loadShape(file, 'qa', {})).rejects.toThrow(/environment "qa" is not in/)
  })
})
