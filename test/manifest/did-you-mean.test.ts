import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance } from '../../src/did-you-mean.js'

describe('didYouMean', () => {
  it.each([
    ['lamda', ['fargate', 'ecs', 'lambda'], 'lambda'],
    ['prdo', ['prod', 'staging'], 'prod'],
    ['Staging', ['prod', 'staging'], 'staging'],
    ['deplooy', ['deploy', 'destroy', 'plan'], 'deploy'],
    ['qa', ['dev', 'prod'], undefined],
    ['ab', ['xy'], undefined],
    ['anything', [], undefined],
  ])('%s among %j gives %s', (word, candidates, expected) => {
    expect(didYouMean(word, candidates)).toBe(expected)
  })

  it('takes the nearest candidate, the first one on a tie', () => {
    expect(didYouMean('stage', ['staging', 'stage1', 'stages'])).toBe('stage1')
  })

  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('same', 'same')).toBe(0)
  })
})
