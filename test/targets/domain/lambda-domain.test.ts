import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm'
import { beforeEach, describe, expect, it } from 'vitest'
import { renderText } from '../../../src/plan/render.js'
import { renderRunbook } from '../../../src/plan/runbook.js'
import { addCertificate, validationRecord } from '../../fakes/acm.js'
import { addHostedZone, addRecord } from '../../fakes/route53.js'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, planFor, project } from '../../helpers/session.js'

const APP = `
name: hello
region: us-west-2
function:
  source: ./src
  handler: index.handler
  runtime: nodejs22.x
http:
  domain: api.example.com
`

describe('http.domain on lambda', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const zoneRecords = (id: string) => fake.state.route53.zones.get(id)?.records ?? []

  it('gets its domain from nothing, redeploys with zero writes, and destroy keeps what it did not make', async () => {
    // given a hosted zone for example.com with a record and a certificate made by hand
    const zone = addHostedZone(fake.context, 'example.com')
    addRecord(fake.context, zone, { Name: 'www.example.com', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'example.org' }] })
    const handMade = addCertificate(fake.context, ['www.example.com'])
    const dir = project(APP)

    // when deploying
    const first = await deploy(dir, { target: 'lambda' })

    // then the certificate went PENDING_VALIDATION → ISSUED through its validation CNAME in the zone
    expect(first.status).toBe('applied')
    const certs = [...fake.state.acm.certificates.values()].filter((c) => c.arn !== handMade)
    expect(certs).toHaveLength(1)
    expect(certs[0]).toMatchObject({ domainName: 'api.example.com', status: 'ISSUED' })
    expect(fake.callsOf('RequestCertificate')[0].input).toMatchObject({ DomainName: 'api.example.com', ValidationMethod: 'DNS' })
    const validation = validationRecord(fake.account, 'api.example.com')
    expect(zoneRecords(zone).find((r) => r.Name === validation.Name)?.ResourceRecords).toEqual([{ Value: validation.Value }])
    // a regional TLS 1.2 domain name, mapped to the API's $default stage
    const domain = fake.state.apigatewayv2.domainNames.get('api.example.com')
    expect(domain?.DomainNameConfigurations[0]).toMatchObject({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2', CertificateArn: certs[0].arn })
    const api = [...fake.state.apigatewayv2.apis.values()][0]
    expect([...(fake.state.apigatewayv2.apiMappings.get('api.example.com')?.values() ?? [])]).toEqual([
      expect.objectContaining({ ApiId: api.api.ApiId, Stage: '$default', ApiMappingKey: '' }),
    ])
    // alias A and AAAA to the domain name's regional target, marked as shipit's
    for (const type of ['A', 'AAAA']) {
      expect(zoneRecords(zone).find((r) => r.Name === 'api.example.com.' && r.Type === type)?.AliasTarget).toEqual({
        DNSName: `${domain?.DomainNameConfigurations[0].ApiGatewayDomainName}.`,
        HostedZoneId: 'Z2OJLYMUO9EFXC',
        EvaluateTargetHealth: false,
      })
    }
    expect(zoneRecords(zone).find((r) => r.Name === '_shipit.api.example.com.')?.ResourceRecords).toEqual([{ Value: '"shipit:app=hello shipit:env=dev"' }])
    // the app's own URL first, AWS's second
    expect(Object.keys(first.outputs).slice(0, 2)).toEqual(['url', 'awsUrl'])
    expect(first.outputs.url).toBe('https://api.example.com/')
    expect(first.outputs.awsUrl).toBe(`${api.api.ApiEndpoint}/`)

    // when deploying again
    fake.calls.length = 0
    const second = await deploy(dir, { target: 'lambda' })
    // then nothing is written
    expect(second.status).toBe('no-changes')
    expect(fake.mutatingCalls()).toEqual([])

    // when destroying
    const gone = await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(gone.status).toBe('applied')
    // then what shipit made is gone, and the record and certificate made by hand are still there
    expect(fake.state.apigatewayv2.domainNames.size).toBe(0)
    expect([...fake.state.acm.certificates.keys()]).toEqual([handMade])
    expect(zoneRecords(zone).map((r) => `${r.Name} ${r.Type}`)).toEqual(['example.com. NS', 'example.com. SOA', 'www.example.com. CNAME'])
  }, 30_000)

  it('without a hosted zone: requests the certificate, prints the records to create, exits 1; the next deploy finishes once they exist', async () => {
    const dir = project(APP)

    // when deploying with no hosted zone for the name
    const first = await deploy(dir, { target: 'lambda' }).catch((e) => e)
    // then it fails with the validation record to create, and no domain name or record was made
    const validation = validationRecord(fake.account, 'api.example.com')
    const error = first.error ?? first
    expect(error.exitCode).toBe(1)
    expect(error.message).toContain(`${validation.Name} CNAME ${validation.Value}`)
    expect(fake.state.apigatewayv2.domainNames.size).toBe(0)
    expect(fake.callsOf('ChangeResourceRecordSets')).toEqual([])
    expect([...fake.state.acm.certificates.values()].map((c) => c.status)).toEqual(['PENDING_VALIDATION'])

    // when deploying again, still without the zone: the plan is blocked with the same records, before any change
    fake.calls.length = 0
    const blocked = await planFor(dir, { target: 'lambda' })
    expect(blocked.plan.blocked[0].reason).toContain(`${validation.Name} CNAME ${validation.Value}`)
    expect(fake.mutatingCalls()).toEqual([])

    // when the user creates the zone and the record, then deploys
    const zone = addHostedZone(fake.context, 'api.example.com')
    addRecord(fake.context, zone, { Name: validation.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: validation.Value }] })
    fake.calls.length = 0
    const next = await deploy(dir, { target: 'lambda' })
    // then the same certificate is used, the record made by hand is kept, and the domain is finished
    expect(next.status).toBe('applied')
    expect(fake.callsOf('RequestCertificate')).toEqual([])
    expect(fake.state.acm.certificates.size).toBe(1)
    expect(fake.state.apigatewayv2.domainNames.has('api.example.com')).toBe(true)
    expect(next.outputs.url).toBe('https://api.example.com/')

    // and destroy keeps the validation record the user made
    await deploy(dir, { target: 'lambda', command: 'destroy' })
    expect(zoneRecords(zone).map((r) => `${r.Name} ${r.Type}`)).toEqual(['api.example.com. NS', 'api.example.com. SOA', `${validation.Name} CNAME`])
    expect(fake.state.acm.certificates.size).toBe(0)
  }, 30_000)

  it("a domain-only change's plan reads as certificate, mapping and records, field by field, and as aws commands", async () => {
    // given the app deployed without a domain, and a hosted zone for example.com
    addHostedZone(fake.context, 'example.com')
    const dir = project(APP.replace('  domain: api.example.com', '  routes: [$default]'))
    await deploy(dir, { target: 'lambda' })
    // when the domain is added
    writeFileSync(join(dir, 'app.yaml'), APP)
    const { plan, session } = await planFor(dir, { target: 'lambda' })
    // then only the domain's resources change, in order: certificate, validation record, domain name, mapping, records
    expect(plan.steps.map((s) => `${s.action} ${s.resource.type} ${s.resource.name}`)).toEqual([
      'create acm:certificate api.example.com',
      'run acm:certificate api.example.com',
      expect.stringMatching(/^create route53:record validation of api.example.com$/),
      'run acm:certificate api.example.com',
      'create apigatewayv2:domain-name api.example.com',
      'create apigatewayv2:api-mapping api.example.com → $default',
      'create route53:record api.example.com A, AAAA',
    ])
    const text = renderText(plan, { color: false })
    for (const line of [
      '+ acm:certificate api.example.com',
      '+ DomainName: "api.example.com"',
      '+ ValidationMethod: "DNS"',
      '+ EndpointType: "REGIONAL"',
      '+ SecurityPolicy: "TLS_1_2"',
      '+ apigatewayv2:api-mapping api.example.com → $default',
      '+ Stage: "$default"',
      '+ route53:record api.example.com A, AAAA',
      '+ A alias: (known after apply)',
    ]) {
      expect(text).toContain(line)
    }
    // and --cli writes them as aws commands
    const script = renderRunbook(plan, { catalogue: session.target.catalogue })
    for (const command of [
      'aws acm request-certificate',
      'aws acm describe-certificate',
      'aws route53 change-resource-record-sets',
      'aws acm wait certificate-validated',
      'aws apigatewayv2 create-domain-name',
      'aws apigatewayv2 create-api-mapping',
      'aws route53 wait resource-record-sets-changed',
    ]) {
      expect(script).toContain(command)
    }
  })

  it('a deploy interrupted right after the request resumes with the same certificate, before ACM has given its records', async () => {
    // given shipit's certificate requested a moment ago (its validation records not there yet) and a hosted zone
    addHostedZone(fake.context, 'example.com')
    const tags = [
      { Key: 'shipit:app', Value: 'hello' },
      { Key: 'shipit:env', Value: 'dev' },
    ]
    const { CertificateArn } = await new ACMClient({ region: 'us-west-2' }).send(
      new RequestCertificateCommand({ DomainName: 'api.example.com', ValidationMethod: 'DNS', Tags: tags }),
    )
    fake.calls.length = 0
    // when deploying
    const outcome = await deploy(project(APP), { target: 'lambda' })
    // then it waits for the records, writes them, and the same certificate is issued and used
    expect(outcome.status).toBe('applied')
    expect(fake.callsOf('RequestCertificate')).toEqual([])
    expect(fake.state.acm.certificates.get(CertificateArn ?? '')?.status).toBe('ISSUED')
    expect(fake.state.apigatewayv2.domainNames.get('api.example.com')?.DomainNameConfigurations[0].CertificateArn).toBe(CertificateArn)
  })
})
