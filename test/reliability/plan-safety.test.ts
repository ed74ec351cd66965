import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Plan from '../../src/commands/plan.js'
import Rollback from '../../src/commands/rollback.js'
import type { FakeAws } from '../fakes/aws.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, project } from '../helpers/session.js'

/** Reads, by the AWS naming convention: the assertion does not depend on which calls shipit happens to make. */
const READ = /^(Get|List|Describe|Filter|BatchGet|Head|Lookup|Search)/

const APPS = {
  lambda: `name: safe\nregion: us-west-2\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\nhttp:\n  routes: ["GET /"]\n`,
  fargate: `name: safe\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`,
  ecs: `name: safe\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  count: 0\n`,
} as const

type Scenario = (fake: FakeAws, dir: string, target: string) => Promise<void>

const SCENARIOS: Record<string, Scenario> = {
  'nothing deployed': async () => {},
  deployed: async (_f, dir, target) => {
    await deploy(dir, { target })
  },
  'deployed, then changed': async (_f, dir, target) => {
    await deploy(dir, { target })
    if (target === 'lambda') writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 418 })\n')
    else writeFileSync(join(dir, 'app.yaml'), APPS[target as keyof typeof APPS].replace('nginx:1.27', 'nginx:1.28'))
  },
  'half deployed (failed at the 4th call)': async (fake, dir, target) => {
    fake.failAtMutation(4)
    await deploy(dir, { target }).catch(() => {})
  },
  'names taken by resources without shipit tags': async (_f, dir, target) => {
    await deploy(dir, { target })
    const s = _f.state as any
    for (const fn of s.lambda.functions.values()) fn.tags = {}
    for (const api of s.apigatewayv2.apis.values()) api.api.Tags = {}
    for (const svc of s.ecs.services?.values?.() ?? []) svc.tags = []
  },
}

describe('plan and --dry-run send only read operations, for every target and scenario', () => {
  const fake = useFakeAws()

  for (const target of Object.keys(APPS) as (keyof typeof APPS)[]) {
    for (const [name, setup] of Object.entries(SCENARIOS)) {
      it(`${target}: ${name}`, async () => {
        fake.reset()
        const dir = project(APPS[target])
        await setup(fake, dir, target)
        fake.calls.length = 0
        const file = join(dir, 'app.yaml')
        const runs = [
          await runCommand(Plan, ['--target', target, '-f', file]),
          await runCommand(Plan, ['--target', target, '-f', file, '--destroy', '--json']),
          await runCommand(Deploy, ['--target', target, '-f', file, '--dry-run', '--cli']),
          await runCommand(Destroy, ['--target', target, '-f', file, '--dry-run']),
          await runCommand(Rollback, ['--target', target, '-f', file, '--dry-run']),
        ]
        // plans succeed (rollback may refuse: nothing to roll back to), and AWS was read; a deploy plan that
        // resources of someone else block exits 1 (it cannot be applied), a destroy plan keeps them and exits 0
        const blocked = name === 'names taken by resources without shipit tags' ? 1 : 0
        expect(runs.slice(0, 4).map((r) => r.code)).toEqual([blocked, 0, blocked, 0])
        expect(fake.calls.length).toBeGreaterThan(0)
        const writes = fake.calls.map((c) => `${c.service}:${c.operation}`).filter((op) => !READ.test(op.split(':')[1]))
        expect(writes).toEqual([])
      })
    }
  }
})
