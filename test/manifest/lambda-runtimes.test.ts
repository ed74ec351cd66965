import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Plan from '../../src/commands/plan.js'
import Status from '../../src/commands/status.js'
import Validate from '../../src/commands/validate.js'
import { validateManifest } from '../../src/engine/validate.js'
import { ExitCode } from '../../src/errors.js'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'
import { creatableRuntimes, LAMBDA_RUNTIME_TABLE, runtimeStanding } from '../../src/manifest/runtimes.js'
import { jsonSchema } from '../../src/manifest/schema.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'

// the day the table was read: what AWS's table says is true on this day
const TODAY = new Date('2026-12-05T12:00:00Z')

const lambda = (runtime: string, extra = '') => `name: fn\ntarget: lambda\nfunction:\n  handler: index.handler\n  runtime: ${runtime}\n${extra}`

function problemsOf(yaml: string, now = TODAY) {
  try {
    parseManifest(yaml, 'app.yaml', {}, '/app', { now })
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError)
    expect((err as ManifestError).exitCode).toBe(ExitCode.Invalid)
    return (err as ManifestError).problems.map((p) => `${p.line}:${p.col}: ${p.message} — ${p.hint}`)
  }
  throw new Error('the manifest was found valid')
}

const warningsOf = (yaml: string, now = TODAY) =>
  parseManifest(yaml, 'app.yaml', {}, '/app', { now }).warnings.map((p) => `${p.line}:${p.col}: ${p.message} — ${p.hint}`)

describe("Lambda runtimes, from AWS's deprecation table", () => {
  it.each([
    ['nodejs20.x', '2026-08-31', 'nodejs24.x'],
    ['python3.9', '2026-02-03', 'python3.14'],
    ['nodejs18.x', '2025-10-01', 'nodejs24.x'],
  ])('%s is refused with the day creating functions was blocked and what to use instead', (runtime, blocked, successor) => {
    expect(problemsOf(lambda(runtime))).toEqual([
      `5:12: runtime ${runtime} is deprecated and Lambda no longer creates functions with it (blocked since ${blocked}) — use ${successor}`,
    ])
  })

  it.each(['nodejs22.x', 'nodejs24.x', 'python3.13', 'python3.14'])('%s validates, without a warning', (runtime) => {
    expect(warningsOf(lambda(runtime))).toEqual([])
  })

  it('warns about a runtime deprecated but not yet blocked, with its dates', () => {
    expect(warningsOf(lambda('nodejs20.x'), new Date('2026-06-01T00:00:00Z'))).toEqual([
      '5:12: runtime nodejs20.x was deprecated on 2026-04-30; creating functions with it is blocked from 2026-08-31, updating them from 2026-09-30 — use nodejs24.x',
    ])
  })

  it('warns 90 days before a block, not 91', () => {
    // nodejs22.x: deprecated 2027-04-30, updates blocked from 2027-07-01
    expect(warningsOf(lambda('nodejs22.x'), new Date('2027-04-01T00:00:00Z'))).toEqual([])
    expect(warningsOf(lambda('nodejs22.x'), new Date('2027-04-02T00:00:00Z'))).toEqual([
      '5:12: runtime nodejs22.x is deprecated from 2027-04-30; updating functions with it is blocked from 2027-07-01 — use nodejs24.x',
    ])
  })

  it('refuses on the day of the block (UTC), not the day before', () => {
    expect(warningsOf(lambda('nodejs20.x'), new Date('2026-08-30T23:59:59Z'))).toHaveLength(1)
    expect(problemsOf(lambda('nodejs20.x'), new Date('2026-08-31T00:00:00Z'))[0]).toContain('(blocked since 2026-08-31)')
  })

  it('every successor is itself a runtime that can be created today', () => {
    const creatable = creatableRuntimes(TODAY)
    for (const [runtime, dates] of Object.entries(LAMBDA_RUNTIME_TABLE)) {
      if (dates.successor) expect(creatable, `successor of ${runtime}`).toContain(dates.successor)
      if (dates.createBlocked) expect(dates.updateBlocked! >= dates.createBlocked, runtime).toBe(true)
    }
    expect(runtimeStanding('nodejs99.x', TODAY)).toEqual({ kind: 'unknown' })
  })

  it('the JSON Schema offers only the runtimes that can be created today', () => {
    const runtimes = (jsonSchema(TODAY) as { properties: { function: { properties: { runtime: { enum: string[] } } } } }).properties.function.properties.runtime
      .enum
    expect(runtimes).toEqual(expect.arrayContaining(['nodejs24.x', 'nodejs22.x', 'python3.14', 'python3.13']))
    for (const blocked of ['nodejs20.x', 'nodejs18.x', 'python3.9', 'go1.x']) expect(runtimes).not.toContain(blocked)
    // on a day before its block, nodejs20.x is offered
    const before = jsonSchema(new Date('2026-05-01T00:00:00Z'))
    expect(JSON.stringify(before)).toContain('"nodejs20.x"')
  })
})

describe('function.timeout behind an HTTP API (which gives up at 30 s)', () => {
  it('warns above 30 s with http:, at the timeout, and the manifest stays valid', () => {
    expect(warningsOf(lambda('nodejs22.x', '  timeout: 31\nhttp: {}\n'))).toEqual([
      '6:12: function.timeout 31 is more than the 30 s an HTTP API waits for the function: requests through http: fail after 30 s while the function runs on — lower timeout to 30 or less, or hand long work to a queue and answer at once',
    ])
  })
  it('says nothing at 30 s, or without http:', () => {
    expect(warningsOf(lambda('nodejs22.x', '  timeout: 30\nhttp: {}\n'))).toEqual([])
    expect(warningsOf(lambda('nodejs22.x', '  timeout: 900\n'))).toEqual([])
  })
  it('points into the overlay that raises it', () => {
    const yaml = lambda('nodejs22.x', 'http: {}\nenvironments:\n  prod:\n    function: { timeout: 60 }\n')
    expect(warningsOf(yaml)).toEqual([expect.stringMatching(/^9:26: function\.timeout 60 is more than the 30 s .* \(in environment prod\)/)])
  })
})

describe('through the CLI: exit 3 before any AWS call, warnings on stderr', () => {
  const fake = useFakeAws()
  beforeEach(() => {
    fake.reset()
    // only Date: AWS calls and waits keep real timers
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(TODAY)
  })
  afterEach(() => vi.useRealTimers())

  function project(yaml: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runtime-'))
    writeFileSync(join(dir, 'app.yaml'), yaml)
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src/index.mjs'), 'export const handler = async () => ({ statusCode: 200 })\n')
    return join(dir, 'app.yaml')
  }

  it.each([
    ['nodejs20.x', '2026-08-31', 'nodejs24.x'],
    ['python3.9', '2026-02-03', 'python3.14'],
    ['nodejs18.x', '2025-10-01', 'nodejs24.x'],
  ])('plan and validate refuse %s (exit 3, the date and the successor, 0 AWS calls)', async (runtime, blocked, successor) => {
    const file = project(lambda(runtime))
    for (const command of [Plan, Validate]) {
      const r = await runCommand(command, ['-f', file])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain(
        `runtime ${runtime} is deprecated and Lambda no longer creates functions with it (blocked since ${blocked}) — use ${successor}`,
      )
      expect(r.stderr).toMatch(/app\.yaml:5:12: /)
      expect(r.stderr).not.toContain('    at ')
    }
    expect(fake.calls).toEqual([])
  })

  it('validate prints a timeout warning on stderr and exits 0; plan shows it among the warnings', async () => {
    const file = project(lambda('nodejs22.x', '  timeout: 60\nhttp: {}\n'))
    const v = await runCommand(Validate, ['-f', file])
    expect(v.code).toBe(0)
    expect(v.stderr).toMatch(/^warning: .*app\.yaml:6:12: function\.timeout 60 is more than the 30 s an HTTP API waits/m)
    expect(v.stdout).toContain('is valid')
    const p = await runCommand(Plan, ['-f', file])
    expect(p.code).toBe(0)
    expect(p.stdout).toMatch(/warning: .*app\.yaml:6:12: function\.timeout 60 is more than the 30 s/)
  })

  it('a function deployed before its runtime was blocked can still be seen and destroyed (a warning), not deployed again', async () => {
    const file = project(lambda('nodejs22.x').replace('target: lambda\n', 'target: lambda\nregion: us-west-2\n'))
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(0)
    writeFileSync(file, lambda('nodejs20.x').replace('target: lambda\n', 'target: lambda\nregion: us-west-2\n'))
    const calls = fake.calls.length
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(3)
    expect(fake.calls.length).toBe(calls)
    expect((await runCommand(Status, ['-f', file])).code).toBe(0)
    const destroy = await runCommand(Destroy, ['-f', file, '--yes'])
    expect(destroy.code).toBe(0)
    expect(destroy.stderr).toMatch(/warning: .*runtime nodejs20\.x is deprecated and Lambda no longer creates functions with it \(blocked since 2026-08-31\)/)
    expect(fake.callsOf('DeleteFunction')).toHaveLength(1)
  })

  it('validate --json carries the warnings', async () => {
    const file = project(lambda('nodejs22.x', '  timeout: 60\nhttp: {}\n'))
    const r = await runCommand(Validate, ['-f', file, '--json'])
    expect(JSON.parse(r.stdout).warnings).toEqual([expect.stringMatching(/app\.yaml:6:12: function\.timeout 60/)])
  })
})

describe('every manifest problem has a position', () => {
  it('a lambda manifest without function: says so at the top, with what to add', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-nofn-'))
    writeFileSync(join(dir, 'app.yaml'), '# my app\nname: fn\ntarget: lambda\n')
    const err = await validateManifest(join(dir, 'app.yaml')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ManifestError)
    expect((err as ManifestError).problems).toEqual([
      expect.objectContaining({
        line: 2,
        col: 1,
        message: 'target lambda needs a function: section, or a container: with http:',
        hint: expect.stringContaining('add function: with handler: and runtime:'),
      }),
    ])
  })
})
