import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyPlan } from '../../src/engine/apply.js'
import { ShipitError } from '../../src/errors.js'
import { silentReporter } from '../../src/ui/reporter.js'
import type { FakeAws } from '../fakes/aws.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const APP = `
name: faulty
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /", "POST /items"]
`

/** What a converged lambda app looks like in the fake: one of everything, wired. */
function expectConverged(fake: FakeAws) {
  expect([...fake.state.lambda.functions.keys()]).toEqual(['faulty-dev'])
  const apis = [...fake.state.apigatewayv2.apis.values()]
  expect(apis).toHaveLength(1)
  expect([...apis[0].routes.values()].map((r) => r.RouteKey).sort()).toEqual(['GET /', 'POST /items'])
  expect(apis[0].integrations.size).toBe(1)
  expect([...apis[0].stages.keys()]).toEqual(['$default'])
  expect(fake.state.iam.roles.size).toBe(1)
  expect([...fake.state.logs.logGroups.keys()]).toEqual(['/shipit/faulty/dev'])
  const fn = fake.state.lambda.functions.get('faulty-dev')!
  expect(fn.aliases.has('live')).toBe(true)
  expect(fn.policies.get('live')?.length).toBe(1)
}

describe('lambda deploys that fail or are interrupted converge when run again', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('counts the mutating calls of a fresh deploy', async () => {
    await deploy(project(APP), { target: 'lambda' })
    // CreateFunction publishes the first version itself: no PublishVersion
    expect(fake.mutatingCalls().length).toBe(12)
    expect(fake.callsOf('PublishVersion')).toHaveLength(0)
  })

  for (let k = 1; k <= 12; k++) {
    it(`a failure at mutating call ${k}, then a re-run: exactly the desired state, nothing duplicated`, async () => {
      const dir = project(APP)
      // a failure AWS reports (a 5xx before the work is read back and sent again: see lost-response.test.ts)
      fake.failAtMutation(k, { name: 'AccessDeniedException', message: `injected failure at call ${k}`, httpStatus: 403 })
      const failed = await deploy(dir, { target: 'lambda' }).catch((e: unknown) => e)
      expect(failed).toBeInstanceOf(ShipitError)
      expect((failed as ShipitError).exitCode).toBe(1)
      expect((failed as ShipitError).message).toContain(`injected failure at call ${k}`)
      expect((failed as ShipitError).message).toMatch(/done \(\d+\)/)

      const again = await deploy(dir, { target: 'lambda' })
      expect(again.status).toBe('applied')
      expectConverged(fake)
      fake.calls.length = 0
      const third = await planFor(dir, { target: 'lambda' })
      expect(third.plan.steps).toEqual([])
    })
  }

  it('an interruption after any step stops cleanly (exit 130) and a re-run converges', async () => {
    for (let k = 1; k <= 12; k += 3) {
      fake.reset()
      const dir = project(APP)
      const controller = new AbortController()
      let done = 0
      const reporter = {
        ...silentReporter,
        stepDone: () => {
          if (++done === k) controller.abort()
        },
      }
      const err = await deploy(dir, { target: 'lambda', reporter, signal: controller.signal }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ShipitError)
      expect((err as ShipitError).exitCode).toBe(130)
      expect((err as ShipitError).message).toMatch(/interrupted/)
      expect((err as ShipitError).message).toMatch(/not done \(\d+\)/)
      await deploy(dir, { target: 'lambda' })
      expectConverged(fake)
    }
  })

  it('a second API of ours (a CreateApi whose answer was lost) is deleted by the next deploy', async () => {
    const dir = project(APP)
    await deploy(dir, { target: 'lambda' })
    const { ApiGatewayV2Client, CreateApiCommand } = await import('@aws-sdk/client-apigatewayv2')
    await new ApiGatewayV2Client({ region: 'us-west-2' }).send(
      new CreateApiCommand({ Name: 'faulty-dev', ProtocolType: 'HTTP', Tags: { 'shipit:app': 'faulty', 'shipit:env': 'dev' } }),
    )
    expect(fake.state.apigatewayv2.apis.size).toBe(2)
    const again = await deploy(dir, { target: 'lambda' })
    expect(again.plan.steps.map((s) => s.request.operation)).toEqual(['DeleteApi'])
    expectConverged(fake)
  })

  it('two deploys planned from the same state: the second fails on the revision check, exit 1, nothing mixed', async () => {
    const dir = project(APP)
    await deploy(dir, { target: 'lambda' })
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 201 })\n')
    const a = await planFor(dir, { target: 'lambda' })
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 202 })\n')
    const b = await planFor(dir, { target: 'lambda' })
    await applyPlan(a.session, a.planned, a.plan, { reporter: silentReporter, timeoutSeconds: 10 })
    const err = await applyPlan(b.session, b.planned, b.plan, { reporter: silentReporter, timeoutSeconds: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ShipitError)
    expect((err as ShipitError).exitCode).toBe(1)
    expect((err as ShipitError).message).toContain('PreconditionFailedException')
    expect((err as ShipitError).suggestions.join(' ')).toMatch(/concurrent deploy/)
    // live still serves A's code, published and aliased
    const fn = fake.state.lambda.functions.get('faulty-dev')!
    const live = fn.versions.get(fn.aliases.get('live')!.FunctionVersion)!
    expect(live.config.CodeSha256).toBe(fn.config.CodeSha256)
  })
})
