import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clock } from '../../src/clock.js'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import Prune from '../../src/commands/prune.js'
import { stepOutputLines } from '../../src/ui/github.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'
import { LAMBDA_PREVIEW_APP } from './apps.js'

const T0 = Date.parse('2026-12-05T12:00:00Z')
const SECRET = 'tok-3f9a7c1e55d2b8aa'

describe('previews in GitHub Actions (lambda with a URL, on the in-memory AWS)', () => {
  const fake = useFakeAws()
  let file: string
  let outputs: string
  let summary: string
  let gh: Record<string, string>
  beforeEach(() => {
    fake.reset()
    clock.now = () => new Date(T0)
    file = join(project(LAMBDA_PREVIEW_APP), 'app.yaml')
    const dir = mkdtempSync(join(tmpdir(), 'gh-'))
    outputs = join(dir, 'output')
    summary = join(dir, 'summary.md')
    writeFileSync(outputs, '')
    writeFileSync(summary, '')
    gh = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputs, GITHUB_STEP_SUMMARY: summary, API_TOKEN: SECRET }
  })
  afterEach(() => {
    clock.now = () => new Date()
  })

  it('deploy --env pr-7 writes the URL and the other outputs to the step outputs, and the plan, URL and cost to the summary', async () => {
    const r = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'], gh)
    expect(r.code, r.stderr).toBe(0)
    const out = readFileSync(outputs, 'utf8')
    expect(out).toMatch(/^url=https:\/\/[a-z0-9]+\.execute-api\.us-west-2\.amazonaws\.com\/?$/m)
    expect(out).toMatch(/^app=api$/m)
    expect(out).toMatch(/^env=pr-7$/m)
    expect(out).toMatch(/^status=applied$/m)
    expect(out).toMatch(/^monthly-cost=\d+\.\d\d$/m)
    expect(out).toMatch(/^functionName=api-pr-7$/m)
    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('### shipit deploy: api (pr-7) on lambda — applied')
    expect(md).toMatch(/\*\*URL:\*\* https:\/\/[a-z0-9]+\.execute-api/)
    expect(md).toMatch(/\*\*Monthly cost:\*\* \$\d+\.\d\d\/month/)
    expect(md).toContain('| create | `lambda:function` | `api-pr-7` |')
    for (const text of [out, md, r.stdout, r.stderr]) expect(text).not.toContain(SECRET)

    // the function, API, stage, log group and role carry the expiry; a redeploy an hour later writes nothing
    expect(fake.state.functions.get('api-pr-7')?.tags['shipit:expires']).toBe('2026-12-06T00:00:00Z')
    expect(fake.state.logGroups.get('/shipit/api/pr-7')?.tags['shipit:expires']).toBe('2026-12-06T00:00:00Z')
    const api = [...fake.state.apis.values()][0]
    expect(api.api.Tags['shipit:expires']).toBe('2026-12-06T00:00:00Z')
    expect([...api.stages.values()][0].Tags['shipit:expires']).toBe('2026-12-06T00:00:00Z')
    clock.now = () => new Date(T0 + 3_600_000)
    fake.calls.length = 0
    const again = await runCommand(Deploy, ['-f', file, '--env', 'pr-7', '--yes'], gh)
    expect(again.code, again.stderr).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
    expect(readFileSync(outputs, 'utf8')).toMatch(/^status=no-changes$/m)

    // prune after the 12 h ttl: the function, its API, stage, log group and role are gone
    clock.now = () => new Date(T0 + 13 * 3_600_000)
    const pruned = await runCommand(Prune, ['--yes'], gh)
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(fake.state.functions.size).toBe(0)
    expect(fake.state.apis.size).toBe(0)
    expect(fake.state.logGroups.has('/shipit/api/pr-7')).toBe(false)
    expect(fake.state.roles.size).toBe(0)
  })

  it('plan --markdown prints the same summary for a pull-request comment, and changes nothing', async () => {
    const r = await runCommand(Plan, ['-f', file, '--env', 'pr-7', '--markdown'], { API_TOKEN: SECRET })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^<!-- shipit:api:pr-7:lambda -->\n### shipit deploy plan: api \(pr-7\) on lambda\n/)
    expect(r.stdout).toMatch(/\*\*Monthly cost:\*\* \$\d+\.\d\d\/month/)
    expect(r.stdout).toContain('| create | `apigatewayv2:api` | `api-pr-7` |')
    expect(r.stdout).not.toContain(SECRET)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('a value on several lines goes out in the heredoc form; names are made safe', () => {
    expect(stepOutputLines({ url: 'https://x.example', 'odd name': 'a\nb', none: undefined, ips: ['1.2.3.4', '5.6.7.8'] }, 'EOF_1')).toBe(
      'url=https://x.example\nodd_name<<EOF_1\na\nb\nEOF_1\nips=1.2.3.4,5.6.7.8\n',
    )
  })
})
