import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Logs from '../../src/commands/logs.js'
import Plan from '../../src/commands/plan.js'
import Rollback from '../../src/commands/rollback.js'
import Run from '../../src/commands/run.js'
import Status from '../../src/commands/status.js'
import Validate from '../../src/commands/validate.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const CANARY = 'canary-8d1f0c2e-secret'
const SECRET_KEY = 'test-secret-key-canary-7d2c'
const SESSION_TOKEN = 'test-session-token-canary-91b4'

const APPS: Record<string, string> = {
  lambda: `name: leak\nregion: us-west-2\nenv:\n  TOKEN: { value: "\${env:TOKEN}", secret: true }\n  PLAIN: visible\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n`,
  fargate: `name: leak\nregion: us-west-2\nenv:\n  TOKEN: { value: "\${env:TOKEN}", secret: true }\nsecrets:\n  DB: arn:aws:ssm:us-west-2:123456789012:parameter/leak/db\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`,
}

describe('a canary secret and the AWS credentials never appear in any output', () => {
  const fake = useFakeAws()
  const env = { TOKEN: CANARY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: SESSION_TOKEN }

  for (const target of Object.keys(APPS)) {
    it(`${target}: every command, in text, --json, --cli and --debug, and on failures`, async () => {
      fake.reset()
      const dir = project(APPS[target])
      const file = join(dir, 'app.yaml')
      const t = ['--target', target, '-f', file]
      const outputs: string[] = []
      const run = async (cmd: Parameters<typeof runCommand>[0], args: string[]) => {
        const r = await runCommand(cmd, args, env)
        outputs.push(r.stdout, r.stderr)
        return r
      }
      await run(Validate, ['-f', file])
      await run(Plan, [...t])
      await run(Plan, [...t, '--json'])
      await run(Plan, [...t, '--cli'])
      await run(Plan, [...t, '--out', join(dir, 'plan.json')])
      await run(Deploy, [...t, '--yes', '--debug'])
      await run(Deploy, [...t, '--yes', '--json'])
      await run(Status, [...t, '--json'])
      await run(Logs, [...t, '--json'])
      await run(Rollback, [...t, '--yes', '--debug'])
      if (target === 'lambda') await run(Run, [...t, '--payload', '{}'])
      // a change of the secret shows as (sensitive), never the values
      const changed = await runCommand(Plan, [...t], { ...env, TOKEN: `${CANARY}-v2` })
      outputs.push(changed.stdout, changed.stderr)
      expect(changed.stdout).toContain('(sensitive)')
      // failures: AWS errors whose message carries the secret must be redacted too
      fake.failOn(
        target === 'lambda' ? 'GetFunction' : 'DescribeClusters',
        { name: 'AccessDeniedException', message: `denied for ${CANARY} with ${SECRET_KEY}`, httpStatus: 403 },
        { times: 5 },
      )
      await run(Plan, [...t, '--debug'])
      await run(Plan, [...t, '--json'])
      await run(Destroy, [...t, '--yes', '--debug'])
      // a saved plan file holds no secret either
      outputs.push(readFileSync(join(dir, 'plan.json'), 'utf8'))

      const all = outputs.join('\n')
      expect(all.length).toBeGreaterThan(1000)
      for (const secret of [CANARY, SECRET_KEY, SESSION_TOKEN]) expect(all).not.toContain(secret)
      // the AWS calls did carry the secret value: redaction is in the output, not in what is deployed
      const sent = JSON.stringify(fake.calls.map((c) => c.input))
      expect(sent).toContain(CANARY)
    })
  }
})
