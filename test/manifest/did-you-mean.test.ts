import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance } from '../../src/did-you-mean.js'

const COMMANDS = ['init', 'validate', 'schema', 'plan', 'deploy', 'status', 'logs', 'run', 'rollback', 'destroy']

describe('didYouMean of commands, flags and values', () => {
  it('finds typos, swapped letters and unique beginnings', () => {
    expect(didYouMean('deplooy', COMMANDS)).toBe('deploy')
    expect(didYouMean('plna', COMMANDS)).toBe('plan')
    expect(didYouMean('lamda', ['fargate', 'ecs', 'lambda'])).toBe('lambda')
    expect(didYouMean('--targt', ['--target', '--timeout'])).toBe('--target')
    expect(didYouMean('dest', COMMANDS)).toBe('destroy')
    expect(didYouMean('DEPLOY', COMMANDS)).toBe('deploy')
  })

  it('stays quiet when nothing is close', () => {
    expect(didYouMean('kubernetes', ['fargate', 'ecs', 'lambda'])).toBeUndefined()
    expect(didYouMean('xyz', COMMANDS)).toBeUndefined()
    expect(didYouMean('de', COMMANDS)).toBeUndefined()
    expect(didYouMean('', COMMANDS)).toBeUndefined()
  })

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('lmabda', 'lambda')).toBe(1)
    expect(editDistance('abc', 'abc')).toBe(0)
    expect(editDistance('', 'abc')).toBe(3)
  })
})

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
