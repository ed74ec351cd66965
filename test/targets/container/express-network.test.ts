import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2'
import {
  DescribeExpressGatewayServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  ECSClient,
  UpdateExpressGatewayServiceCommand,
} from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'
import { useFakeAws } from '../../helpers/fake.js'
import { deploy, planFor, project } from './helpers.js'

/** A web app with a URL: an Express service on fargate. */
const WEB = `
name: web
region: us-west-2
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 8080
http: {}
`
const PORT = 8080
const SHIPIT_GROUP = 'shipit-web-dev'

/** The inbound rules on the container port of a group, by their source. */
function portSources(permissions: IpPermission[] | undefined): string[] {
  return (permissions ?? [])
    .filter((p) => p.IpProtocol === 'tcp' && p.FromPort === PORT)
    .flatMap((p) => [...(p.IpRanges ?? []).map((r) => r.CidrIp ?? ''), ...(p.UserIdGroupPairs ?? []).map((g) => g.GroupId ?? '')])
}

describe("the Express service's tasks are reached only through its load balancer", () => {
  const fake = useFakeAws()
  const ec2 = new EC2Client({ region: 'us-west-2' })
  const ecs = new ECSClient({ region: 'us-west-2' })
  beforeEach(() => fake.reset())

  const serviceArn = () => [...fake.state.ecs.services.values()].find((s) => s.serviceName === 'web-dev')!.serviceArn as string

  /** The service's current revision: its subnets, the tasks' security groups and the load balancer's. */
  async function groupsOfService(): Promise<{ subnets: string[]; tasks: string[]; loadBalancer: string[] }> {
    const { service } = await ecs.send(new DescribeExpressGatewayServiceCommand({ serviceArn: serviceArn() }))
    const revision = service!.activeConfigurations![0].serviceRevisionArn!
    const { serviceRevisions } = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [revision] }))
    const r = serviceRevisions![0]
    return {
      subnets: r.networkConfiguration?.awsvpcConfiguration?.subnets ?? [],
      tasks: r.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [],
      loadBalancer: r.ecsManagedResources?.ingressPaths?.[0]?.loadBalancer?.securityGroupIds ?? [],
    }
  }

  it('a new service: shipit opens nothing; the tasks are in the group Express made, open to the load balancer only', async () => {
    // when deploying an app with http:
    const first = await deploy(project(WEB))

    // then shipit made no security group and no rule, and named none to Express
    expect(fake.callsOf('CreateSecurityGroup')).toEqual([])
    expect(fake.callsOf('AuthorizeSecurityGroupIngress')).toEqual([])
    expect(fake.callsOf('CreateExpressGatewayService')[0].input.networkConfiguration.securityGroups).toBeUndefined()
    expect(first.plan.steps.map((s) => s.resource.type)).not.toContain('ec2:security-group-rule')

    // and the tasks' group has no 0.0.0.0/0 rule on the container port: only the load balancer's group
    const { tasks, loadBalancer } = await groupsOfService()
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: tasks }))
    expect(SecurityGroups!.flatMap((g) => portSources(g.IpPermissions))).toEqual(loadBalancer)

    // and a redeploy changes nothing (Express's own group is not a difference)
    const again = await planFor(project(WEB))
    expect(again.plan.steps).toEqual([])
  })

  it('a service on a group with 0.0.0.0/0 on the container port (an earlier shipit made it) is corrected by the next deploy', async () => {
    // given an Express service deployed, then moved onto shipit's group as earlier versions made it: port open to the world
    const dir = project(WEB)
    await deploy(dir)
    const vpc = fake.state.ec2.securityGroups.get('sg-0default')!.VpcId
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: SHIPIT_GROUP,
        Description: 'shipit: tasks of web (dev)',
        VpcId: vpc,
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
      }),
    )
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: PORT, ToPort: PORT, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    )
    const { subnets } = await groupsOfService()
    const moved = await ecs.send(
      new UpdateExpressGatewayServiceCommand({ serviceArn: serviceArn(), networkConfiguration: { subnets, securityGroups: [GroupId!] } }),
    )
    expect(moved.service?.targetConfiguration?.networkConfiguration?.securityGroups).toEqual([GroupId])
    // (the canary runs to its end)
    const dep = (await ecs.send(new DescribeExpressGatewayServiceCommand({ serviceArn: serviceArn() }))).service!.currentDeployment!
    for (let i = 0; i < 10; i++) await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [dep] }))
    expect((await groupsOfService()).tasks).toEqual([GroupId])
    const { loadBalancer } = await groupsOfService()

    // when planning the next deploy: the 0.0.0.0/0 rule is deleted, the load balancer's group admitted, the service left on the group
    const next = await planFor(dir)
    const rules = next.plan.steps.filter((s) => s.resource.type === 'ec2:security-group-rule')
    expect(rules.map((s) => [s.action, s.resource.name])).toEqual([
      ['create', `${SHIPIT_GROUP} tcp ${PORT} from ${loadBalancer[0]}`],
      ['delete', `${SHIPIT_GROUP} tcp ${PORT} from 0.0.0.0/0`],
    ])
    expect(next.plan.steps.map((s) => s.request.operation)).not.toContain('UpdateExpressGatewayService')
    await deploy(dir)

    // then the group has no 0.0.0.0/0 rule on the container port, only the load balancer's group
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))
    expect(portSources(SecurityGroups![0].IpPermissions)).toEqual(loadBalancer)
    // and the deploy after that changes nothing
    expect((await planFor(dir)).plan.steps).toEqual([])
  })
})
