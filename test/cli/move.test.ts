import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Move from '../../src/commands/move.js'
import Status from '../../src/commands/status.js'
import { healthProbe } from '../../src/engine/health-check.js'
import { derivePolicy } from '../../src/engine/policy.js'
import { LOCK_PERMISSIONS } from '../../src/lock/permissions.js'
import type { TargetName } from '../../src/manifest/schema.js'
import { loadTarget } from '../../src/targets/index.js'
import type { FakeCall } from '../fakes/aws.js'
import { ROOT } from '../helpers/cli.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { deniedRequests } from '../helpers/iam-evaluator.js'
import { project } from '../helpers/session.js'
import { fakeCli } from '../targets/container/image-helpers.js'

/** One app.yaml that both targets deploy: a zip function with http:, and an image with a port behind http: (Express on fargate). */
const TWO_TARGET_APP = `name: shop
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  healthCheckPath: /health
function:
  handler: index.handler
  runtime: nodejs22.x
http: {}
`

/**
 * The apps a move round-trips, each with the two targets it moves between: an app.yaml with a handler
 * and a container, and hello-web, the same image on fargate (Express) and as a Lambda image function
 * with the Web Adapter.
 */
const MOVABLE_APPS: { name: string; app: string; file: () => string; a: TargetName; b: TargetName }[] = [
  { name: 'a zip function and an image (lambda ↔ fargate)', app: 'shop', file: () => join(project(TWO_TARGET_APP), 'app.yaml'), a: 'fargate', b: 'lambda' },
  { name: 'hello-web (an image on fargate ↔ an image function)', app: 'hello-web', file: () => exampleCopy('hello-web'), a: 'fargate', b: 'lambda' },
]

/** A copy of an example of the repository (a build writes nothing into it). */
function exampleCopy(example: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-move-'))
  cpSync(join(ROOT, 'examples', example), dir, { recursive: true })
  return join(dir, 'app.yaml')
}

const ORIGINAL = { ...healthProbe }

interface Probe {
  url: string
  status?: number
  /** how many AWS calls had been sent when the answer came */
  callsBefore: number
  at: number
}

describe('shipit move', () => {
  const fake = useFakeAws()
  let probes: Probe[]
  /** what the Express URL answers (the fake simulates only the HTTP API's execute-api endpoint) */
  let expressStatus: number
  /** what the function answers through its HTTP API */
  let functionStatus: number
  let onProbe: (() => void) | undefined
  let fakeNow: number

  beforeEach(() => {
    fake.reset()
    probes = []
    expressStatus = 200
    functionStatus = 200
    onProbe = undefined
    fakeNow = 1_000_000
    // apps built from source (a row of MOVABLE_APPS) build and push with the fake container CLI
    const cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
    for (const [k, v] of Object.entries(cli.env)) vi.stubEnv(k, v)
    vi.stubEnv('SHIPIT_CONTAINER_CLI', '')
    // the check's clock and pauses are the test's: no real waiting
    healthProbe.now = () => fakeNow
    healthProbe.sleep = async (ms) => {
      fakeNow += ms
    }
    healthProbe.fetch = async (url) => {
      onProbe?.()
      const host = new URL(url).hostname
      const probe: Probe = { url, callsBefore: fake.calls.length, at: Date.now() }
      probes.push(probe)
      if (host.endsWith('.on.aws')) {
        probe.status = expressStatus
        return new Response(expressStatus >= 500 ? 'upstream connect error' : 'ok', { status: expressStatus })
      }
      for (const name of fake.state.functions.keys()) {
        fake.setLambdaHandler(name, () => ({ result: { statusCode: functionStatus, body: functionStatus >= 500 ? 'boom' : 'ok' } }))
      }
      const answer = await fake.http({ url, method: 'GET' })
      probe.status = answer.statusCode
      return new Response(answer.body, { status: answer.statusCode })
    }
  })
  afterEach(() => {
    Object.assign(healthProbe, ORIGINAL)
    vi.unstubAllEnvs()
  })

  const deploy = async (file: string, target: string) => {
    const r = await runCommand(Deploy, ['-f', file, '--target', target, '--yes'])
    expect(r.code, r.stderr).toBe(0)
  }
  const expressService = (app = 'shop') => [...fake.state.services.values()].find((s) => s.serviceName === `${app}-dev` && s.status === 'ACTIVE')
  const isDelete = (c: FakeCall) => c.service !== 'dynamodb' && /^(Delete|Deregister|Detach|Stop|Remove)/.test(c.operation)

  describe.each(MOVABLE_APPS)('$name', ({ app, file: fileOf, a, b }) => {
    it(`round-trips ${a} → ${b} → ${a}: each time the new URL answers before the first delete of the old target`, async () => {
      const file = fileOf()
      await deploy(file, a)
      for (const [from, to] of [
        [a, b],
        [b, a],
      ]) {
        probes = []
        const start = fake.calls.length
        const r = await runCommand(Move, ['-f', file, '--from', from, '--to', to, '--yes'])
        expect(r.code, r.stderr).toBe(0)
        const firstOk = probes.find((p) => p.status !== undefined && p.status < 500)
        expect(firstOk, 'the check answered').toBeDefined()
        const deletes = fake.calls.slice(start).filter(isDelete)
        expect(deletes.length).toBeGreaterThan(0)
        // by the call log: no delete was sent before the answer; by the clock: none before it either
        expect(start + fake.calls.slice(start).indexOf(deletes[0])).toBeGreaterThanOrEqual(firstOk?.callsBefore ?? Number.POSITIVE_INFINITY)
        expect(deletes[0].at).toBeGreaterThanOrEqual(firstOk?.at ?? Number.POSITIVE_INFINITY)
        expect(r.stdout).toContain(`Moved ${app} (dev) from ${from} to ${to}`)
        expect(r.stdout).toMatch(/^url: https:\/\//m)
        expect(r.stdout).toMatch(/^was: https:\/\//m)
        // the check asked the health path of the new URL
        expect(new URL(firstOk?.url ?? 'x:').pathname).toBe('/health')
        // the shared log group stays: the new target writes to it
        expect(fake.state.logGroups.has(`/shipit/${app}/dev`)).toBe(true)
        if (to === 'lambda') {
          expect(fake.state.functions.has(`${app}-dev`)).toBe(true)
          expect(expressService(app)).toBeUndefined()
        } else {
          expect(expressService(app)).toBeDefined()
          expect(fake.state.functions.has(`${app}-dev`)).toBe(false)
          expect(fake.state.apis.size).toBe(0)
        }
      }
      // the lock was taken once per move and released
      expect(fake.lockCalls().some((c) => c.operation === 'DeleteItem')).toBe(true)
      // `shipit policy --target A --target B --for move` allows every request of both moves; one target's alone does not
      const where = { partition: 'aws', region: fake.region, account: fake.account }
      const permissions = [...((await loadTarget(a)).catalogue.permissions ?? []), ...((await loadTarget(b)).catalogue.permissions ?? []), ...LOCK_PERMISSIONS]
      const moves = fake.calls.filter((c) => c.operation !== 'GetCallerIdentity')
      const both = await derivePolicy({ file, target: [a, b], for: 'move', account: fake.account, vars: {} })
      expect(both.targets).toEqual([a, b].sort((x, y) => ['fargate', 'ecs', 'lambda'].indexOf(x) - ['fargate', 'ecs', 'lambda'].indexOf(y)))
      expect(both.for).toEqual(['plan', 'deploy', 'destroy'])
      expect(deniedRequests(moves, permissions, both.policy, where)).toEqual([])
      const one = await derivePolicy({ file, target: b, for: 'move', account: fake.account, vars: {} })
      expect(deniedRequests(moves, permissions, one.policy, where).length).toBeGreaterThan(0)
      // two deploys, two destroys and a policy proof: more than the default 20 s on a loaded machine
    }, 90_000)
  })

  it('shows one plan with both halves and the cost before and after; --dry-run changes nothing', async () => {
    const file = join(project(TWO_TARGET_APP), 'app.yaml')
    await deploy(file, 'fargate')
    const start = fake.calls.length
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/shipit move plan — app shop · env dev · from fargate to lambda/)
    expect(r.stdout).toMatch(/estimated cost: \$\d+\.\d\d\/month on fargate → \$\d+\.\d\d\/month on lambda \(-\$\d+\.\d\d\/month\)/)
    expect(r.stdout).toContain('shipit deploy plan')
    expect(r.stdout).toContain('+ lambda:function shop-dev')
    expect(r.stdout).toContain('once the lambda URL answers /health with a status below 500: destroy fargate')
    expect(r.stdout).toContain('shipit destroy plan')
    expect(r.stdout).toContain('- ecs:express-service shop-dev')
    expect(r.stdout).toMatch(/= logs:log-group \/shipit\/shop\/dev {2}# kept: lambda uses it/)
    expect(r.stdout).not.toMatch(/- logs:log-group/)
    const after = fake.calls.slice(start)
    expect(after.filter((c) => !/^(Get|List|Describe)/.test(c.operation) && c.operation !== 'GetCallerIdentity')).toEqual([])
    expect(probes).toEqual([])
  })

  it('--json --dry-run: one document with both plans', async () => {
    const file = join(project(TWO_TARGET_APP), 'app.yaml')
    await deploy(file, 'fargate')
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.kind).toBe('plan')
    expect(doc.move.deploy.command).toBe('deploy')
    expect(doc.move.deploy.target).toBe('lambda')
    expect(doc.move.destroy.command).toBe('destroy')
    expect(doc.move.destroy.target).toBe('fargate')
    expect(doc.move.healthPath).toBe('/health')
  })

  it.each([
    ['a 5xx', () => (functionStatus = 503), /lambda did not come up: .* last 503 boom/],
    [
      'no answer',
      () => {
        healthProbe.fetch = async () => {
          throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
        }
      },
      /lambda did not come up: .* last ECONNREFUSED/,
    ],
  ])('a new target that fails its check (%s) leaves the old one serving, untouched: exit 1', async (_, fail, message) => {
    const file = join(project(TWO_TARGET_APP), 'app.yaml')
    await deploy(file, 'fargate')
    const before = structuredClone(expressService())
    fail()
    const start = fake.calls.length
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--yes', '--check-timeout', '30'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toContain('fargate: left as it was (not one call changed it); it still serves')
    expect(r.stderr).toContain('shipit destroy --target lambda')
    expect(r.stderr).toContain('shipit move --from fargate --to lambda')
    const sent = fake.calls.slice(start)
    // not one call that changes the old target: nothing deleted, nothing sent to ECS but reads
    expect(sent.filter(isDelete)).toEqual([])
    expect(sent.filter((c) => c.service === 'ecs' && !/^(Describe|List)/.test(c.operation))).toEqual([])
    expect(expressService()).toEqual(before)
    // the new target stays deployed, and the check gave up within its bound (the test's clock)
    expect(fake.state.functions.has('shop-dev')).toBe(true)
    expect(fakeNow - 1_000_000).toBeLessThanOrEqual(30_000)
    // status shows the half-done move: both targets live
    const status = await runCommand(Status, ['-f', file, '--json'])
    expect(status.code, status.stderr).toBe(0)
    const doc = JSON.parse(status.stdout)
    expect(doc.targets.map((t: { target: string }) => t.target).sort()).toEqual(['fargate', 'lambda'])
    expect(doc.targets.find((t: { target: string }) => t.target === 'fargate').default).toBe(true)
    const text = await runCommand(Status, ['-f', file])
    expect(text.stdout).toMatch(/shop \(dev\) on fargate in us-west-2: deployed \(target: in app\.yaml\)/)
    expect(text.stdout).toMatch(/shop \(dev\) on lambda in us-west-2: deployed/)
    expect(text.stderr).toContain('deployed on 2 targets')
  })

  it('SIGINT during the check: exit 130, nothing of the old target deleted', async () => {
    const file = join(project(TWO_TARGET_APP), 'app.yaml')
    await deploy(file, 'fargate')
    functionStatus = 503
    let sent = false
    onProbe = () => {
      if (!sent) {
        sent = true
        process.emit('SIGINT', 'SIGINT')
      }
    }
    const start = fake.calls.length
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--yes'])
    expect(r.code).toBe(130)
    expect(r.stderr).toContain('move interrupted before fargate was destroyed')
    expect(fake.calls.slice(start).filter(isDelete)).toEqual([])
    expect(expressService()).toBeDefined()
  })

  describe('refuses', () => {
    it('when the app is not deployed on --from: exit 1, what to do', async () => {
      const file = join(project(TWO_TARGET_APP), 'app.yaml')
      const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--yes'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('shop (dev) is not deployed on fargate in us-west-2: nothing to move')
      expect(r.stderr).toContain('shipit deploy --target lambda')
      expect(fake.mutatingCalls()).toEqual([])
    })

    it('when --to is --from: exit 3, no AWS call', async () => {
      const file = join(project(TWO_TARGET_APP), 'app.yaml')
      const r = await runCommand(Move, ['-f', file, '--from', 'lambda', '--to', 'lambda', '--yes'])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain('--from and --to are both lambda')
      expect(fake.calls).toEqual([])
    })

    it('when app.yaml cannot go to --to: exit 3 at the line:col of the rule, no AWS call', async () => {
      // a container with no http: and no function: (hello-fargate) cannot go to lambda
      const file = exampleCopy('hello-fargate')
      const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--yes'])
      expect(r.code).toBe(3)
      expect(r.stderr).toMatch(/app\.yaml:\d+:\d+: target lambda needs a function: section/)
      expect(fake.calls).toEqual([])
    })
  })

  describe('status of an app.yaml with two targets', () => {
    it("one target live, the manifest's: the single-target output, unchanged", async () => {
      const file = join(project(TWO_TARGET_APP), 'app.yaml')
      await deploy(file, 'fargate')
      const r = await runCommand(Status, ['-f', file])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^shop \(dev\) on fargate in us-west-2: deployed\n/)
      expect(r.stdout).not.toContain('lambda')
      expect(r.stderr).not.toContain('targets')
    })

    it('live only on the other target (a move done, target: not changed): exit 1, saying where it is', async () => {
      const file = join(project(TWO_TARGET_APP), 'app.yaml')
      await deploy(file, 'lambda')
      const r = await runCommand(Status, ['-f', file])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('shop (dev) is not deployed on fargate in us-west-2')
      expect(r.stderr).toContain('it is deployed on lambda: shipit status --target lambda')
      // --target reads that one target only, as before
      const one = await runCommand(Status, ['-f', file, '--target', 'lambda', '--json'])
      expect(one.code, one.stderr).toBe(0)
      const doc = JSON.parse(one.stdout)
      expect(doc).toMatchObject({ target: 'lambda', deployed: true })
      expect(doc.targets).toBeUndefined()
    })
  })
})
