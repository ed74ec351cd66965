import { describe, expect, it } from 'vitest'
import { ShipitError } from '../../src/errors.js'
import type { Step } from '../../src/plan/types.js'
import { addSecret, clearSecrets } from '../../src/redact.js'
import { createReporter, outputMode } from '../../src/ui/reporter.js'

const ESC = '\u001b'
const tty = { isTTY: true } as NodeJS.WriteStream
const pipe = { isTTY: false } as NodeJS.WriteStream
const step: Step = {
  id: 'f',
  action: 'create',
  resource: { type: 'lambda:function', name: 'hello-dev' },
  request: { service: 'lambda', operation: 'CreateFunction', input: {} },
  dependsOn: [],
}

describe('reporter', () => {
  it('picks live output on a terminal, plain lines in CI or a pipe, silence with --json', () => {
    expect(outputMode(false, tty, {})).toBe('tty')
    expect(outputMode(false, tty, { CI: 'true' })).toBe('ci')
    expect(outputMode(false, pipe, {})).toBe('ci')
    expect(outputMode(false, tty, { TERM: 'dumb' })).toBe('ci')
    expect(outputMode(true, tty, {})).toBe('json')
  })

  it('in CI: one plain line per event, no colour or cursor codes, secrets redacted', () => {
    let out = ''
    addSecret('hunter2-secret-value')
    const r = createReporter('ci', (s) => (out += s))
    r.stepStarted(step)
    r.stepWaiting?.(step, 'function hello-dev to be Active')
    r.stepDone(step, 2345)
    r.stepFailed(step, new ShipitError('X', 'AccessDenied: no (token hunter2-secret-value)'), 100)
    r.close()
    clearSecrets()
    expect(out.split('\n').filter(Boolean)).toEqual([
      '… create lambda:function hello-dev',
      '… create lambda:function hello-dev: function hello-dev to be Active',
      '✓ create lambda:function hello-dev (2.3s)',
      '✗ create lambda:function hello-dev failed after 0.1s: AccessDenied: no (token (sensitive))',
    ])
    expect(out).not.toContain('\x1b')
  })

  it('with --json: writes nothing', () => {
    let out = ''
    const r = createReporter('json', (s) => (out += s))
    r.stepStarted(step)
    r.stepDone(step, 1)
    r.info('x')
    expect(out).toBe('')
  })

  it('on a terminal: finished steps stay, the running ones are redrawn', () => {
    let out = ''
    const r = createReporter('tty', (s) => (out += s))
    r.stepStarted(step)
    r.stepDone(step, 1500)
    r.close()
    expect(out).toContain('create lambda:function hello-dev')
    expect(out).toContain('1.5s')
    expect(out).toMatch(new RegExp(String.raw`${ESC}\[\d+A${ESC}\[J`))
  })
})
