/**
 * A lost response never fails a deploy nor leaves a duplicate (README, Guarantees). For each create
 * shipit sends, the in-memory AWS does the work and then the answer is lost — a 500, or a connection
 * reset — and the deploy still ends ok, with exactly one of each resource, and the next deploy sends
 * nothing. A conflict on a name someone else took in between still fails with the ownership message.
 * Every mutating operation the planners can emit has an idempotency rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyPlan } from '../../src/engine/apply.js'
import { ShipitError } from '../../src/errors.js'
import type { OperationDescriptor } from '../../src/plan/catalogue.js'
import type { Reporter } from '../../src/plan/execute.js'
import { CONTAINER_CATALOGUE } from '../../src/targets/container/catalogue.js'
import { LAMBDA_CATALOGUE } from '../../src/targets/lambda/catalogue.js'
import { silentReporter } from '../../src/ui/reporter.js'
import type { FakeAws, FakeErrorSpec } from '../fakes/aws.js'
import { MINIMAL_SERVICE as SERVICE, MINIMAL_TASK as TASK } from '../helpers/apps.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const LAMBDA = `
name: lost
region: us-west-2
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  routes: ["GET /", "POST /items"]
`

const LOST: Record<string, FakeErrorSpec> = {
  'a 500': { name: 'InternalFailure', message: 'We encountered an internal error', httpStatus: 500 },
  'a connection reset': { name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET' },
}

const s = (fake: FakeAws) => fake.state as any
const values = (m: Map<string, any> | undefined) => [...(m?.values() ?? [])]

/** How many of each thing shipit makes exist: one of each, whatever was lost on the way. */
function census(fake: FakeAws): Record<string, number> {
  const apis = values(s(fake).apigatewayv2.apis)
  const fns = values(s(fake).lambda.functions)
  return {
    roles: s(fake).iam.roles.size,
    logGroups: s(fake).logs.logGroups.size,
    functions: fns.length,
    aliases: fns.reduce((n, f) => n + f.aliases.size, 0),
    permissions: fns.reduce((n, f) => n + (f.policies.get('live')?.length ?? 0), 0),
    apis: apis.length,
    integrations: apis.reduce((n, a) => n + a.integrations.size, 0),
    routes: apis.reduce((n, a) => n + a.routes.size, 0),
    stages: apis.reduce((n, a) => n + a.stages.size, 0),
    clusters: values(s(fake).ecs.clusters).filter((c) => c.status === 'ACTIVE').length,
    services: values(s(fake).ecs.services).filter((x) => x.status === 'ACTIVE').length,
    taskDefinitions: values(s(fake).ecs.taskDefinitions).filter((t) => t.taskDefinition.status === 'ACTIVE').length,
    securityGroups: values(s(fake).ec2.securityGroups).filter((g) => String(g.GroupName).startsWith('shipit-')).length,
    tasks: values(s(fake).ecs.tasks).length,
  }
}

function recording(): { reporter: Reporter; lines: string[] } {
  const lines: string[] = []
  return { reporter: { ...silentReporter, stepWaiting: (_step, what) => lines.push(what) }, lines }
}

const CASES: { target: string; yaml: string; creates: [string, RegExp][]; seed?: (fake: FakeAws) => void }[] = [
  {
    target: 'lambda',
    yaml: LAMBDA,
    creates: [
      ['iam:CreateRole', /role shipit-lost-dev/],
      ['logs:CreateLogGroup', /.*/],
      ['lambda:CreateFunction', /function lost-dev/],
      ['lambda:CreateAlias', /alias live of lost-dev/],
      ['apigatewayv2:CreateApi', /HTTP API lost-dev/],
      ['apigatewayv2:CreateIntegration', /integration arn:aws:lambda/],
      ['apigatewayv2:CreateRoute', /route (GET \/|POST \/items)/],
      ['apigatewayv2:CreateStage', /stage \$default/],
      ['lambda:AddPermission', /permission .* on lost-dev/],
    ],
  },
  {
    target: 'fargate',
    yaml: SERVICE,
    creates: [
      ['ecs:CreateCluster', /.*/],
      ['ec2:CreateSecurityGroup', /security group shipit-web-dev/],
      ['ecs:RegisterTaskDefinition', /task definition web-dev:1/],
      ['ecs:CreateService', /service web-dev/],
    ],
  },
  {
    target: 'fargate',
    yaml: TASK,
    creates: [['ecs:RunTask', /task /]],
    seed: (fake) => {
      s(fake).ecs.taskOutcome = { exitCode: 0, logLines: ['ok'] }
    },
  },
]

/** Every operation of both targets' catalogues (the shared ones appear in both). */
const ALL_OPERATIONS: OperationDescriptor[] = [...new Set([...LAMBDA_CATALOGUE.operations, ...CONTAINER_CATALOGUE.operations])]
const ruleOf = (operation: string) => ALL_OPERATIONS.find((d) => `${d.service}:${d.operation}` === operation)?.idempotency

describe('a create whose answer is lost after AWS did the work', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  for (const { target, yaml, creates, seed } of CASES) {
    const clean = async () => {
      fake.reset()
      seed?.(fake)
      await deploy(project(yaml), { target })
      return census(fake)
    }
    for (const [operation, what] of creates) {
      for (const [how, error] of Object.entries(LOST)) {
        it(`${operation}, ${how}: the deploy ends ok, one of each exists, the next deploy sends nothing`, async () => {
          const expected = await clean()
          fake.reset()
          seed?.(fake)
          const dir = project(yaml)
          fake.failOn(operation, error, { after: true })
          const { reporter, lines } = recording()
          if ((ruleOf(operation) as { kind?: string }).kind === 'natural') {
            // sent again as it is, harmlessly: by the SDK's retries on AWS (test/reliability/transport.test.ts);
            // the fake has no SDK retry, so here the deploy run again sends it again
            await deploy(dir, { target, reporter }).catch(() => undefined)
            expect((await deploy(dir, { target })).status).toBe('applied')
          } else {
            const outcome = await deploy(dir, { target, reporter })
            expect(outcome.status).toBe('applied')
            // the create went once: it was read back, not sent again
            expect(fake.callsOf(operation).length).toBe(operation === 'apigatewayv2:CreateRoute' ? 2 : 1)
            expect(lines.find((l) => l.startsWith('the response was lost; AWS had created '))).toMatch(what)
          }
          expect(census(fake)).toEqual(expected)
          fake.calls.length = 0
          const again = await deploy(dir, { target })
          const mutating = fake.mutatingCalls().filter((c) => c.operation !== 'RunTask')
          expect(mutating).toEqual([])
          // a task app runs its task on every deploy: that is its only step
          if (yaml === TASK) expect(again.plan.steps.map((st) => st.request.operation)).toEqual(['RunTask'])
        })
      }
    }
  }

  it('RunTask sent again with the same saved plan (its client token): exactly one task runs', async () => {
    s(fake).ecs.taskOutcome = { exitCode: 0, logLines: ['ok'] }
    const dir = project(TASK)
    await deploy(dir, { target: 'fargate' })
    expect(values(s(fake).ecs.tasks)).toHaveLength(1)
    fake.calls.length = 0
    const flow = await planFor(dir, { target: 'fargate' })
    expect(flow.plan.steps.map((st) => st.request.operation)).toEqual(['RunTask'])
    const apply = () => applyPlan(flow.session, flow.planned, flow.plan, { reporter: silentReporter, timeoutSeconds: 30 })
    await apply()
    await apply()
    expect(values(s(fake).ecs.tasks)).toHaveLength(2)
    const tokens = fake.callsOf('RunTask').map((c) => c.input.clientToken)
    expect(tokens).toHaveLength(2)
    expect(tokens[0]).toMatch(/^[0-9a-f]{32}$/)
    expect(tokens[1]).toBe(tokens[0])
    // a new plan is a new run: another token, another task
    await deploy(dir, { target: 'fargate' })
    expect(values(s(fake).ecs.tasks)).toHaveLength(3)
  })

  it('a throttled create was not processed: it is sent again and the deploy ends ok', async () => {
    const dir = project(LAMBDA)
    fake.failOn('CreateRoute', { name: 'TooManyRequestsException', message: 'Too Many Requests', httpStatus: 429 })
    const outcome = await deploy(dir, { target: 'lambda' })
    expect(outcome.status).toBe('applied')
    expect(fake.callsOf('CreateRoute')).toHaveLength(3)
    expect(census(fake).routes).toBe(2)
  })
})

describe('a conflict on a name someone else took after shipit planned', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('CreateFunction answers ResourceConflictException for a function without shipit tags: exit 1, the ownership message', async () => {
    const dir = project(LAMBDA)
    const flow = await planFor(dir, { target: 'lambda' })
    // someone makes the function, without shipit's tags, between plan and apply
    const { LambdaClient, CreateFunctionCommand } = await import('@aws-sdk/client-lambda')
    const role = `arn:aws:iam::${fake.account}:role/theirs`
    const { IAMClient, CreateRoleCommand } = await import('@aws-sdk/client-iam')
    await new IAMClient({ region: 'us-west-2' }).send(
      new CreateRoleCommand({
        RoleName: 'theirs',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    )
    await new LambdaClient({ region: 'us-west-2' }).send(
      new CreateFunctionCommand({
        FunctionName: 'lost-dev',
        Role: role,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]) },
      }),
    )
    const err = await applyPlan(flow.session, flow.planned, flow.plan, { reporter: silentReporter, timeoutSeconds: 30 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ShipitError)
    expect((err as ShipitError).exitCode).toBe(1)
    expect((err as ShipitError).message).toContain('function lost-dev exists without shipit tags')
    expect((err as ShipitError).message).toContain('shipit does not change what it did not create')
    // theirs is untouched
    expect(s(fake).lambda.functions.get('lost-dev').tags ?? {}).toEqual({})
  })
})

describe('every mutating operation the planners can emit has an idempotency rule', () => {
  useFakeAws()
  /** `awsRequest('svc', 'Op'` and `service: 'svc', operation: 'Op'` in src/targets, read as text */
  /** Request literals outside the catalogues: every request is built by a descriptor's `request`. */
  function literalRequests(): string[] {
    const found: string[] = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8')
          for (const m of text.matchAll(/awsRequest\(\s*'([a-z0-9]+)',\s*'([A-Za-z]+)'/g)) found.push(`${name}: ${m[1]}:${m[2]}`)
          for (const m of text.matchAll(/service: '([a-z0-9]+)',\s*operation: '([A-Za-z]+)'/g)) found.push(`${name}: ${m[1]}:${m[2]}`)
        }
      }
    }
    walk(join(import.meta.dirname, '../../src/targets'))
    return found
  }

  it('every request is built from a descriptor, and every mutating descriptor has a rule', () => {
    expect(literalRequests()).toEqual([])
    expect(ALL_OPERATIONS.length).toBeGreaterThan(40)
    expect(ALL_OPERATIONS.map((d) => `${d.service}:${d.operation}`)).toContain('container:Push')
    expect(ALL_OPERATIONS.filter((d) => !d.read && !d.idempotency).map((d) => `${d.service}:${d.operation}`)).toEqual([])
  })

  it('every rule that reads back has a read-back, and every read-back a rule', () => {
    const readsBack = (d: OperationDescriptor) => d.idempotency === 'token' || d.idempotency?.kind === 'recover'
    expect(ALL_OPERATIONS.filter((d) => readsBack(d) !== Boolean(d.recover)).map((d) => `${d.service}:${d.operation}`)).toEqual([])
    expect(ALL_OPERATIONS.filter(readsBack).length).toBeGreaterThan(8)
  })

  it('the plans of a lambda, a fargate service and a task app carry a rule on every step', async () => {
    for (const [i, yaml] of [LAMBDA, SERVICE, TASK].entries()) {
      const { plan } = await planFor(project(yaml), { target: i === 0 ? 'lambda' : 'fargate' })
      expect(plan.steps.length).toBeGreaterThan(0)
      expect(plan.steps.filter((st) => !st.idempotency).map((st) => st.request.operation)).toEqual([])
    }
  })
})
