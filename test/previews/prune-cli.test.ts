import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, expectNoNoise, expectOneClearError, shipit } from '../helpers/cli.js'

/** shipit prune as a CI job and a newcomer get it wrong (the built CLI, no terminal, no app.yaml needed). */
describe('shipit prune on the command line', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'shipit-prune-'))
  const run = (args: string[], env?: Record<string, string>) => shipit(['prune', ...args], { cwd, env: cleanEnv(env) })

  it('with no terminal and no --yes: exit 3 with the --yes hint, before any AWS call', async () => {
    const r = await run(['--endpoint-url', 'http://127.0.0.1:9', '--request-timeout', '30'], {
      AWS_ACCESS_KEY_ID: 'prune-test-key-id',
      AWS_SECRET_ACCESS_KEY: 'prune-test-secret-key',
      AWS_REGION: 'us-west-2',
    })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('add --yes')
    expect(r.stderr).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/)
    expectOneClearError(r.stderr)
    expect(r.ms).toBeLessThan(5_000)
  })

  it('--dry-run without credentials: exit 1, no AWS credentials', async () => {
    const r = await run(['--dry-run'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no AWS credentials found')
    expectOneClearError(r.stderr)
  })

  it('-h: exit 0, usage on stdout', async () => {
    const r = await run(['-h'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('$ shipit prune')
    expect(r.stderr).toBe('')
  })

  it('bad flags: exit 3, one clear line', async () => {
    const wrong = await run(['--jsno'])
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toContain('unknown flag --jsno (did you mean --json?)')
    const noValue = await run(['--older-than'])
    expect(noValue.code).toBe(3)
    expect(noValue.stderr).toContain('--older-than')
    for (const args of [
      ['--env', 'staging', '--yes'],
      ['--older-than', '3 days', '--dry-run'],
      ['--app', 'Bad_Name', '--dry-run'],
    ]) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(3)
      expectOneClearError(r.stderr)
    }
    const typo = await shipit(['prunee', '--yes'], { cwd, env: cleanEnv() })
    expect(typo.code).toBe(3)
    expect(typo.stderr).toContain('did you mean prune?')
  })

  it('--json: an error is one JSON document', async () => {
    const r = await run(['--env', 'x', '--json'])
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'EnvNeedsApp', exitCode: 3 })
    expectNoNoise(r.stderr)
  })
})
