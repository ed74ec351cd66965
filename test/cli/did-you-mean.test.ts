import { describe, expect, it } from 'vitest'
import { toShipitError } from '../../src/cli/report-error.js'
import { ShipitError } from '../../src/errors.js'
import { colorEnabled } from '../../src/ui/color.js'

describe('toShipitError: the one exit-code decision', () => {
  const oclif = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { oclif: { exit: 2 } }, extra)

  it('keeps shipit errors as they are', () => {
    const e = new ShipitError('StalePlan', 'stale', { exitCode: 4 })
    expect(toShipitError(e)).toBe(e)
  })

  it('makes every command-line error of oclif exit 3, in one line', () => {
    for (const [err, message] of [
      [oclif('Flag --out expects a value'), '--out needs a value (see shipit plan --help)'],
      [oclif('Parsing --timeout \n\tExpected an integer but received: abc\nSee more help with --help'), '--timeout: expected an integer but received: abc'],
      [oclif('command plna not found'), 'unknown command "plna" (see shipit --help)'],
      [
        oclif('Nonexistent flag: --targt\nSee more help with --help', { flags: ['--targt'], parse: { input: { flags: { target: {}, json: {} } } } }),
        'unknown flag --targt (did you mean --target?) (see shipit plan --help)',
      ],
      [
        oclif('The following error occurred:\n  \x1b[2mAll of the following must be provided when using --out: --dry-run\x1b[22m'),
        'All of the following must be provided when using --out: --dry-run (see shipit plan --help)',
      ],
    ] as const) {
      const e = toShipitError(err, { command: 'plan' })
      expect(e.exitCode).toBe(3)
      expect(e.source).toBe('user')
      expect(e.message).toBe(message)
    }
  })

  it('an abort by a signal is 130; anything else is a failure (1) of ours', () => {
    expect(toShipitError(Object.assign(new Error('Aborted with Ctrl+C'), { name: 'AbortError' })).exitCode).toBe(130)
    expect(toShipitError(new Error('received SIGTERM')).exitCode).toBe(130)
    const bug = toShipitError(new TypeError('x is undefined'))
    expect(bug).toMatchObject({ exitCode: 1, source: 'internal' })
  })
})

describe('colorEnabled', () => {
  const tty = { isTTY: true }
  const pipe = { isTTY: false }
  it('follows the stream it is asked about, then NO_COLOR, FORCE_COLOR and --no-color', () => {
    expect(colorEnabled(tty, {}, [])).toBe(true)
    expect(colorEnabled(pipe, {}, [])).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '1' }, [])).toBe(false)
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' }, [])).toBe(true)
    expect(colorEnabled(tty, { FORCE_COLOR: '0' }, [])).toBe(false)
    expect(colorEnabled(tty, { FORCE_COLOR: '1' }, ['--no-color'])).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, [])).toBe(false)
    expect(colorEnabled(tty, { CI: 'true' }, [])).toBe(false)
    expect(colorEnabled(tty, { TERM: 'dumb' }, [])).toBe(false)
  })
})
