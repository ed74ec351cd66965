import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { renderRunbook } from '../../../src/plan/runbook.js'
import { addCertificate } from '../../fakes/acm.js'
import { addHostedZone, addRecord } from '../../fakes/route53.js'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, planFor, project } from '../../helpers/session.js'

const WEB = `
name: web
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 8080
http:
  domain: [www.example.com, example.com]
`

describe('http.domain on fargate (an Express service)', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const records = (zone: string) => fake.state.route53.zones.get(zone)?.records ?? []

  it('gets its domain from nothing, redeploys with zero writes, puts back a rule Express dropped, and destroy keeps what it did not make', async () => {
    // given a zone with a record and a certificate made by hand
    const zone = addHostedZone(fake.context, 'example.com')
    addRecord(fake.context, zone, { Name: 'mail.example.com', Type: 'MX', TTL: 300, ResourceRecords: [{ Value: '10 mx.example.org' }] })
    const handMade = addCertificate(fake.context, ['other.example.com'])
    const dir = project(WEB, {})

    // the plan's runbook writes the domain as aws commands, reading what Express made before using it
    const planned = await planFor(dir)
    const script = renderRunbook(planned.plan, { catalogue: planned.session.target.catalogue })
    for (const command of [
      'aws ecs describe-service-revisions',
      'aws elbv2 describe-load-balancers',
      'aws elbv2 add-listener-certificates',
      'aws elbv2 create-rule',
    ]) {
      expect(script).toContain(command)
    }

    // when deploying
    const first = await deploy(dir)
    expect(first.status).toBe('applied')

    // then the certificate is ISSUED and on the Express listener, next to Express's own
    const cert = [...fake.state.acm.certificates.values()].find((c) => c.arn !== handMade)
    expect(cert).toMatchObject({ status: 'ISSUED', names: ['www.example.com', 'example.com'] })
    const listener = [...fake.state.elbv2.listeners.values()][0]
    expect(listener.certificates.map((c) => c.CertificateArn)).toContain(cert?.arn)
    // one host rule per name, to the service's target group, tagged as shipit's
    const express = [...fake.state.elbv2.targetGroups.keys()]
    const ours = [...fake.state.elbv2.rules.values()].filter((r) =>
      fake.state.elbv2.tags.get(r.RuleArn)?.some((t) => t.Key === 'shipit:app' && t.Value === 'web'),
    )
    expect(ours.map((r) => r.Conditions[0].HostHeaderConfig.Values[0]).sort()).toEqual(['example.com', 'www.example.com'])
    expect(ours.map((r) => r.Actions[0].TargetGroupArn)).toEqual([express[0], express[0]])
    // alias records to the load balancer
    const lb = [...fake.state.elbv2.loadBalancers.values()][0]
    for (const name of ['example.com.', 'www.example.com.']) {
      expect(records(zone).find((r) => r.Name === name && r.Type === 'A')?.AliasTarget).toMatchObject({
        DNSName: `${lb.DNSName}.`,
        HostedZoneId: lb.CanonicalHostedZoneId,
      })
    }
    expect(first.outputs.url).toBe('https://www.example.com/')
    expect(String(first.outputs.awsUrl)).toMatch(/\.ecs\.us-west-2\.on\.aws/)

    // when deploying again: no writes
    fake.calls.length = 0
    const second = await deploy(dir)
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])

    // when a rule of ours is gone (an Express update replaced what it touches), the next deploy puts it back
    fake.state.elbv2.rules.delete(ours[0].RuleArn)
    fake.calls.length = 0
    await deploy(dir)
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['CreateRule'])

    // when destroying: what shipit made goes, the MX record and the hand-made certificate stay
    const gone = await deploy(dir, { command: 'destroy' })
    expect(gone.status).toBe('applied')
    expect([...fake.state.acm.certificates.keys()]).toEqual([handMade])
    expect(records(zone).map((r) => `${r.Name} ${r.Type}`)).toEqual(['example.com. NS', 'example.com. SOA', 'mail.example.com. MX'])
    expect([...fake.state.elbv2.rules.values()].filter((r) => fake.state.elbv2.tags.get(r.RuleArn))).toEqual([])
  }, 60_000)

  it('refuses to point a name at the app when a record someone else made is there, before any change', async () => {
    // given the app deployed without a domain, and a CNAME someone made at the name
    const zone = addHostedZone(fake.context, 'example.com')
    const dir = project(WEB.replace('http:\n  domain: [www.example.com, example.com]', 'http: {}'), {})
    await deploy(dir)
    addRecord(fake.context, zone, { Name: 'www.example.com', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'somewhere.example.org' }] })
    // when the domain is added
    writeFileSync(join(dir, 'app.yaml'), WEB.replace('domain: [www.example.com, example.com]', 'domain: www.example.com'))
    fake.calls.length = 0
    const { plan } = await planFor(dir)
    // then the plan is blocked on that record, having sent only reads
    expect(plan.blocked.map((b) => b.resource)).toEqual([{ type: 'route53:record', name: 'www.example.com A, AAAA' }])
    expect(fake.mutatingCalls()).toEqual([])
  }, 60_000)
})
