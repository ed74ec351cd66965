import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DNS_DRAIN_MS } from '../../src/cli/move.js'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import Move from '../../src/commands/move.js'
import { healthProbe } from '../../src/engine/health-check.js'
import { derivePolicy } from '../../src/engine/policy.js'
import { LOCK_PERMISSIONS } from '../../src/lock/permissions.js'
import { loadTarget } from '../../src/targets/index.js'
import type { FakeCall } from '../fakes/aws.js'
import { addHostedZone } from '../fakes/route53.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { deniedRequests } from '../helpers/iam-evaluator.js'
import { project } from '../helpers/session.js'

/** One app.yaml both targets deploy, with its own domain. */
const APP = `name: shop
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  healthCheckPath: /health
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  domain: api.example.com
`
const NAME = 'api.example.com'
const ORIGINAL = { ...healthProbe }

interface Probe {
  url: string
  via?: string
  status?: number
  /** how many AWS calls had been sent when it was asked */
  callsBefore: number
  /** where the name's A record pointed then */
  recordsAt?: string
}

describe('shipit move with http.domain', () => {
  const fake = useFakeAws()
  let zone: string
  let probes: Probe[]
  /** what the function answers through its HTTP API */
  let functionStatus: number
  /** when set, what the domain asked at the new target's endpoint answers */
  let domainStatus: number | undefined
  /** the pauses of the check and of the move, with how many AWS calls had been sent */
  let pauses: { ms: number; callsBefore: number }[]

  const aliasA = () => fake.state.route53.zones.get(zone)?.records.find((r) => r.Name === `${NAME}.` && r.Type === 'A')?.AliasTarget?.DNSName
  const lbDns = () => `${[...fake.state.elbv2.loadBalancers.values()][0]?.DNSName}.`
  const regionalDns = () => `${fake.state.apigatewayv2.domainNames.get(NAME)?.DomainNameConfigurations[0].ApiGatewayDomainName}.`
  const ourRules = () => [...fake.state.elbv2.rules.values()].filter((r) => fake.state.elbv2.tags.get(r.RuleArn)?.some((t) => t.Key === 'shipit:app'))
  const certificates = () => [...fake.state.acm.certificates.values()]

  /** What the name answers when asked at `via`: an API Gateway domain mapped to an API, or a load balancer with a host rule for it. */
  const answerAt = (host: string, via: string): number => {
    if (domainStatus !== undefined) return domainStatus
    const domain = fake.state.apigatewayv2.domainNames.get(host)
    if (domain?.DomainNameConfigurations[0].ApiGatewayDomainName === via) return fake.state.apigatewayv2.apiMappings.get(host)?.size ? functionStatus : 403
    const lb = [...fake.state.elbv2.loadBalancers.values()].find((l) => l.DNSName === via)
    if (lb) return ourRules().some((r) => r.Conditions[0].HostHeaderConfig.Values.includes(host)) ? 200 : 404
    throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } })
  }

  beforeEach(() => {
    fake.reset()
    zone = addHostedZone(fake.context, 'example.com')
    probes = []
    pauses = []
    functionStatus = 200
    domainStatus = undefined
    // the check's clock and pauses are the test's: no real waiting
    let now = 1_000_000
    healthProbe.now = () => now
    healthProbe.sleep = async (ms) => {
      now += ms
      pauses.push({ ms, callsBefore: fake.calls.length })
    }
    healthProbe.fetch = async (url, _init, via) => {
      const probe: Probe = { url, callsBefore: fake.calls.length, recordsAt: aliasA(), ...(via ? { via } : {}) }
      probes.push(probe)
      const host = new URL(url).hostname
      if (via) probe.status = answerAt(host, via)
      else if (host.endsWith('.on.aws')) probe.status = 200
      else {
        for (const name of fake.state.functions.keys()) fake.setLambdaHandler(name, () => ({ result: { statusCode: functionStatus, body: 'ok' } }))
        probe.status = (await fake.http({ url, method: 'GET' })).statusCode
      }
      return new Response(probe.status >= 500 ? 'boom' : 'ok', { status: probe.status })
    }
  })
  afterEach(() => {
    Object.assign(healthProbe, ORIGINAL)
  })

  const appFile = () => join(project(APP), 'app.yaml')
  const run = async (cmd: typeof Deploy | typeof Destroy, file: string, target: string) => {
    const r = await runCommand(cmd, ['-f', file, '--target', target, '--yes'])
    expect(r.code, r.stderr).toBe(0)
  }
  const domainDeletes = (c: FakeCall) =>
    /^(DeleteDomainName|DeleteApiMapping|DeleteRule|RemoveListenerCertificates|DeleteExpressGatewayService|DeleteFunction)$/.test(c.operation)
  const switches = (c: FakeCall) => c.operation === 'ChangeResourceRecordSets'

  it('fargate → lambda → fargate: the records switch only after the new target answered (its URL and the domain at its endpoint), before the first delete; the certificate stays', async () => {
    const file = appFile()
    await run(Deploy, file, 'fargate')
    const cert = certificates()
    expect(cert).toHaveLength(1)
    expect(aliasA()).toBe(lbDns())

    for (const [from, to] of [
      ['fargate', 'lambda'],
      ['lambda', 'fargate'],
    ]) {
      probes = []
      const before = aliasA()
      const start = fake.calls.length
      const r = await runCommand(Move, ['-f', file, '--from', from, '--to', to, '--yes'])
      expect(r.code, r.stderr).toBe(0)
      const sent = fake.calls.slice(start)
      // every probe saw the records still on the old target; the domain was asked at the new target's endpoint
      expect(probes.length).toBeGreaterThanOrEqual(2)
      expect(probes.every((p) => p.recordsAt === before)).toBe(true)
      const atDomain = probes.find((p) => p.via)
      expect(r.stderr).toContain(`${NAME} now point at ${to}`)
      expect(atDomain).toMatchObject({ url: `https://${NAME}/health`, status: 200 })
      expect(`${atDomain?.via}.`).toBe(to === 'lambda' ? regionalDns() : lbDns())
      // one record switch (an UPSERT of shipit's A and AAAA), after the last probe, before the first delete of the old target
      const switched = sent.filter(switches)
      expect(switched).toHaveLength(1)
      const actions = (switched[0].input as { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: { Type: string } }[] } }).ChangeBatch.Changes
      expect(actions.map((c) => `${c.Action} ${c.ResourceRecordSet.Type}`)).toEqual(['UPSERT A', 'UPSERT AAAA', 'UPSERT TXT'])
      const switchAt = start + sent.indexOf(switched[0])
      const firstDelete = sent.find(domainDeletes)
      expect(firstDelete).toBeDefined()
      expect(switchAt).toBeGreaterThanOrEqual(Math.max(...probes.map((p) => p.callsBefore)))
      expect(switchAt).toBeLessThan(start + sent.indexOf(firstDelete as FakeCall))
      // between them, a minute for resolvers' caches: the old target serves those still sent to it
      const drain = pauses.find((p) => p.ms === DNS_DRAIN_MS && p.callsBefore > switchAt)
      expect(drain?.callsBefore).toBeLessThanOrEqual(start + sent.indexOf(firstDelete as FakeCall))
      // the name now points at the new target; certificate and its validation record stay, nothing of Route 53 was deleted
      expect(aliasA()).toBe(to === 'lambda' ? regionalDns() : lbDns())
      expect(certificates()).toEqual(cert)
      expect(sent.some((c) => c.operation === 'DeleteCertificate')).toBe(false)
      expect(r.stdout).toContain(`url: https://${NAME}/`)
      if (to === 'fargate') {
        expect(fake.state.apigatewayv2.domainNames.has(NAME)).toBe(false)
        expect(ourRules()).toHaveLength(1)
      } else expect(ourRules()).toHaveLength(0)
    }

    // `shipit policy --target fargate --target lambda --for move` allows every request of both moves, the switches included
    const where = { partition: 'aws', region: fake.region, account: fake.account }
    const permissions = [
      ...((await loadTarget('fargate')).catalogue.permissions ?? []),
      ...((await loadTarget('lambda')).catalogue.permissions ?? []),
      ...LOCK_PERMISSIONS,
    ]
    const both = await derivePolicy({ file, target: ['fargate', 'lambda'], for: 'move', account: fake.account, vars: {} })
    const moves = fake.calls.filter((c) => c.operation !== 'GetCallerIdentity')
    expect(deniedRequests(moves, permissions, both.policy, where)).toEqual([])

    // a redeploy of the new target makes zero writes
    fake.calls.length = 0
    await run(Deploy, file, 'fargate')
    expect(fake.mutatingCalls()).toEqual([])

    // destroy of it removes the domain's pieces, the records and the certificate: only the zone's own records stay
    await run(Destroy, file, 'fargate')
    expect(certificates()).toEqual([])
    expect(ourRules()).toEqual([])
    expect(fake.state.route53.zones.get(zone)?.records.map((r) => `${r.Name} ${r.Type}`)).toEqual(['example.com. NS', 'example.com. SOA'])
  }, 120_000)

  it('the plan shows the record switch as its own step, after the check and before the destroy, which keeps certificate and records', async () => {
    const file = appFile()
    await run(Deploy, file, 'fargate')
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    const out = r.stdout
    const at = (text: string) => {
      expect(out).toContain(text)
      return out.indexOf(text)
    }
    const mapping = at(`+ apigatewayv2:api-mapping ${NAME} → $default`)
    const gate = at(`── then, once the lambda URL and the domain asked at it answer /health with a status below 500: point the domain at lambda ──`)
    const records = at(`~ route53:record ${NAME} A, AAAA`)
    const destroy = at("── then, a minute later (resolvers' caches): destroy fargate ──")
    expect([mapping, gate, records, destroy]).toEqual([...[mapping, gate, records, destroy]].sort((a, b) => a - b))
    expect(out.indexOf(`route53:record ${NAME} A, AAAA`)).toBe(records + 2)
    expect(out).toMatch(new RegExp(`= route53:record ${NAME.replace(/\./g, '\\.')} A, AAAA {2}# kept: lambda uses it`))
    expect(out).toMatch(/= acm:certificate api\.example\.com {2}# kept: lambda uses it/)
    expect(out).toMatch(/= route53:record _\w+\.api\.example\.com\. CNAME {2}# kept: the certificate lambda uses is validated by it/)
    expect(out).not.toMatch(/- (acm:certificate|route53:record)/)
  }, 60_000)

  it.each([
    ['its own URL answers 503', () => (functionStatus = 503), /lambda did not come up: .* last 503 boom/],
    [
      'the domain asked at it answers 403 (not the app)',
      () => (domainStatus = 403),
      /lambda did not come up: https:\/\/api\.example\.com\/health \(at d-\w+\.execute-api.* did not answer with 200 .* last 403/,
    ],
  ])(
    'a failed check (%s) leaves the records on the old target and the old target untouched: exit 1',
    async (_, fail, message) => {
      const file = appFile()
      await run(Deploy, file, 'fargate')
      const before = aliasA()
      fail()
      const start = fake.calls.length
      const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--yes', '--check-timeout', '30'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toContain('fargate: left as it was')
      const sent = fake.calls.slice(start)
      expect(sent.filter(switches)).toEqual([])
      expect(sent.filter(domainDeletes)).toEqual([])
      expect(aliasA()).toBe(before)
      expect(ourRules()).toHaveLength(1)
    },
    60_000,
  )
})
