import type { FakeContext } from './context.js'
import { awsError, globMatch, type Handlers } from './core.js'

type Rec = Record<string, any>
type Tag = { Key: string; Value: string }

/** SDK SecurityGroupRule shape (DescribeSecurityGroupRules) */
export interface SecurityGroupRuleRecord {
  SecurityGroupRuleId: string
  GroupId: string
  GroupOwnerId: string
  IsEgress: boolean
  IpProtocol: string
  FromPort: number
  ToPort: number
  CidrIpv4?: string
  CidrIpv6?: string
  PrefixListId?: string
  ReferencedGroupInfo?: { GroupId: string; UserId: string }
  Description?: string
  Tags: Tag[]
}

/** SDK SecurityGroup shape; IpPermissions/IpPermissionsEgress are derived from `rules` */
export interface SecurityGroupRecord extends Rec {
  GroupId: string
  GroupName: string
  VpcId: string
  Tags: Tag[]
  rules: SecurityGroupRuleRecord[]
}

export interface Ec2State {
  vpcs: Map<string, Rec>
  subnets: Map<string, Rec>
  securityGroups: Map<string, SecurityGroupRecord>
  networkInterfaces: Map<string, Rec>
  /** EC2 instances (SDK Instance shape); the fake creates one per ECS container instance */
  instances: Map<string, Rec>
}

export function createEc2State(): Ec2State {
  return { vpcs: new Map(), subnets: new Map(), securityGroups: new Map(), networkInterfaces: new Map(), instances: new Map() }
}

const err = (name: string, message: string) => awsError('ec2', name, message, 400)

function azId(region: string, i: number): string {
  const parts = region.split('-')
  return `${parts[0]}${parts[1][0]}${parts[1].includes('east') && parts[1] !== 'east' ? 'e' : ''}${parts[2]}-az${i + 1}`
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}

export interface AddVpcOptions {
  vpcId?: string
  cidr?: string
  isDefault?: boolean
  /** one subnet per AZ letter; default ['a','b','c'] */
  azs?: string[]
  subnetIds?: string[]
  tags?: Tag[]
  /** public subnets map public IPs on launch; default = isDefault */
  mapPublicIpOnLaunch?: boolean
}

/** Adds a VPC with one /20 subnet per AZ and its 'default' security group. */
export function addVpc(ctx: FakeContext, o: AddVpcOptions = {}): { vpcId: string; subnetIds: string[]; defaultSecurityGroupId: string } {
  const ec2 = ctx.state.ec2
  const isDefault = o.isDefault ?? false
  const vpcId = o.vpcId ?? (isDefault ? 'vpc-0default' : `vpc-${ctx.ids.hex(17)}`)
  const cidr = o.cidr ?? (isDefault ? '172.31.0.0/16' : '10.0.0.0/16')
  ec2.vpcs.set(vpcId, {
    CidrBlock: cidr,
    DhcpOptionsId: isDefault ? 'dopt-0default' : `dopt-${ctx.ids.hex(17)}`,
    State: 'available',
    VpcId: vpcId,
    OwnerId: ctx.account,
    InstanceTenancy: 'default',
    CidrBlockAssociationSet: [{ AssociationId: `vpc-cidr-assoc-${ctx.ids.hex(17)}`, CidrBlock: cidr, CidrBlockState: { State: 'associated' } }],
    IsDefault: isDefault,
    Tags: [...(o.tags ?? [])],
  })
  const base = ipToInt(cidr.split('/')[0])
  const azs = o.azs ?? ['a', 'b', 'c']
  const subnetIds = azs.map((az, i) => {
    const id = o.subnetIds?.[i] ?? (isDefault ? `subnet-0default${az}` : `subnet-${ctx.ids.hex(17)}`)
    ec2.subnets.set(id, {
      AvailabilityZone: `${ctx.region}${az}`,
      AvailabilityZoneId: azId(ctx.region, i),
      AvailableIpAddressCount: 4091,
      CidrBlock: `${intToIp(base + i * 4096)}/20`,
      DefaultForAz: isDefault,
      MapPublicIpOnLaunch: o.mapPublicIpOnLaunch ?? isDefault,
      State: 'available',
      SubnetId: id,
      VpcId: vpcId,
      OwnerId: ctx.account,
      AssignIpv6AddressOnCreation: false,
      Ipv6CidrBlockAssociationSet: [],
      SubnetArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:subnet/${id}`,
      Tags: [],
    })
    return id
  })
  const sgId = isDefault ? 'sg-0default' : `sg-${ctx.ids.hex(17)}`
  const sg: SecurityGroupRecord = {
    Description: 'default VPC security group',
    GroupName: 'default',
    OwnerId: ctx.account,
    GroupId: sgId,
    VpcId: vpcId,
    SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group/${sgId}`,
    Tags: [],
    rules: [],
  }
  sg.rules.push(
    {
      SecurityGroupRuleId: `sgr-${ctx.ids.hex(17)}`,
      GroupId: sgId,
      GroupOwnerId: ctx.account,
      IsEgress: false,
      IpProtocol: '-1',
      FromPort: -1,
      ToPort: -1,
      ReferencedGroupInfo: { GroupId: sgId, UserId: ctx.account },
      Tags: [],
    },
    {
      SecurityGroupRuleId: `sgr-${ctx.ids.hex(17)}`,
      GroupId: sgId,
      GroupOwnerId: ctx.account,
      IsEgress: true,
      IpProtocol: '-1',
      FromPort: -1,
      ToPort: -1,
      CidrIpv4: '0.0.0.0/0',
      Tags: [],
    },
  )
  ec2.securityGroups.set(sgId, sg)
  return { vpcId, subnetIds, defaultSecurityGroupId: sgId }
}

/** A security group another service makes (Express Mode's), with its ingress rules and EC2's default egress; returns its id. */
export function addSecurityGroup(
  ctx: FakeContext,
  o: { name: string; vpcId: string; ingress: Pick<SecurityGroupRuleRecord, 'IpProtocol' | 'FromPort' | 'ToPort' | 'CidrIpv4' | 'ReferencedGroupInfo'>[] },
): string {
  const id = `sg-${ctx.ids.hex(17)}`
  const rule = (r: Partial<SecurityGroupRuleRecord>, IsEgress: boolean): SecurityGroupRuleRecord => ({
    SecurityGroupRuleId: `sgr-${ctx.ids.hex(17)}`,
    GroupId: id,
    GroupOwnerId: ctx.account,
    IsEgress,
    IpProtocol: '-1',
    FromPort: -1,
    ToPort: -1,
    Tags: [],
    ...r,
  })
  ctx.state.ec2.securityGroups.set(id, {
    Description: `managed by ECS Express Mode`,
    GroupName: o.name,
    OwnerId: ctx.account,
    GroupId: id,
    VpcId: o.vpcId,
    SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group/${id}`,
    Tags: [],
    rules: [...o.ingress.map((r) => rule(r, false)), rule({ CidrIpv4: '0.0.0.0/0' }, true)],
  })
  return id
}

/** Creates an ENI (as ECS does for awsvpc tasks). */
export function createNetworkInterface(ctx: FakeContext, o: { subnetId: string; groupIds: string[]; assignPublicIp: boolean; description: string }): Rec {
  const ec2 = ctx.state.ec2
  const subnet = ec2.subnets.get(o.subnetId)
  if (!subnet) throw err('InvalidSubnetID.NotFound', `The subnet ID '${o.subnetId}' does not exist`)
  const [net, bits] = subnet.CidrBlock.split('/')
  const size = 2 ** (32 - Number(bits))
  const used = new Set([...ec2.networkInterfaces.values()].map((n) => n.PrivateIpAddress))
  let ip = ''
  do ip = intToIp(ipToInt(net) + ctx.ids.int(4, size - 2))
  while (used.has(ip))
  const id = `eni-${ctx.ids.hex(17)}`
  const privateDns = `ip-${ip.replace(/\./g, '-')}.${ctx.region}.compute.internal`
  const publicIp = o.assignPublicIp ? `${ctx.ids.int(3, 54)}.${ctx.ids.int(1, 254)}.${ctx.ids.int(1, 254)}.${ctx.ids.int(1, 254)}` : undefined
  const association = publicIp
    ? { IpOwnerId: 'amazon', PublicDnsName: `ec2-${publicIp.replace(/\./g, '-')}.${ctx.region}.compute.amazonaws.com`, PublicIp: publicIp }
    : undefined
  const groups = o.groupIds.map((g) => ({ GroupId: g, GroupName: ec2.securityGroups.get(g)?.GroupName ?? g }))
  const mac = Array.from({ length: 6 }, () => ctx.ids.hex(2)).join(':')
  const eni: Rec = {
    Association: association,
    Attachment: { AttachmentId: `ela-attach-${ctx.ids.hex(17)}`, DeviceIndex: 1, NetworkCardIndex: 0, InstanceOwnerId: 'amazon-aws', Status: 'attached' },
    AvailabilityZone: subnet.AvailabilityZone,
    Description: o.description,
    Groups: groups,
    InterfaceType: 'interface',
    Ipv6Addresses: [],
    MacAddress: mac,
    NetworkInterfaceId: id,
    OwnerId: ctx.account,
    PrivateDnsName: privateDns,
    PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Association: association, Primary: true, PrivateDnsName: privateDns, PrivateIpAddress: ip }],
    RequesterId: 'AROAFAKEECSSERVICE0001:ecs-service',
    RequesterManaged: true,
    SourceDestCheck: true,
    Status: 'in-use',
    SubnetId: o.subnetId,
    TagSet: [],
    VpcId: subnet.VpcId,
  }
  if (!association) {
    delete eni.Association
    delete eni.PrivateIpAddresses[0].Association
  }
  ec2.networkInterfaces.set(id, eni)
  return eni
}

/** Records a running EC2 instance (used for ECS container instances). */
export function launchInstance(ctx: FakeContext, o: { instanceId: string; availabilityZone: string; instanceType?: string; tags?: Tag[] }): Rec {
  const ec2 = ctx.state.ec2
  const subnet =
    [...ec2.subnets.values()].find((s) => s.AvailabilityZone === o.availabilityZone && s.DefaultForAz) ??
    [...ec2.subnets.values()].find((s) => s.AvailabilityZone === o.availabilityZone)
  const base = subnet ? ipToInt(subnet.CidrBlock.split('/')[0]) : ipToInt('10.0.0.0')
  const privateIp = intToIp(base + ctx.ids.int(4, 4000))
  const publicIp = subnet?.MapPublicIpOnLaunch ? `${ctx.ids.int(3, 54)}.${ctx.ids.int(1, 254)}.${ctx.ids.int(1, 254)}.${ctx.ids.int(1, 254)}` : undefined
  const sg = [...ec2.securityGroups.values()].find((g) => g.GroupName === 'default' && g.VpcId === subnet?.VpcId)
  const inst: Rec = {
    AmiLaunchIndex: 0,
    ImageId: 'ami-0ecsoptimized0000',
    InstanceId: o.instanceId,
    InstanceType: o.instanceType ?? 't3.medium',
    LaunchTime: ctx.now(),
    Placement: { AvailabilityZone: o.availabilityZone, Tenancy: 'default' },
    PrivateDnsName: `ip-${privateIp.replace(/\./g, '-')}.${ctx.region}.compute.internal`,
    PrivateIpAddress: privateIp,
    PublicDnsName: publicIp ? `ec2-${publicIp.replace(/\./g, '-')}.${ctx.region}.compute.amazonaws.com` : '',
    PublicIpAddress: publicIp,
    State: { Code: 16, Name: 'running' },
    SubnetId: subnet?.SubnetId,
    VpcId: subnet?.VpcId,
    Architecture: 'x86_64',
    SecurityGroups: sg ? [{ GroupId: sg.GroupId, GroupName: sg.GroupName }] : [],
    Tags: [...(o.tags ?? [])],
  }
  for (const k of Object.keys(inst)) if (inst[k] === undefined) delete inst[k]
  ec2.instances.set(o.instanceId, inst)
  return inst
}

export function deleteNetworkInterface(ctx: FakeContext, id: string | undefined) {
  if (id) ctx.state.ec2.networkInterfaces.delete(id)
}

function normProtocol(p: unknown): string {
  const s = String(p ?? '').toLowerCase()
  if (s === '-1' || s === 'all') return '-1'
  if (s === '6') return 'tcp'
  if (s === '17') return 'udp'
  if (s === '1') return 'icmp'
  return s
}

function ruleKey(
  r: Pick<SecurityGroupRuleRecord, 'IpProtocol' | 'FromPort' | 'ToPort' | 'CidrIpv4' | 'CidrIpv6' | 'PrefixListId' | 'ReferencedGroupInfo'>,
): string {
  return [r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4 ?? '', r.CidrIpv6 ?? '', r.PrefixListId ?? '', r.ReferencedGroupInfo?.GroupId ?? ''].join('|')
}

function describeRule(r: SecurityGroupRuleRecord): string {
  const peer = r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId
  if (r.IpProtocol === '-1') return `peer: ${peer}, ALL, ALLOW`
  return `peer: ${peer}, ${r.IpProtocol.toUpperCase()}, from port: ${r.FromPort}, to port: ${r.ToPort}, ALLOW`
}

/** IpPermissions view of a rule list, grouped like EC2 does */
function toIpPermissions(rules: SecurityGroupRuleRecord[]): Rec[] {
  const groups = new Map<string, Rec>()
  for (const r of rules) {
    const k = `${r.IpProtocol}|${r.FromPort}|${r.ToPort}`
    let p = groups.get(k)
    if (!p) {
      p = { IpProtocol: r.IpProtocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }
      if (r.IpProtocol !== '-1') {
        p.FromPort = r.FromPort
        p.ToPort = r.ToPort
      }
      groups.set(k, p)
    }
    const d = r.Description !== undefined ? { Description: r.Description } : {}
    if (r.CidrIpv4) p.IpRanges.push({ CidrIp: r.CidrIpv4, ...d })
    if (r.CidrIpv6) p.Ipv6Ranges.push({ CidrIpv6: r.CidrIpv6, ...d })
    if (r.PrefixListId) p.PrefixListIds.push({ PrefixListId: r.PrefixListId, ...d })
    if (r.ReferencedGroupInfo) p.UserIdGroupPairs.push({ GroupId: r.ReferencedGroupInfo.GroupId, UserId: r.ReferencedGroupInfo.UserId, ...d })
  }
  return [...groups.values()]
}

export function ec2Handlers(ctx: FakeContext): Handlers {
  const ec2 = () => ctx.state.ec2
  const tagValues = (tags: Tag[] | undefined, name: string): string[] | undefined => {
    if (name.startsWith('tag:')) return (tags ?? []).filter((t) => t.Key === name.slice(4)).map((t) => t.Value)
    if (name === 'tag-key') return (tags ?? []).map((t) => t.Key)
    if (name === 'tag-value') return (tags ?? []).map((t) => t.Value)
    return undefined
  }
  function filter<T>(items: T[], filters: { Name?: string; Values?: string[] }[] | undefined, field: (item: T, name: string) => unknown): T[] {
    let out = items
    for (const f of filters ?? []) {
      const name = f.Name ?? ''
      const wanted = f.Values ?? []
      out = out.filter((item) => {
        const raw = field(item, name)
        if (raw === undefined) throw err('InvalidParameterValue', `The filter '${name}' is invalid`)
        const have = ([raw].flat() as unknown[]).filter((v) => v !== null).map(String)
        return wanted.some((w) => have.some((h) => globMatch(w, h)))
      })
    }
    return out
  }
  const vpcField = (v: Rec, name: string): unknown =>
    ({
      'vpc-id': v.VpcId,
      isDefault: String(v.IsDefault),
      'is-default': String(v.IsDefault),
      cidr: v.CidrBlock,
      'cidr-block-association.cidr-block': v.CidrBlockAssociationSet.map((a: Rec) => a.CidrBlock),
      state: v.State,
      'owner-id': v.OwnerId,
      'dhcp-options-id': v.DhcpOptionsId,
    })[name] ?? tagValues(v.Tags, name)
  const subnetField = (s: Rec, name: string): unknown =>
    ({
      'vpc-id': s.VpcId,
      vpcId: s.VpcId,
      'subnet-id': s.SubnetId,
      subnetId: s.SubnetId,
      'default-for-az': String(s.DefaultForAz),
      defaultForAz: String(s.DefaultForAz),
      'availability-zone': s.AvailabilityZone,
      availabilityZone: s.AvailabilityZone,
      'availability-zone-id': s.AvailabilityZoneId,
      'cidr-block': s.CidrBlock,
      cidrBlock: s.CidrBlock,
      cidr: s.CidrBlock,
      state: s.State,
      'map-public-ip-on-launch': String(s.MapPublicIpOnLaunch),
      'owner-id': s.OwnerId,
    })[name] ?? tagValues(s.Tags, name)
  const sgField = (g: SecurityGroupRecord, name: string): unknown =>
    ({
      'group-name': g.GroupName,
      'group-id': g.GroupId,
      'vpc-id': g.VpcId,
      description: g.Description,
      'owner-id': g.OwnerId,
    })[name] ?? tagValues(g.Tags, name)
  const eniField = (n: Rec, name: string): unknown =>
    ({
      'network-interface-id': n.NetworkInterfaceId,
      'subnet-id': n.SubnetId,
      'vpc-id': n.VpcId,
      'group-id': n.Groups.map((g: Rec) => g.GroupId),
      'addresses.private-ip-address': n.PrivateIpAddress,
      'private-ip-address': n.PrivateIpAddress,
      'association.public-ip': n.Association?.PublicIp ?? null,
      description: n.Description,
      status: n.Status,
      'availability-zone': n.AvailabilityZone,
      'interface-type': n.InterfaceType,
      'requester-managed': String(n.RequesterManaged),
      'owner-id': n.OwnerId,
    })[name] ?? tagValues(n.TagSet, name)

  const sgOut = (g: SecurityGroupRecord): Rec => {
    const { rules, ...rest } = g
    return {
      ...rest,
      IpPermissions: toIpPermissions(rules.filter((r) => !r.IsEgress)),
      IpPermissionsEgress: toIpPermissions(rules.filter((r) => r.IsEgress)),
    }
  }
  const getSg = (id: string | undefined, name?: string): SecurityGroupRecord => {
    if (id) {
      const g = ec2().securityGroups.get(id)
      if (!g) throw err('InvalidGroup.NotFound', `The security group '${id}' does not exist`)
      return g
    }
    const def = [...ec2().vpcs.values()].find((v) => v.IsDefault)
    const g = [...ec2().securityGroups.values()].find((x) => x.GroupName === name && x.VpcId === def?.VpcId)
    if (!g) throw err('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${def?.VpcId ?? 'none'}'`)
    return g
  }
  const tagsOf = (id: string): { Tags?: Tag[]; TagSet?: Tag[] } => {
    const e = ec2()
    const rec = id.startsWith('i-')
      ? e.instances.get(id)
      : id.startsWith('vpc-')
        ? e.vpcs.get(id)
        : id.startsWith('subnet-')
          ? e.subnets.get(id)
          : id.startsWith('sg-')
            ? e.securityGroups.get(id)
            : id.startsWith('eni-')
              ? e.networkInterfaces.get(id)
              : undefined
    if (!rec) {
      const code = id.startsWith('i-')
        ? 'InvalidInstanceID.NotFound'
        : id.startsWith('vpc-')
          ? 'InvalidVpcID.NotFound'
          : id.startsWith('subnet-')
            ? 'InvalidSubnetID.NotFound'
            : id.startsWith('sg-')
              ? 'InvalidGroup.NotFound'
              : id.startsWith('eni-')
                ? 'InvalidNetworkInterfaceID.NotFound'
                : 'InvalidID'
      throw err(code, code === 'InvalidID' ? `The ID '${id}' is not valid` : `The ID '${id}' does not exist`)
    }
    return rec
  }
  const candidates = (g: SecurityGroupRecord, perms: Rec[] | undefined, egress: boolean): SecurityGroupRuleRecord[] => {
    const out: SecurityGroupRuleRecord[] = []
    for (const p of perms ?? []) {
      const proto = normProtocol(p.IpProtocol)
      if (!['-1', 'tcp', 'udp', 'icmp', 'icmpv6'].includes(proto) && !/^\d+$/.test(proto)) {
        throw err('InvalidParameterValue', `Invalid value '${p.IpProtocol}' for IP protocol. Unknown protocol.`)
      }
      const all = proto === '-1'
      if (!all && (proto === 'tcp' || proto === 'udp') && (p.FromPort === undefined || p.ToPort === undefined)) {
        throw err('MissingParameter', 'The request must contain the parameter ipPermissions.fromPort')
      }
      const from = all ? -1 : (p.FromPort ?? -1)
      const to = all ? -1 : (p.ToPort ?? -1)
      const base = { GroupId: g.GroupId, GroupOwnerId: ctx.account, IsEgress: egress, IpProtocol: proto, FromPort: from, ToPort: to, Tags: [] as Tag[] }
      for (const r of p.IpRanges ?? []) out.push({ ...base, SecurityGroupRuleId: '', CidrIpv4: r.CidrIp, Description: r.Description })
      for (const r of p.Ipv6Ranges ?? []) out.push({ ...base, SecurityGroupRuleId: '', CidrIpv6: r.CidrIpv6, Description: r.Description })
      for (const r of p.PrefixListIds ?? []) out.push({ ...base, SecurityGroupRuleId: '', PrefixListId: r.PrefixListId, Description: r.Description })
      for (const r of p.UserIdGroupPairs ?? []) {
        const ref = r.GroupId ?? [...ec2().securityGroups.values()].find((x) => x.GroupName === r.GroupName && x.VpcId === g.VpcId)?.GroupId
        if (!ref || !ec2().securityGroups.has(ref)) throw err('InvalidGroup.NotFound', `The security group '${r.GroupId ?? r.GroupName}' does not exist`)
        out.push({ ...base, SecurityGroupRuleId: '', ReferencedGroupInfo: { GroupId: ref, UserId: r.UserId ?? ctx.account }, Description: r.Description })
      }
    }
    for (const r of out) if (r.Description === undefined) delete r.Description
    return out
  }
  const authorize = (input: Rec, egress: boolean) => {
    const g = getSg(input.GroupId, input.GroupName)
    const add = candidates(g, input.IpPermissions, egress)
    if (input.CidrIp || input.SourceSecurityGroupName) {
      add.push(
        ...candidates(
          g,
          [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [] }],
          egress,
        ),
      )
    }
    const existing = new Set(g.rules.filter((r) => r.IsEgress === egress).map(ruleKey))
    const seen = new Set<string>()
    for (const r of add) {
      const k = ruleKey(r)
      if (existing.has(k) || seen.has(k)) throw err('InvalidPermission.Duplicate', `the specified rule "${describeRule(r)}" already exists`)
      seen.add(k)
    }
    for (const r of add) r.SecurityGroupRuleId = `sgr-${ctx.ids.hex(17)}`
    g.rules.push(...add)
    return { Return: true, SecurityGroupRules: add }
  }
  const revoke = (input: Rec, egress: boolean) => {
    const g = getSg(input.GroupId, input.GroupName)
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) {
        if (!g.rules.some((r) => r.SecurityGroupRuleId === id && r.IsEgress === egress)) {
          throw err('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`)
        }
      }
      g.rules = g.rules.filter((r) => !input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId))
      return { Return: true }
    }
    const remove = candidates(g, input.IpPermissions, egress).map(ruleKey)
    for (const k of remove) {
      if (!g.rules.some((r) => r.IsEgress === egress && ruleKey(r) === k)) {
        throw err('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.')
      }
    }
    g.rules = g.rules.filter((r) => r.IsEgress !== egress || !remove.includes(ruleKey(r)))
    return { Return: true }
  }

  return {
    DescribeVpcs: (input) => {
      for (const id of input.VpcIds ?? []) if (!ec2().vpcs.has(id)) throw err('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`)
      const items = [...ec2().vpcs.values()].filter((v) => !input.VpcIds?.length || input.VpcIds.includes(v.VpcId))
      return { Vpcs: filter(items, input.Filters, vpcField) }
    },

    DescribeSubnets: (input) => {
      for (const id of input.SubnetIds ?? []) if (!ec2().subnets.has(id)) throw err('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`)
      const items = [...ec2().subnets.values()].filter((s) => !input.SubnetIds?.length || input.SubnetIds.includes(s.SubnetId))
      return { Subnets: filter(items, input.Filters, subnetField) }
    },

    DescribeAvailabilityZones: () => ({
      AvailabilityZones: ['a', 'b', 'c', 'd'].map((l, i) => ({
        State: 'available',
        OptInStatus: 'opt-in-not-required',
        Messages: [],
        RegionName: ctx.region,
        ZoneName: `${ctx.region}${l}`,
        ZoneId: azId(ctx.region, i),
        GroupName: ctx.region,
        NetworkBorderGroup: ctx.region,
        ZoneType: 'availability-zone',
      })),
    }),

    DescribeSecurityGroups: (input) => {
      for (const id of input.GroupIds ?? []) getSg(id)
      for (const name of input.GroupNames ?? []) getSg(undefined, name)
      let items = [...ec2().securityGroups.values()]
      if (input.GroupIds?.length) items = items.filter((g) => input.GroupIds.includes(g.GroupId))
      if (input.GroupNames?.length) items = input.GroupNames.map((n: string) => getSg(undefined, n))
      return { SecurityGroups: filter(items, input.Filters, sgField).map(sgOut) }
    },

    DescribeSecurityGroupRules: (input) => {
      let rules = [...ec2().securityGroups.values()].flatMap((g) => g.rules)
      if (input.SecurityGroupRuleIds?.length) rules = rules.filter((r) => input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId))
      return {
        SecurityGroupRules: filter(
          rules,
          input.Filters,
          (r, name) => ({ 'group-id': r.GroupId, 'security-group-rule-id': r.SecurityGroupRuleId })[name] ?? tagValues(r.Tags, name),
        ),
      }
    },

    CreateSecurityGroup: (input) => {
      const name: string = input.GroupName ?? ''
      if (!input.Description) throw err('MissingParameter', 'The request must contain the parameter GroupDescription')
      if (!name) throw err('MissingParameter', 'The request must contain the parameter groupName')
      if (/^sg-/i.test(name)) throw err('InvalidParameterValue', 'Group names may not be in the format sg-*.')
      if (name === 'default') throw err('InvalidParameterValue', 'Cannot use reserved security group name: default')
      let vpcId: string | undefined = input.VpcId
      if (vpcId && !ec2().vpcs.has(vpcId)) throw err('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`)
      if (!vpcId) {
        vpcId = [...ec2().vpcs.values()].find((v) => v.IsDefault)?.VpcId
        if (!vpcId) throw err('VPCIdNotSpecified', 'No default VPC for this user')
      }
      if ([...ec2().securityGroups.values()].some((g) => g.GroupName === name && g.VpcId === vpcId)) {
        throw err('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`)
      }
      const id = `sg-${ctx.ids.hex(17)}`
      const tags: Tag[] = (input.TagSpecifications ?? [])
        .filter((s: Rec) => !s.ResourceType || s.ResourceType === 'security-group')
        .flatMap((s: Rec) => s.Tags ?? [])
        .map((t: Rec) => ({ Key: t.Key, Value: t.Value ?? '' }))
      const g: SecurityGroupRecord = {
        Description: input.Description,
        GroupName: name,
        OwnerId: ctx.account,
        GroupId: id,
        VpcId: vpcId as string,
        SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:security-group/${id}`,
        Tags: tags,
        rules: [
          {
            SecurityGroupRuleId: `sgr-${ctx.ids.hex(17)}`,
            GroupId: id,
            GroupOwnerId: ctx.account,
            IsEgress: true,
            IpProtocol: '-1',
            FromPort: -1,
            ToPort: -1,
            CidrIpv4: '0.0.0.0/0',
            Tags: [],
          },
        ],
      }
      ec2().securityGroups.set(id, g)
      return { GroupId: id, Tags: tags.length ? tags : undefined, SecurityGroupArn: g.SecurityGroupArn }
    },

    AuthorizeSecurityGroupIngress: (input) => authorize(input, false),
    AuthorizeSecurityGroupEgress: (input) => authorize(input, true),
    RevokeSecurityGroupIngress: (input) => revoke(input, false),
    RevokeSecurityGroupEgress: (input) => revoke(input, true),

    DeleteSecurityGroup: (input) => {
      const g = getSg(input.GroupId, input.GroupName)
      if (g.GroupName === 'default') {
        throw err('CannotDelete', `the specified group: "${g.GroupId}" name: "default" cannot be deleted by a user`)
      }
      const usedByEni = [...ec2().networkInterfaces.values()].some((n) => n.Groups.some((x: Rec) => x.GroupId === g.GroupId))
      const referenced = [...ec2().securityGroups.values()].some(
        (o) => o.GroupId !== g.GroupId && o.rules.some((r) => r.ReferencedGroupInfo?.GroupId === g.GroupId),
      )
      if (usedByEni || referenced) throw err('DependencyViolation', `resource ${g.GroupId} has a dependent object`)
      ec2().securityGroups.delete(g.GroupId)
      return { Return: true, GroupId: g.GroupId }
    },

    CreateTags: (input) => {
      const recs = (input.Resources ?? []).map((id: string) => tagsOf(id))
      for (const rec of recs) {
        const list: Tag[] = rec.TagSet ?? rec.Tags ?? []
        for (const t of input.Tags ?? []) {
          const i = list.findIndex((x) => x.Key === t.Key)
          if (i >= 0) list[i] = { Key: t.Key, Value: t.Value ?? '' }
          else list.push({ Key: t.Key, Value: t.Value ?? '' })
        }
        if (rec.TagSet) rec.TagSet = list
        else rec.Tags = list
      }
      return {}
    },

    DeleteTags: (input) => {
      const recs = (input.Resources ?? []).map((id: string) => tagsOf(id))
      for (const rec of recs) {
        const list: Tag[] = rec.TagSet ?? rec.Tags ?? []
        const kept = input.Tags?.length
          ? list.filter((t) => !input.Tags.some((d: Rec) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)))
          : []
        if (rec.TagSet) rec.TagSet = kept
        else rec.Tags = kept
      }
      return {}
    },

    DescribeInstances: (input) => {
      for (const id of input.InstanceIds ?? []) {
        if (!ec2().instances.has(id)) throw err('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)
      }
      const items = [...ec2().instances.values()].filter((i) => !input.InstanceIds?.length || input.InstanceIds.includes(i.InstanceId))
      const found = filter(
        items,
        input.Filters,
        (i, name) =>
          ({
            'instance-id': i.InstanceId,
            'instance-state-name': i.State.Name,
            'instance-type': i.InstanceType,
            'vpc-id': i.VpcId ?? null,
            'subnet-id': i.SubnetId ?? null,
            'availability-zone': i.Placement.AvailabilityZone,
            'private-ip-address': i.PrivateIpAddress,
            'ip-address': i.PublicIpAddress ?? null,
          })[name] ?? tagValues(i.Tags, name),
      )
      return {
        Reservations: found.map((i) => ({ ReservationId: `r-${i.InstanceId.slice(2)}`, OwnerId: ctx.account, Groups: [], Instances: [i] })),
      }
    },

    DescribeNetworkInterfaces: (input) => {
      for (const id of input.NetworkInterfaceIds ?? []) {
        if (!ec2().networkInterfaces.has(id)) throw err('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`)
      }
      const items = [...ec2().networkInterfaces.values()].filter(
        (n) => !input.NetworkInterfaceIds?.length || input.NetworkInterfaceIds.includes(n.NetworkInterfaceId),
      )
      return { NetworkInterfaces: filter(items, input.Filters, eniField) }
    },
  }
}
