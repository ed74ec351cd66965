import { CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { polling } from '../../../src/aws/waiters.js'
import { ShipitError } from '../../../src/errors.js'
import { createFakeAws, type FakeAws } from '../../fakes/aws.js'
import { deploy, FARGATE_SERVICE, fakeCredentials, isRead, planFor, project } from './helpers.js'

describe('container network', () => {
  let fake: FakeAws | undefined
  beforeAll(() => {
    fakeCredentials()
    polling.intervalMs = 0
  })
  afterEach(() => fake?.restore())

  it('finds the default VPC’s default subnets and creates one security group there, reused afterwards', async () => {
    fake = createFakeAws()
    const dir = project(FARGATE_SERVICE)
    const { plan } = await planFor(dir)
    // default subnets, found with one read (they exist only in the default VPC)
    expect(fake.callsOf('DescribeSubnets').map((c) => c.input)).toEqual([{ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }])
    expect(fake.calls.every((c) => isRead(c.operation))).toBe(true)
    const sg = plan.steps.find((s) => s.id === 'security-group')!
    expect(sg.request.input).toEqual({
      GroupName: 'shipit-web-dev',
      Description: 'shipit: tasks of web (dev)',
      VpcId: 'vpc-0default',
      TagSpecifications: [
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: 'shipit:app', Value: 'web' },
            { Key: 'shipit:env', Value: 'dev' },
            { Key: 'shipit:target', Value: 'fargate' },
          ],
        },
      ],
    })
    expect(plan.steps.find((s) => s.id === 'security-group-ingress')?.request.input).toEqual({
      GroupId: { ref: 'security-group', output: 'GroupId' },
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'container.port, opened by shipit' }] }],
    })

    await deploy(dir)
    // a port change moves the rule: authorize the new port, revoke the old one
    const moved = await planFor(project(FARGATE_SERVICE.replace('port: 80', 'port: 8080')))
    expect(moved.plan.steps.map((s) => s.request.operation)).toEqual([
      'AuthorizeSecurityGroupIngress',
      'RevokeSecurityGroupIngress',
      'RegisterTaskDefinition',
      'UpdateService',
    ])
    expect(moved.plan.steps.filter((s) => s.request.service === 'ec2').map((s) => s.request.input.GroupId)).toEqual([
      expect.stringMatching(/^sg-/),
      expect.stringMatching(/^sg-/),
    ])
  })

  it('a region without a default VPC is a clear error telling the user to set container.network (exit 3)', async () => {
    fake = createFakeAws({ defaultVpc: false })
    const err = (await planFor(project(FARGATE_SERVICE)).catch((e: unknown) => e)) as ShipitError
    expect(err).toBeInstanceOf(ShipitError)
    expect(err.exitCode).toBe(3)
    expect(err.source).toBe('user')
    expect(err.code).toBe('NoDefaultVpc')
    expect(err.message).toBe('us-west-2 has no default VPC (no default subnets) for the tasks to run in')
    expect(err.suggestions[0]).toContain('container.network.subnets')
    expect(fake.mutatingCalls()).toEqual([])
  })

  it('uses container.network when given: its subnets, shipit’s group in their VPC, no public IP unless asked', async () => {
    fake = createFakeAws({ defaultVpc: false })
    const vpc = fake.addVpc({ cidr: '10.1.0.0/16' })
    const yaml = `${FARGATE_SERVICE}  network:\n    subnets: [${vpc.subnetIds[1]}, ${vpc.subnetIds[0]}]\n`
    const first = await deploy(project(yaml))
    expect(first.status).toBe('applied')
    const create = fake.callsOf('CreateService')[0].input
    const sg = [...fake.state.ec2.securityGroups.values()].find((g) => g.GroupName === 'shipit-web-dev')!
    expect(sg.VpcId).toBe(vpc.vpcId)
    expect(create.networkConfiguration).toEqual({
      awsvpcConfiguration: { subnets: [...vpc.subnetIds.slice(0, 2)].sort(), securityGroups: [sg.GroupId], assignPublicIp: 'DISABLED' },
    })
  })

  it('uses the user’s security groups as they are, and manages none', async () => {
    fake = createFakeAws()
    const { GroupId } = await new EC2Client({ region: 'us-west-2' }).send(
      new CreateSecurityGroupCommand({ GroupName: 'web-ingress', Description: 'made by hand', VpcId: 'vpc-0default' }),
    )
    const yaml = `${FARGATE_SERVICE}  network:\n    securityGroups: [${GroupId}]\n    assignPublicIp: true\n`
    const { plan } = await planFor(project(yaml))
    expect(plan.steps.map((s) => s.request.service)).not.toContain('ec2')
    expect(plan.steps.find((s) => s.id === 'service')?.request.input.networkConfiguration).toEqual({
      awsvpcConfiguration: { subnets: ['subnet-0defaulta', 'subnet-0defaultb', 'subnet-0defaultc'], securityGroups: [GroupId], assignPublicIp: 'ENABLED' },
    })
  })

  it('an unknown subnet is the user’s error (exit 3)', async () => {
    fake = createFakeAws()
    const yaml = `${FARGATE_SERVICE}  network:\n    subnets: [subnet-0123456789abcdef0]\n`
    const err = (await planFor(project(yaml)).catch((e: unknown) => e)) as ShipitError
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('UnknownSubnet')
  })
})
