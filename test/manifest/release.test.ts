import { describe, expect, it } from 'vitest'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'
import { releasePlan } from '../../src/manifest/release.js'

const app = (release: string) => `name: shop
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
  release: ${release}
`

function problems(text: string): { at: string; message: string; hint?: string }[] {
  try {
    parseManifest(text, 'app.yaml', {}, '.', { target: 'lambda' })
    return []
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error
    return error.problems.map((p) => ({ at: `${p.line}:${p.col}`, message: p.message, ...(p.hint ? { hint: p.hint } : {}) }))
  }
}

describe('function.release in app.yaml', () => {
  it("takes the issue's forms, defaults filled in", () => {
    expect(problems(app('{ strategy: canary, percent: 10, wait: 5m, alarms: [shop-api-errors] }'))).toEqual([])
    expect(problems(app('{ strategy: linear, step: 25, every: 2m }'))).toEqual([])
    expect(problems(app('{ linear: { step: 25, every: 2m }, alarms: [a, b] }'))).toEqual([])
    expect(releasePlan({ linear: { step: 25, every: '2m' }, alarms: ['a'] })).toEqual({
      strategy: 'linear',
      shares: [25, 50, 75],
      holdSeconds: 120,
      alarms: ['a'],
      errorMargin: 5,
      label: 'linear 25% every 2m',
    })
    expect(releasePlan({ strategy: 'canary' })).toMatchObject({ shares: [10], holdSeconds: 300, label: 'canary 10% for 5m' })
    expect(releasePlan({ strategy: 'linear', step: 30 })).toMatchObject({ shares: [30, 60, 90], holdSeconds: 60 })
    expect(releasePlan(undefined)).toEqual({ strategy: 'all-at-once' })
  })

  it('refuses out-of-range shares, bad durations and too many alarms at their line:col', () => {
    expect(problems(app('{ strategy: canary, percent: 100 }'))).toEqual([expect.objectContaining({ at: '6:41' })])
    expect(problems(app('{ strategy: canary, percent: 0 }'))[0].at).toBe('6:41')
    expect(problems(app('{ strategy: canary, wait: 5 minutes }'))[0]).toMatchObject({ at: '6:38' })
    expect(problems(app('{ strategy: canary, wait: 2h }'))[0]).toMatchObject({ at: '6:38', message: 'release wait 2h is more than an hour' })
    expect(problems(app('{ strategy: linear, step: 0 }'))[0].at).toBe('6:38')
    const eleven = Array.from({ length: 11 }, (_, i) => `a${i}`).join(', ')
    expect(problems(app(`{ strategy: canary, alarms: [${eleven}] }`))[0].at).toBe('6:40')
  })

  it('refuses fields of another strategy, two forms, and alarms nothing watches', () => {
    expect(problems(app('{ strategy: canary, step: 25 }'))).toEqual([
      { at: '6:32', message: 'release.step is for strategy linear, not canary', hint: 'remove step' },
    ])
    expect(problems(app('{ canary: { percent: 5 }, linear: { step: 5 } }'))[0]).toMatchObject({ message: 'release has both canary: and linear:' })
    expect(problems(app('{ strategy: canary, linear: { step: 5 } }'))[0]).toMatchObject({ message: 'release.linear does not go with strategy: canary' })
    expect(problems(app('{ alarms: [shop-api-errors] }'))[0]).toMatchObject({
      at: '6:14',
      message: 'release.alarms is only watched while traffic shifts: strategy all-at-once moves it at once',
    })
    expect(problems(app('{ percent: 10 }'))[0]).toMatchObject({ message: 'release.percent needs a strategy', hint: 'add strategy: canary' })
  })
})
