import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Plan from '../../src/commands/plan.js'
import type { FakeCall } from '../fakes/aws.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'

/** A copy of examples/shop (the manifest as written) to deploy from. */
function shop(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-shop-'))
  cpSync(join(import.meta.dirname, '../../examples/shop'), dir, { recursive: true })
  return join(dir, 'app.yaml')
}

/** Calls that change what a component runs: a gate (`before:`) comes before the first of them. */
const RUNS_CODE = new Set(['RegisterTaskDefinition', 'CreateService', 'UpdateService', 'CreateExpressGatewayService', 'UpdateExpressGatewayService', 'RunTask'])

/** The component a mutating call acts on, from the names it carries (`shop-<component>-dev`, `/shipit/shop/<component>/dev`). */
function componentOf(call: FakeCall): string | undefined {
  const text = JSON.stringify(call.input)
  return /shop-(api|web|worker|migrate|nightly)-dev|\/shipit\/shop\/(api|web|worker|migrate|nightly)\//.exec(text)?.slice(1).find(Boolean)
}

describe('the shop example (issue 22) on the in-memory AWS', () => {
  const fake = useFakeAws({ region: 'us-east-1' })
  beforeEach(() => {
    fake.reset()
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
  })

  it('deploys from nothing: every component, named <app>-<component>-<env>, tagged with its component, containers in one cluster', async () => {
    const r = await runCommand(Deploy, ['-f', shop(), '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/api\.url: https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\//)
    expect([...fake.state.lambda.functions.keys()]).toEqual(['shop-api-dev'])
    expect([...fake.state.ecs.services.values()].map((s) => s.serviceName).sort()).toEqual(['shop-web-dev', 'shop-worker-dev'])
    // one cluster for the app and env, created once
    expect(fake.callsOf('CreateCluster').map((c) => c.input.clusterName)).toEqual(['shop-dev'])
    expect(new Set([...fake.state.ecs.services.values()].map((s) => s.clusterArn.split('/').pop()))).toEqual(new Set(['shop-dev']))
    const web = fake.callsOf('CreateService').find((c) => c.input.serviceName === 'shop-web-dev')
    expect(web?.input.tags).toContainEqual({ key: 'shipit:component', value: 'web' })
    const fn = fake.callsOf('CreateFunction')[0]
    expect(fn.input.Tags).toMatchObject({ 'shipit:app': 'shop', 'shipit:env': 'dev', 'shipit:component': 'api', 'shipit:target': 'lambda' })
    expect(
      fake
        .callsOf('CreateLogGroup')
        .map((c) => c.input.logGroupName)
        .sort(),
    ).toEqual(['/shipit/shop/api/dev', '/shipit/shop/migrate/dev', '/shipit/shop/nightly/dev', '/shipit/shop/web/dev', '/shipit/shop/worker/dev'])
  })

  it('runs migrate once, to exit 0, before the first call that changes what web or worker runs; nightly (scheduled) does not run at deploy', async () => {
    const r = await runCommand(Deploy, ['-f', shop(), '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const mutating = fake.mutatingCalls()
    const runs = fake.callsOf('RunTask')
    expect(runs.map((c) => c.input.taskDefinition)).toEqual([expect.stringContaining('task-definition/shop-migrate-dev:1')])
    const ranAt = mutating.indexOf(runs[0])
    const firstChange = (component: string) => mutating.findIndex((c) => componentOf(c) === component && RUNS_CODE.has(c.operation))
    expect(firstChange('web')).toBeGreaterThan(ranAt)
    expect(firstChange('worker')).toBeGreaterThan(ranAt)
    // the task had stopped (exit 0) before web's task definition: the run step's wait is part of the step
    const stoppedBefore = fake.calls.slice(0, fake.calls.indexOf(mutating[firstChange('web')])).some((c) => c.operation === 'DescribeTasks')
    expect(stoppedBefore).toBe(true)
    // what serves nothing by itself is made beside the gate: web's role and log group before migrate runs
    const made = (operation: string, component: string) => mutating.findIndex((c) => c.operation === operation && componentOf(c) === component)
    expect(made('CreateRole', 'web')).toBeLessThan(ranAt)
    expect(made('CreateLogGroup', 'worker')).toBeLessThan(ranAt)
  })

  it("gives web's task definition the API's URL, known only once the API is created", async () => {
    const r = await runCommand(Deploy, ['-f', shop(), '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const api = fake.callsOf('CreateApi')[0]
    const endpoint = `https://${[...fake.state.apigatewayv2.apis.keys()][0]}.execute-api.us-east-1.amazonaws.com`
    const td = fake.callsOf('RegisterTaskDefinition').find((c) => c.input.family === 'shop-web-dev')
    expect(td?.input.containerDefinitions[0].environment).toContainEqual({ name: 'API_URL', value: `${endpoint}/` })
    expect(td?.input.containerDefinitions[0].environment).toContainEqual({ name: 'LOG_LEVEL', value: 'info' })
    expect(fake.calls.indexOf(td as FakeCall)).toBeGreaterThan(fake.calls.indexOf(api))
  })

  it('a redeploy makes zero mutating calls', async () => {
    const file = shop()
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(0)
    fake.calls.length = 0
    const again = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
    expect(again.stdout).toContain('No changes')
  })

  it('a failing migrate stops the deploy before web and worker change: exit 1, its last log lines shown', async () => {
    fake.state.ecs.taskOutcome = { exitCode: 2, logLines: ['connecting to db', 'ERROR: relation "orders" already exists'] }
    const r = await runCommand(Deploy, ['-f', shop(), '--yes'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('relation "orders" already exists')
    expect(r.stderr).not.toMatch(/looks like a bug/)
    // web and worker serve nothing new: no task definition, no service (their roles and log groups may be made)
    const changed = fake.mutatingCalls().filter((c) => RUNS_CODE.has(c.operation) && ['web', 'worker'].includes(componentOf(c) ?? ''))
    expect(changed).toEqual([])
    expect(fake.state.ecs.services.size).toBe(0)
    const families = [...fake.state.ecs.taskDefinitions.values()].map((t) => t.taskDefinition.family)
    expect(families).not.toContain('shop-web-dev')
    expect(families).not.toContain('shop-worker-dev')
  })

  it('after a failing migrate, the next deploy converges and a redeploy then changes nothing', async () => {
    const file = shop()
    fake.state.ecs.taskOutcome = { exitCode: 2, logLines: ['ERROR: no database'] }
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(1)
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
    const fixed = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(fixed.code, fixed.stderr).toBe(0)
    expect([...fake.state.ecs.services.values()].map((s) => s.serviceName).sort()).toEqual(['shop-web-dev', 'shop-worker-dev'])
    // made once each: what the failed deploy made was found and kept, not made again
    expect(fake.callsOf('CreateRole').filter((c) => componentOf(c) === 'web')).toHaveLength(1)
    expect(fake.callsOf('CreateSecurityGroup').filter((c) => componentOf(c) === 'web')).toHaveLength(1)
    fake.calls.length = 0
    const again = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('after a failing migrate, destroy removes what was made beside the gate (roles, log groups, security groups)', async () => {
    const file = shop()
    fake.state.ecs.taskOutcome = { exitCode: 2, logLines: ['ERROR: no database'] }
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(1)
    expect([...fake.state.iam.roles.keys()].some((r) => r.includes('shop-web-dev'))).toBe(true)
    const r = await runCommand(Destroy, ['-f', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect([...fake.state.iam.roles.keys()].filter((name) => name.includes('shop'))).toEqual([])
    expect([...fake.state.logs.logGroups.keys()].filter((g) => g.startsWith('/shipit/shop/'))).toEqual([])
    expect([...fake.state.ec2.securityGroups.values()].map((g) => g.GroupName).filter((n) => n?.includes('shop'))).toEqual([])
    expect([...fake.state.ecs.clusters.values()].filter((c) => c.status === 'ACTIVE')).toEqual([])
  })

  it('destroy removes every component, the shared cluster last', async () => {
    const file = shop()
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(0)
    const r = await runCommand(Destroy, ['-f', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(fake.state.lambda.functions.size).toBe(0)
    expect(fake.state.apigatewayv2.apis.size).toBe(0)
    expect([...fake.state.ecs.services.values()].filter((s) => s.status === 'ACTIVE')).toEqual([])
    expect([...fake.state.ecs.clusters.values()].filter((c) => c.status === 'ACTIVE')).toEqual([])
    expect([...fake.state.logs.logGroups.keys()].filter((g) => g.startsWith('/shipit/shop/'))).toEqual([])
    const roles = [...fake.state.iam.roles.keys()].filter((r) => r.includes('shop'))
    expect(roles).toEqual([])
    const deletes = fake.mutatingCalls().map((c) => c.operation)
    expect(deletes.lastIndexOf('DeleteCluster')).toBeGreaterThan(deletes.lastIndexOf('DeleteService'))
  })

  it('destroy of one component removes only its resources and keeps the shared cluster', async () => {
    const file = shop()
    expect((await runCommand(Deploy, ['-f', file, '--yes'])).code).toBe(0)
    fake.calls.length = 0
    const r = await runCommand(Destroy, ['-f', file, 'worker', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const active = [...fake.state.ecs.services.values()].filter((s) => s.status === 'ACTIVE').map((s) => s.serviceName)
    expect(active).toEqual(['shop-web-dev'])
    expect(fake.callsOf('DeleteCluster')).toEqual([])
    expect(fake.state.lambda.functions.size).toBe(1)
    // every call names the worker, but its security group's deletion, which names the group by id
    expect(
      fake
        .mutatingCalls()
        .filter((c) => componentOf(c) !== 'worker')
        .map((c) => c.operation),
    ).toEqual(['DeleteSecurityGroup'])
    expect([...fake.state.ec2.securityGroups.values()].map((g) => g.GroupName)).toContain('shipit-shop-web-dev')
    expect([...fake.state.ec2.securityGroups.values()].map((g) => g.GroupName)).not.toContain('shipit-shop-worker-dev')
  })

  it('plan groups the steps by component, one cost line each and the total; plan web names what web needs', async () => {
    const file = shop()
    const r = await runCommand(Plan, ['-f', file])
    expect(r.code, r.stderr).toBe(0)
    for (const c of ['api (lambda)', 'web (fargate)', 'worker (fargate)', 'migrate (fargate)', 'nightly (fargate)']) expect(r.stdout).toContain(`── ${c}`)
    expect(r.stdout).toMatch(/Total: \d+ to create/)
    expect(r.stdout).toContain('total estimated cost')
    const web = await runCommand(Plan, ['-f', file, 'web', '--json'])
    expect(web.code, web.stderr).toBe(0)
    const plan = JSON.parse(web.stdout)
    expect(plan.components.map((c: { name: string }) => c.name)).toEqual(['api', 'web', 'migrate'])
    expect(plan.steps.every((s: { id: string; component: string }) => s.id.startsWith(`${s.component}/`))).toBe(true)
  })

  it('a saved plan of the app is applied when nothing changed, and refused naming the component that did', async () => {
    const file = shop()
    const out = join(file, '..', 'plan.json')
    const saved = await runCommand(Plan, ['-f', file, '--out', out])
    expect(saved.code, saved.stderr).toBe(0)
    const applied = await runCommand(Deploy, ['-f', file, '--plan', out, '--yes'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(fake.state.lambda.functions.size).toBe(1)
    // a plan saved now, then the API's function changed behind its back
    expect((await runCommand(Plan, ['-f', file, '--out', out])).code).toBe(0)
    const fn = fake.state.lambda.functions.get('shop-api-dev')
    if (fn) fn.config.MemorySize = 512
    const stale = await runCommand(Deploy, ['-f', file, '--plan', out, '--yes'])
    expect(stale.code).toBe(4)
    expect(stale.stderr).toContain('in component api')
  })

  it('--target that does not match the components is exit 3 before any AWS call', async () => {
    const r = await runCommand(Plan, ['-f', shop(), '--target', 'lambda'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('--target lambda does not match component web, which deploys to fargate')
    expect(fake.calls).toEqual([])
  })

  it('an unknown component name is exit 3', async () => {
    const r = await runCommand(Deploy, ['-f', shop(), 'shop-front', '--yes'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('no component named shop-front')
  })
})

describe('independent components on the in-memory AWS with latency', () => {
  const fake = useFakeAws({ region: 'us-east-1' })
  beforeEach(() => fake.reset())

  it('runs the steps of independent components at the same time: lambda and container writes interleave', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-pair-'))
    writeFileSync(
      join(dir, 'app.yaml'),
      `name: pair
region: us-east-1
components:
  api:
    target: lambda
    function: { source: ./api, handler: index.handler, runtime: nodejs22.x }
  worker:
    target: fargate
    container: { image: public.ecr.aws/docker/library/busybox:1.36, command: ["sleep", "3600"] }
`,
    )
    cpSync(join(import.meta.dirname, '../../examples/shop/api'), join(dir, 'api'), { recursive: true })
    fake.latencyMs = 20
    const r = await runCommand(Deploy, ['-f', join(dir, 'app.yaml'), '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const services = fake.mutatingCalls().map((c) => c.service)
    const firstLambda = services.indexOf('lambda')
    const lastLambda = services.lastIndexOf('lambda')
    // a container write (ecs, ec2) falls between two lambda writes
    expect(services.slice(firstLambda, lastLambda).some((s) => s === 'ecs' || s === 'ec2')).toBe(true)
    const lambdaCalls = fake.mutatingCalls().filter((c) => c.service === 'lambda' || c.service === 'apigatewayv2')
    const ecsCalls = fake.mutatingCalls().filter((c) => c.service === 'ecs')
    // they overlap in time, not one component after the other
    expect(ecsCalls[0].at).toBeLessThan(lambdaCalls[lambdaCalls.length - 1].at)
  })
})
