import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import { clearSecrets } from '../../src/redact.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const CANARY = 'canary-5e7a9b-was-secret'

const SECTIONS: Record<string, string> = {
  lambda: 'function:\n  handler: index.handler\n  runtime: nodejs22.x\n',
  fargate: 'container:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n',
}

const app = (target: string, apiKey: string) => `name: hist\nregion: us-west-2\nenv:\n  LOG_LEVEL: info\n${apiKey}${SECTIONS[target]}`

describe('a value that was secret when deployed stays hidden after app.yaml stops marking it', () => {
  const fake = useFakeAws()

  const cases = {
    'the line is deleted': '',
    'it becomes a plain string': '  API_KEY: now-a-plain-value\n',
  }
  for (const target of Object.keys(SECTIONS)) {
    for (const [change, line] of Object.entries(cases)) {
      it(`${target}: ${change} — hidden in text, --json and the saved plan`, async () => {
        // given a deploy with API_KEY marked secret
        fake.reset()
        const dir = project(app(target, '  API_KEY: { value: "${env:API_KEY}", secret: true }\n'))
        const file = join(dir, 'app.yaml')
        const t = ['--target', target, '-f', file]
        expect((await runCommand(Deploy, [...t, '--yes'], { API_KEY: CANARY })).code).toBe(0)
        // when app.yaml no longer marks it secret (and this process has forgotten every value it redacts)
        writeFileSync(file, app(target, line))
        clearSecrets()
        const text = await runCommand(Plan, t)
        const json = await runCommand(Plan, [...t, '--json'])
        const saved = await runCommand(Plan, [...t, '--out', join(dir, 'plan.json')])
        // then the plan shows the change, never the live value
        expect(text.code).toBe(0)
        expect(text.stdout).toMatch(/API_KEY/)
        expect(text.stdout).toContain('(sensitive)')
        if (line) expect(text.stdout).toContain('now-a-plain-value')
        const outputs = [text.stdout, text.stderr, json.stdout, json.stderr, saved.stderr, readFileSync(join(dir, 'plan.json'), 'utf8')].join('\n')
        expect(outputs).not.toContain(CANARY)
        // and the value did reach AWS: hiding is in the output, not in what was deployed
        expect(JSON.stringify(fake.calls.map((c) => c.input))).toContain(CANARY)
      })
    }
  }

  it('the record holds the names of the secret values, never the values', async () => {
    fake.reset()
    const dir = project(app('lambda', '  API_KEY: { value: "${env:API_KEY}", secret: true }\n'))
    await runCommand(Deploy, ['--target', 'lambda', '-f', join(dir, 'app.yaml'), '--yes'], { API_KEY: CANARY })
    const created = fake.callsOf('CreateFunction')[0].input
    expect(created.Environment.Variables.SHIPIT_SENSITIVE_KEYS).toBe('API_KEY')
  })
})
