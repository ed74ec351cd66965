import type { SecurityGroup, Subnet } from '@aws-sdk/client-ec2'
import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName } from '../../aws/errors.js'
import { invalid } from '../../errors.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { tagList, tagMap } from '../target.js'
import { DEFAULT_SUBNETS_PLACEHOLDER, DEFAULT_VPC_PLACEHOLDER, Ec2, SUBNETS_VPC_PLACEHOLDER } from './catalogue.js'
import type { LaunchProfile } from './profile.js'

/** An inbound rule: from an address range (`cidr`) or from another security group (`sourceGroup`). */
interface IngressRule {
  protocol: string
  fromPort?: number
  toPort?: number
  cidr?: string
  sourceGroup?: string
}

/** What the planner needs of an Express service for the tasks' network. */
export interface ExpressNetwork {
  /** the security groups its tasks use now (none: no service yet) */
  taskGroups: string[]
  /** the groups of the load balancer Express made (ecsManagedResources), read when the tasks use shipit's group */
  loadBalancerGroups: string[]
}

interface ObservedSecurityGroup {
  id: string
  vpcId: string
  tags: Record<string, string>
  ingress: IngressRule[]
}

export interface ObservedNetwork {
  /** the subnets tasks run in: container.network.subnets, else the default VPC's default subnets (sorted) */
  subnets: string[]
  /** the VPC of those subnets, when it had to be read */
  vpcId?: string
  /** security groups with shipit's name (names.securityGroup), in any VPC */
  securityGroups: ObservedSecurityGroup[]
}

/** awsvpcConfiguration as ECS takes it (RunTask, CreateService, UpdateService). */
export interface AwsVpcConfiguration {
  subnets: string[]
  securityGroups: (string | Ref)[]
  assignPublicIp: 'ENABLED' | 'DISABLED'
}

const ANYWHERE = '0.0.0.0/0'

/**
 * Subnets and shipit's security group. Default subnets exist only in a region's default VPC, so
 * `default-for-az` alone finds both the subnets and the VPC, in one call that runs alongside the
 * security-group lookup.
 */
export async function observeNetwork(clients: AwsClients, desired: ContainerDesired): Promise<ObservedNetwork> {
  const given = desired.container?.network
  const [where, groups] = await Promise.all([
    given?.subnets ? (given.securityGroups ? { subnets: [...given.subnets].sort() } : subnetsVpc(clients, given.subnets)) : defaultSubnets(clients),
    clients.send('ec2', 'DescribeSecurityGroups', { Filters: [{ Name: 'group-name', Values: [desired.names.securityGroup] }] }),
  ])
  return {
    ...where,
    securityGroups: ((groups.SecurityGroups ?? []) as SecurityGroup[]).map((g) => ({
      id: g.GroupId ?? '',
      vpcId: g.VpcId ?? '',
      tags: tagMap(g.Tags),
      ingress: (g.IpPermissions ?? []).flatMap((p) => {
        const ports = {
          protocol: p.IpProtocol ?? '-1',
          ...(p.FromPort === undefined ? {} : { fromPort: p.FromPort }),
          ...(p.ToPort === undefined ? {} : { toPort: p.ToPort }),
        }
        return [
          ...(p.IpRanges ?? []).map((r) => ({ ...ports, cidr: r.CidrIp ?? '' })),
          ...(p.UserIdGroupPairs ?? []).map((r) => ({ ...ports, sourceGroup: r.GroupId ?? '' })),
        ]
      }),
    })),
  }
}

async function defaultSubnets(clients: AwsClients): Promise<{ subnets: string[]; vpcId?: string }> {
  const out = await clients.send('ec2', 'DescribeSubnets', { Filters: [{ Name: 'default-for-az', Values: ['true'] }] })
  const subnets = ((out.Subnets ?? []) as Subnet[]).filter((s) => s.State !== 'pending')
  return { subnets: subnets.map((s) => s.SubnetId ?? '').sort(), vpcId: subnets[0]?.VpcId }
}

async function subnetsVpc(clients: AwsClients, ids: string[]): Promise<{ subnets: string[]; vpcId?: string }> {
  try {
    const out = await clients.send('ec2', 'DescribeSubnets', { SubnetIds: ids })
    return { subnets: [...ids].sort(), vpcId: (out.Subnets as Subnet[] | undefined)?.[0]?.VpcId }
  } catch (err) {
    if (awsErrorName(err)?.startsWith('InvalidSubnetID')) {
      throw invalid('UnknownSubnet', `container.network.subnets: ${(err as Error).message}`, ['use subnet ids of this region: aws ec2 describe-subnets'])
    }
    throw err
  }
}

interface PlannedNetwork {
  awsvpc: AwsVpcConfiguration
  /** steps the tasks' network needs before tasks start */
  deps: string[]
}

/**
 * The awsvpc network of the tasks, and the steps that make shipit's security group what app.yaml says.
 * `express`: the app has `http:` and runs as an Express service (see planExpressNetwork).
 */
export function planNetwork(
  b: PartBuilder<ContainerDesired>,
  profile: LaunchProfile,
  network: ObservedNetwork,
  offline: boolean,
  express?: ExpressNetwork,
): PlannedNetwork {
  const { desired } = b
  const spec = desired.container
  if (!spec) throw new Error('container target without a container section')
  const given = spec.network
  if (given?.assignPublicIp && !profile.publicIp) {
    throw invalid(
      'PublicIpUnsupported',
      `container.network.assignPublicIp: tasks of --target ${profile.target} run on EC2 instances in awsvpc mode, which gives them no public IP`,
      ['remove assignPublicIp, or use --target fargate'],
    )
  }

  let subnets: string[]
  if (given?.subnets) subnets = [...given.subnets].sort()
  else if (offline) subnets = [DEFAULT_SUBNETS_PLACEHOLDER]
  else if (network.subnets.length === 0) {
    throw invalid('NoDefaultVpc', `${b.ctx.region} has no default VPC (no default subnets) for the tasks to run in`, [
      'set container.network.subnets (and securityGroups) in app.yaml to subnets of one of your VPCs',
      `or create the default VPC: aws ec2 create-default-vpc --region ${b.ctx.region}`,
    ])
  } else subnets = network.subnets
  // default subnets are public: a task there needs a public IP to pull its image and be reached
  const assignPublicIp = profile.publicIp && (given?.assignPublicIp ?? !given?.subnets) ? 'ENABLED' : 'DISABLED'

  if (given?.securityGroups) return { awsvpc: { subnets, securityGroups: [...given.securityGroups].sort(), assignPublicIp }, deps: [] }
  if (express) return planExpressNetwork(b, network, { subnets, securityGroups: [], assignPublicIp }, express)
  const vpcId = network.vpcId ?? (offline ? (given?.subnets ? SUBNETS_VPC_PLACEHOLDER : DEFAULT_VPC_PLACEHOLDER) : undefined)
  if (!vpcId) throw new Error('the VPC of the subnets was not observed')
  const { groupId, deps } = planSecurityGroup(
    b,
    network.securityGroups.filter((g) => g.vpcId === vpcId),
    vpcId,
  )
  return { awsvpc: { subnets, securityGroups: [groupId], assignPublicIp }, deps }
}

function planSecurityGroup(b: PartBuilder<ContainerDesired>, inVpc: ObservedSecurityGroup[], vpcId: string): { groupId: string | Ref; deps: string[] } {
  const { desired } = b
  const name = desired.names.securityGroup
  const port = desired.container?.port
  const ours = inVpc.find((g) => b.owned(g.tags))
  const existing = ours ?? inVpc[0]
  const deps: string[] = []
  let groupId: string | Ref
  if (!existing) {
    groupId = { ref: 'security-group', output: 'GroupId' }
    deps.push(
      b.add({
        id: 'security-group',
        action: 'create',
        resource: { type: 'ec2:security-group', name },
        reason: port ? `lets tcp ${port} reach the tasks` : 'the tasks’ network interfaces (no inbound traffic)',
        changes: [{ path: 'VpcId', after: vpcId }],
        request: Ec2.CreateSecurityGroup.request({
          GroupName: name,
          Description: `shipit: tasks of ${desired.app} (${desired.env})`,
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tagList(desired.tags) }],
        }),
        dependsOn: [],
      }),
    )
  } else {
    groupId = existing.id
    if (!ours) {
      if (b.refuse('ec2:security-group', name)) return { groupId, deps }
      deps.push(
        b.adopt('security-group-tags', { type: 'ec2:security-group', name }, Ec2.CreateTags.request({ Resources: [existing.id], Tags: tagList(desired.tags) })),
      )
    }
  }

  // shipit's group opens exactly container.port to the world; other rules someone added are left alone
  const wanted: IngressRule[] = port ? [{ protocol: 'tcp', fromPort: port, toPort: port, cidr: ANYWHERE }] : []
  const changed = planIngress(b, groupId, existing?.ingress ?? [], wanted, port ? `container.port is ${port} now` : 'container.port is no longer set')
  deps.push(...changed.added)
  if (existing && !changed.any && ours) b.keep('ec2:security-group', name, `${existing.id}${port ? `, tcp ${port} open` : ''}`)
  return { groupId, deps }
}

const sameRule = (x: IngressRule, y: IngressRule) =>
  x.protocol === y.protocol && x.fromPort === y.fromPort && x.toPort === y.toPort && x.cidr === y.cidr && x.sourceGroup === y.sourceGroup
const peerOf = (r: IngressRule) => r.cidr ?? r.sourceGroup ?? ''
const portsOf = (r: IngressRule) => `tcp ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`

function permission(r: IngressRule, description?: string) {
  const described = description ? { Description: description } : {}
  return {
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.sourceGroup ? { UserIdGroupPairs: [{ GroupId: r.sourceGroup, ...described }] } : { IpRanges: [{ CidrIp: r.cidr, ...described }] }),
  }
}

/**
 * The wanted rules added, and every tcp rule from 0.0.0.0/0 that is not wanted revoked (other rules
 * someone added are left alone). Returns the ids of the steps that add rules, and whether any step was planned.
 */
function planIngress(
  b: PartBuilder<ContainerDesired>,
  groupId: string | Ref,
  have: IngressRule[],
  wanted: IngressRule[],
  whyRevoked: string,
): { added: string[]; any: boolean } {
  const name = b.desired.names.securityGroup
  const missing = wanted.filter((w) => !have.some((h) => sameRule(h, w)))
  const extra = have.filter((h) => h.cidr === ANYWHERE && h.protocol === 'tcp' && !wanted.some((w) => sameRule(h, w)))
  const added: string[] = []
  if (missing.length) {
    added.push(
      b.add({
        id: 'security-group-ingress',
        action: 'create',
        resource: { type: 'ec2:security-group-rule', name: `${name} ${missing.map((r) => `${portsOf(r)} from ${peerOf(r)}`).join(', ')}` },
        request: Ec2.AuthorizeSecurityGroupIngress.request({
          GroupId: groupId,
          IpPermissions: missing.map((r) =>
            permission(r, r.sourceGroup ? 'container.port from the Express load balancer, opened by shipit' : 'container.port, opened by shipit'),
          ),
        }),
        dependsOn: [],
        okErrors: ['InvalidPermission.Duplicate'],
      }),
    )
  }
  if (extra.length) {
    b.add({
      id: 'security-group-revoke',
      action: 'delete',
      resource: { type: 'ec2:security-group-rule', name: `${name} ${extra.map(portsOf).join(', ')} from ${ANYWHERE}` },
      reason: whyRevoked,
      request: Ec2.RevokeSecurityGroupIngress.request({ GroupId: groupId, IpPermissions: extra.map((r) => permission(r)) }),
      dependsOn: [],
      okErrors: ['InvalidPermission.NotFound'],
    })
  }
  return { added, any: missing.length > 0 || extra.length > 0 }
}

/**
 * An Express service's tasks are reached only through the load balancer Express made, never from
 * 0.0.0.0/0. A new service gets no security group from shipit: Express makes one and owns it, open to
 * its load balancer's group alone. A service whose tasks use shipit's group (deployed by an earlier
 * version of shipit) keeps it, and the group admits container.port from the load balancer's groups
 * only (ecsManagedResources of the service revision); its 0.0.0.0/0 rule is revoked, shown in the plan.
 */
function planExpressNetwork(b: PartBuilder<ContainerDesired>, network: ObservedNetwork, awsvpc: AwsVpcConfiguration, express: ExpressNetwork): PlannedNetwork {
  const port = b.desired.container?.port
  const ours = network.securityGroups.find((g) => b.owned(g.tags) && (!network.vpcId || g.vpcId === network.vpcId))
  if (!ours) return { awsvpc, deps: [] }
  const used = express.taskGroups.includes(ours.id)
  const wanted: IngressRule[] =
    used && port ? express.loadBalancerGroups.map((sourceGroup) => ({ protocol: 'tcp', fromPort: port, toPort: port, sourceGroup })) : []
  if (used && !express.loadBalancerGroups.length)
    b.warnings.push(
      `the Express load balancer's security group is not known yet (ECS reports none for the service revision): tcp ${port} is not opened to it; deploy again once the service is ACTIVE`,
    )
  const changed = planIngress(
    b,
    ours.id,
    ours.ingress,
    wanted,
    used ? 'only the Express load balancer may reach the tasks' : 'not used by the Express service, which has its own group',
  )
  if (!changed.any)
    b.keep('ec2:security-group', b.desired.names.securityGroup, `${ours.id}${used ? `, tcp ${port} from the load balancer only` : ', not used'}`)
  return { awsvpc: { ...awsvpc, securityGroups: used ? [ours.id] : [] }, deps: changed.added }
}

export { DEFAULT_SUBNETS_PLACEHOLDER, DEFAULT_VPC_PLACEHOLDER }
