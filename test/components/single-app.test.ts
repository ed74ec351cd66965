import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Plan from '../../src/commands/plan.js'
import { makePlan } from '../../src/engine/plan.js'
import { openSession } from '../../src/engine/session.js'
import type { Plan as PlanDocument } from '../../src/plan/types.js'
import { ROOT } from '../helpers/cli.js'
import { runCommand } from '../helpers/command.js'

/** What does not depend on when and with which salt a plan was made: its steps without client tokens, what stays, the summary. */
function content(plan: PlanDocument): unknown {
  const strip = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value, (k, v) => (k === 'clientToken' || k === 'idempotency' || k === 'sha256' ? undefined : v)))
  return {
    app: plan.app,
    env: plan.env,
    target: plan.target,
    steps: strip(plan.steps),
    unchanged: plan.unchanged,
    summary: plan.summary,
    components: plan.components,
  }
}

describe('an app without components: is planned as it always was', () => {
  for (const [example, target] of [
    ['hello-lambda', 'lambda'],
    ['hello-fargate', 'fargate'],
    ['hello-ecs', 'ecs'],
  ]) {
    it(`${example} on ${target}: the command's plan is the engine's plan of an app of one, with no components in it`, async () => {
      const file = join(ROOT, 'examples', example, 'app.yaml')
      const r = await runCommand(Plan, ['-f', file, '--target', target, '--offline', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const viaCommand = JSON.parse(r.stdout) as PlanDocument
      const session = await openSession({ file, target, offline: true, mutates: false, vars: process.env })
      const { plan } = await makePlan(session, { command: 'deploy' })
      expect(content(viaCommand)).toEqual(content(plan))
      expect(viaCommand.components).toBeUndefined()
      expect(viaCommand.steps.every((s) => s.component === undefined)).toBe(true)
      expect(JSON.stringify(viaCommand)).not.toContain('shipit:component')
    })
  }
})
