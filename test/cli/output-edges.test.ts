import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { confirmQuestion, renderOutcome } from '../../src/cli/workflow.js'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import Rollback from '../../src/commands/rollback.js'
import type { ApplyOutcome } from '../../src/engine/apply.js'
import { ROOT, shipit } from '../helpers/cli.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const FARGATE = `name: nw\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`
const LAMBDA = `name: fn\nregion: us-west-2\ntarget: lambda\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n`
const ARN = /^taskDefinition: arn:aws:ecs:us-west-2:\d{12}:task-definition\/nw-dev:\d+$/m

describe('what a person reads after deploy, rollback and plan', () => {
  const fake = useFakeAws()

  it('deploy and rollback print the task definition in one form (its ARN), "1 step." in the singular, and no counts read before the change', async () => {
    fake.reset()
    const dir = project(FARGATE)
    const file = join(dir, 'app.yaml')
    expect((await runCommand(Deploy, ['--target', 'fargate', '-f', file, '--yes'])).code).toBe(0)
    writeFileSync(file, FARGATE.replace('1.27', '1.28'))
    const deployed = await runCommand(Deploy, ['--target', 'fargate', '-f', file, '--yes'])
    expect(deployed.stdout).toMatch(/^Deployed nw \(dev\) on fargate in us-west-2: 2 steps\.$/m)
    expect(deployed.stdout).toMatch(ARN)
    // the service's deployments as they were before this deploy (revision 1 PRIMARY) would be wrong here
    expect(deployed.stdout).not.toMatch(/^(deployments|runningCount|pendingCount):/m)

    const back = await runCommand(Rollback, ['--target', 'fargate', '-f', file, '--yes'])
    expect(back.code).toBe(0)
    expect(back.stdout).toMatch(/^Rolled back nw \(dev\) on fargate in us-west-2: 1 step\.$/m)
    expect(back.stdout).toMatch(ARN)
    expect(back.stdout).toContain('task-definition/nw-dev:1\n')
  })

  it('a plan with no changes has one blank line after its header, not two', async () => {
    fake.reset()
    const dir = project(FARGATE)
    const file = join(dir, 'app.yaml')
    await runCommand(Deploy, ['--target', 'fargate', '-f', file, '--yes'])
    const plan = await runCommand(Plan, ['--target', 'fargate', '-f', file])
    expect(plan.stdout).toContain('No changes.')
    expect(plan.stdout).not.toContain('\n\n\n')
    expect(plan.stdout).toMatch(/\n\n {4}= ecs:cluster nw-dev\n/)
  })

  it("the lambda rollback plan's header names the account, as a deploy plan's does", async () => {
    fake.reset()
    const dir = project(LAMBDA)
    const file = join(dir, 'app.yaml')
    await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes'])
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
    await runCommand(Deploy, ['--target', 'lambda', '-f', file, '--yes'])
    const plan = await runCommand(Rollback, ['--target', 'lambda', '-f', file, '--dry-run'])
    expect(plan.code).toBe(0)
    expect(plan.stdout.split('\n')[0]).toContain(`· us-west-2 · account ${fake.account} ·`)
  })

  it('the question before an apply says what it does to which app', () => {
    const plan = { app: 'tty', env: 'dev', region: 'us-west-2' }
    expect(confirmQuestion('destroy', plan)).toBe('Destroy tty (dev) in us-west-2, deleting what is listed above?')
    expect(confirmQuestion('rollback', plan)).toBe('Roll back tty (dev) in us-west-2 as shown above?')
    expect(confirmQuestion('deploy', plan)).toBe('Apply these changes to tty (dev) in us-west-2?')
  })

  it('counts steps in the singular and the plural', () => {
    const outcome = (n: number): ApplyOutcome => ({
      app: 'a',
      env: 'dev',
      target: 'lambda',
      region: 'us-west-2',
      command: 'destroy',
      status: 'applied',
      summary: { create: 0, update: 0, replace: 0, delete: n, run: 0, noop: 0 },
      steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, status: 'done' })),
      outputs: {},
    })
    expect(renderOutcome(outcome(1))).toBe('Destroyed a (dev) on lambda in us-west-2: 1 step.')
    expect(renderOutcome(outcome(3))).toBe('Destroyed a (dev) on lambda in us-west-2: 3 steps.')
  })
})

describe("the README's word on --no-color", () => {
  it("every command of shipit's own takes it; autocomplete and help (oclif's plugins) refuse it with exit 3", async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { flags: Record<string, unknown> }> }
    const ids = Object.keys(manifest.commands)
    expect(ids).toEqual(expect.arrayContaining(['deploy', 'plan', 'validate', 'compare', 'schema', 'init']))
    for (const id of ids) expect(Object.keys(manifest.commands[id].flags), id).toContain('no-color')
    for (const plugin of ['autocomplete', 'help']) expect((await shipit([plugin, '--no-color'])).code, plugin).toBe(3)
  })
})
