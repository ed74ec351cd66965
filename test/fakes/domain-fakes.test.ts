import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm'
import { ApiGatewayV2Client, CreateDomainNameCommand } from '@aws-sdk/client-apigatewayv2'
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53'
import { beforeEach, describe, expect, it } from 'vitest'
import { useFakeAws } from '../helpers/fake.js'
import { addHostedZone, addRecord } from './route53.js'

/** The ACM, Route 53 and API Gateway domain-name models answer as the API references say. */
describe('the fake of custom domains', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())
  const acm = () => new ACMClient({ region: 'us-west-2' })
  const r53 = () => new Route53Client({ region: 'us-west-2' })

  it('Route 53: CREATE of a record that exists and DELETE with other values fail with InvalidChangeBatch, the batch whole', async () => {
    const zone = addHostedZone(fake.context, 'example.com')
    addRecord(fake.context, zone, { Name: 'api.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] })
    const create = r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [
            { Action: 'CREATE', ResourceRecordSet: { Name: 'new.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.2' }] } },
            { Action: 'CREATE', ResourceRecordSet: { Name: 'api.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.3' }] } },
          ],
        },
      }),
    )
    await expect(create).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: "[Tried to create resource record set [name='api.example.com.', type='A'] but it already exists]",
    })
    // nothing of the batch applied
    expect(fake.state.route53.zones.get(zone)?.records.map((r) => r.Name)).not.toContain('new.example.com.')
    const del = r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [{ Action: 'DELETE', ResourceRecordSet: { Name: 'api.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.9' }] } }],
        },
      }),
    )
    await expect(del).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: "[Tried to delete resource record set [name='api.example.com.', type='A'] but the values provided do not match the current values]",
    })
    // an UPSERT is PENDING, then INSYNC
    const upsert = await r53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: `/hostedzone/${zone}`,
        ChangeBatch: {
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'api.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.4' }] } }],
        },
      }),
    )
    expect(upsert.ChangeInfo?.Status).toBe('PENDING')
    await r53().send(new GetChangeCommand({ Id: upsert.ChangeInfo?.Id }))
    expect((await r53().send(new GetChangeCommand({ Id: upsert.ChangeInfo?.Id }))).ChangeInfo?.Status).toBe('INSYNC')
    expect((await r53().send(new ListHostedZonesByNameCommand({}))).HostedZones?.map((z) => z.Name)).toEqual(['example.com.'])
  })

  it('ACM: PENDING_VALIDATION until its CNAME is in DNS, then ISSUED; API Gateway refuses it before; in use, it cannot be deleted', async () => {
    const zone = addHostedZone(fake.context, 'example.com')
    const { CertificateArn } = await acm().send(new RequestCertificateCommand({ DomainName: 'api.example.com', ValidationMethod: 'DNS' }))
    const describe = async () => (await acm().send(new DescribeCertificateCommand({ CertificateArn }))).Certificate
    // the record shows from the second read on, as ACM fills it in after the request
    expect((await describe())?.DomainValidationOptions?.[0].ResourceRecord).toBeUndefined()
    const record = (await describe())?.DomainValidationOptions?.[0].ResourceRecord
    expect(record).toMatchObject({ Type: 'CNAME', Name: expect.stringMatching(/^_[0-9a-f]{32}\.api\.example\.com\.$/) })
    const apigw = new ApiGatewayV2Client({ region: 'us-west-2' })
    const domain = () =>
      apigw.send(new CreateDomainNameCommand({ DomainName: 'api.example.com', DomainNameConfigurations: [{ CertificateArn, EndpointType: 'REGIONAL' }] }))
    await expect(domain()).rejects.toMatchObject({ name: 'BadRequestException' })
    expect((await describe())?.Status).toBe('PENDING_VALIDATION')
    addRecord(fake.context, zone, { Name: record?.Name ?? '', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: record?.Value }] })
    await describe()
    expect((await describe())?.Status).toBe('ISSUED')
    const made = await domain()
    expect(made.DomainNameConfigurations?.[0]).toMatchObject({
      ApiGatewayDomainName: expect.stringMatching(/^d-[a-z0-9]+\.execute-api\.us-west-2\.amazonaws\.com$/),
      HostedZoneId: 'Z2OJLYMUO9EFXC',
    })
    expect((await describe())?.InUseBy).toEqual(['arn:aws:apigateway:us-west-2::/domainnames/api.example.com'])
    await expect(acm().send(new DeleteCertificateCommand({ CertificateArn }))).rejects.toMatchObject({ name: 'ResourceInUseException' })
  })
})
