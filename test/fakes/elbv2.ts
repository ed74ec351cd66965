/**
 * ELBv2 in the in-memory fake: the parts of the load balancer ECS Express Mode makes that a custom
 * domain uses (issue 25), from the Elastic Load Balancing v2 API reference: DescribeLoadBalancers,
 * DescribeListeners, DescribeRules, CreateRule, DeleteRule, Add/Remove/DescribeListenerCertificates,
 * AddTags, DescribeTags. Express makes the load balancer, its HTTPS listener and a target group per
 * service (test/fakes/ecs-express.ts calls provisionExpressLoadBalancer).
 */
import type { FakeContext } from './context.js'
import { awsError, clone, type Handlers } from './core.js'

type Rec = Record<string, any>

export interface ListenerRecord {
  arn: string
  loadBalancerArn: string
  port: number
  protocol: string
  /** the default certificate first */
  certificates: { CertificateArn: string; IsDefault: boolean }[]
}

export interface Elbv2State {
  loadBalancers: Map<string, Rec>
  listeners: Map<string, ListenerRecord>
  rules: Map<string, Rec & { listenerArn: string }>
  targetGroups: Map<string, Rec>
  tags: Map<string, { Key: string; Value?: string }[]>
}

export function createElbv2State(): Elbv2State {
  return { loadBalancers: new Map(), listeners: new Map(), rules: new Map(), targetGroups: new Map(), tags: new Map() }
}

/** The load balancer Express shares between services (one per account and VPC), its HTTPS listener, and a target group for one service. */
export function provisionExpressLoadBalancer(
  ctx: FakeContext,
  service: string,
  host: string,
): { loadBalancer: string; listener: string; rule: string; targetGroup: string } {
  const s = ctx.state.elbv2
  const prefix = `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.account}`
  let lb = [...s.loadBalancers.values()][0]
  if (!lb) {
    const id = ctx.ids.hex(16)
    lb = {
      LoadBalancerArn: `${prefix}:loadbalancer/app/ecs-express-gateway-alb/${id}`,
      DNSName: `ecs-express-gateway-alb-${ctx.ids.digits(9)}.${ctx.region}.elb.amazonaws.com`,
      CanonicalHostedZoneId: 'Z1H1FL5HABSF5',
      LoadBalancerName: 'ecs-express-gateway-alb',
      Scheme: 'internet-facing',
      Type: 'application',
      State: { Code: 'active' },
    }
    s.loadBalancers.set(lb.LoadBalancerArn, lb)
    const listener = `${prefix}:listener/app/ecs-express-gateway-alb/${id}/${ctx.ids.hex(16)}`
    s.listeners.set(listener, {
      arn: listener,
      loadBalancerArn: lb.LoadBalancerArn,
      port: 443,
      protocol: 'HTTPS',
      certificates: [{ CertificateArn: `arn:aws:acm:${ctx.region}:${ctx.account}:certificate/${ctx.ids.uuid()}`, IsDefault: true }],
    })
  }
  const listener = [...s.listeners.values()].find((l) => l.loadBalancerArn === lb.LoadBalancerArn) as ListenerRecord
  const tg = `${prefix}:targetgroup/ecs-gateway-tg-${ctx.ids.hex(8)}/${ctx.ids.hex(16)}`
  s.targetGroups.set(tg, {
    TargetGroupArn: tg,
    TargetGroupName: `ecs-gateway-tg-${service}`.slice(0, 32),
    Protocol: 'HTTP',
    LoadBalancerArns: [lb.LoadBalancerArn],
  })
  const priority = 1 + [...s.rules.values()].filter((r) => r.listenerArn === listener.arn).length
  const rule = `${listener.arn.replace(':listener/', ':listener-rule/')}/${ctx.ids.hex(16)}`
  s.rules.set(rule, {
    RuleArn: rule,
    listenerArn: listener.arn,
    Priority: String(priority),
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] }, Values: [host] }],
    Actions: [{ Type: 'forward', TargetGroupArn: tg, Order: 1 }],
    IsDefault: false,
  })
  return { loadBalancer: lb.LoadBalancerArn, listener: listener.arn, rule, targetGroup: tg }
}

/** What Express removes with a service: its rule and target group (the shared load balancer stays). */
export function removeExpressTargetGroup(ctx: FakeContext, rule: string, targetGroup: string): void {
  ctx.state.elbv2.rules.delete(rule)
  ctx.state.elbv2.targetGroups.delete(targetGroup)
}

export function elbv2Handlers(ctx: FakeContext): Handlers {
  const s = () => ctx.state.elbv2
  const listenerOf = (arn: unknown): ListenerRecord => {
    const l = typeof arn === 'string' ? s().listeners.get(arn) : undefined
    if (!l) throw awsError('elbv2', 'ListenerNotFoundException', 'One or more listeners not found')
    return l
  }
  const certificateOf = (arn: string) => {
    const cert = ctx.state.acm.certificates.get(arn)
    if (cert?.status !== 'ISSUED') throw awsError('elbv2', 'CertificateNotFoundException', `Certificate '${arn}' not found`)
  }
  const ruleOut = (r: Rec) => {
    const { listenerArn: _, ...rest } = r
    return clone(rest)
  }
  return {
    DescribeLoadBalancers: (input) => {
      const arns: string[] | undefined = input.LoadBalancerArns
      const found = arns?.length ? arns.map((a) => s().loadBalancers.get(a)) : [...s().loadBalancers.values()]
      if (found.some((x) => !x)) throw awsError('elbv2', 'LoadBalancerNotFoundException', 'One or more load balancers not found')
      return { LoadBalancers: clone(found) }
    },

    DescribeListeners: (input) => {
      const all = [...s().listeners.values()]
      const picked = input.ListenerArns?.length
        ? input.ListenerArns.map((a: string) => listenerOf(a))
        : all.filter((l) => l.loadBalancerArn === input.LoadBalancerArn)
      if (!input.ListenerArns?.length && !s().loadBalancers.has(input.LoadBalancerArn)) {
        throw awsError('elbv2', 'LoadBalancerNotFoundException', 'One or more load balancers not found')
      }
      return {
        Listeners: picked.map((l: ListenerRecord) => ({
          ListenerArn: l.arn,
          LoadBalancerArn: l.loadBalancerArn,
          Port: l.port,
          Protocol: l.protocol,
          Certificates: l.certificates.filter((c) => c.IsDefault).map((c) => ({ CertificateArn: c.CertificateArn })),
        })),
      }
    },

    DescribeRules: (input) => {
      if (input.RuleArns?.length) {
        const rules = input.RuleArns.map((a: string) => s().rules.get(a))
        if (rules.some((r: Rec | undefined) => !r)) throw awsError('elbv2', 'RuleNotFoundException', 'One or more rules not found')
        return { Rules: rules.map(ruleOut) }
      }
      const l = listenerOf(input.ListenerArn)
      const rules = [...s().rules.values()].filter((r) => r.listenerArn === l.arn)
      return {
        Rules: [
          ...rules.map(ruleOut),
          { RuleArn: `${l.arn}/default`, Priority: 'default', Conditions: [], Actions: [{ Type: 'fixed-response' }], IsDefault: true },
        ],
      }
    },

    CreateRule: (input) => {
      const l = listenerOf(input.ListenerArn)
      const priority = Number(input.Priority)
      if (!Number.isInteger(priority) || priority < 1 || priority > 50000) throw awsError('elbv2', 'ValidationError', 'Priority must be between 1 and 50000')
      if ([...s().rules.values()].some((r) => r.listenerArn === l.arn && r.Priority === String(priority))) {
        throw awsError('elbv2', 'PriorityInUseException', `Priority '${priority}' is currently in use`)
      }
      for (const a of input.Actions ?? []) {
        if (a.TargetGroupArn && !s().targetGroups.has(a.TargetGroupArn))
          throw awsError('elbv2', 'TargetGroupNotFoundException', 'One or more target groups not found')
      }
      const arn = `${l.arn.replace(':listener/', ':listener-rule/')}/${ctx.ids.hex(16)}`
      const conditions = clone(input.Conditions ?? []).map((c: Rec) => (c.HostHeaderConfig ? { ...c, Values: [...c.HostHeaderConfig.Values] } : c))
      const rule = {
        RuleArn: arn,
        listenerArn: l.arn,
        Priority: String(priority),
        Conditions: conditions,
        Actions: clone(input.Actions ?? []),
        IsDefault: false,
      }
      s().rules.set(arn, rule)
      if (input.Tags?.length) s().tags.set(arn, clone(input.Tags))
      return { Rules: [ruleOut(rule)] }
    },

    DeleteRule: (input) => {
      if (!s().rules.delete(input.RuleArn)) throw awsError('elbv2', 'RuleNotFoundException', 'One or more rules not found')
      s().tags.delete(input.RuleArn)
      return {}
    },

    AddListenerCertificates: (input) => {
      const l = listenerOf(input.ListenerArn)
      for (const c of input.Certificates ?? []) {
        certificateOf(c.CertificateArn)
        if (!l.certificates.some((x) => x.CertificateArn === c.CertificateArn)) l.certificates.push({ CertificateArn: c.CertificateArn, IsDefault: false })
      }
      return { Certificates: l.certificates.filter((c) => !c.IsDefault).map((c) => ({ ...c })) }
    },

    RemoveListenerCertificates: (input) => {
      const l = listenerOf(input.ListenerArn)
      for (const c of input.Certificates ?? []) {
        if (l.certificates.some((x) => x.CertificateArn === c.CertificateArn && x.IsDefault)) {
          throw awsError('elbv2', 'OperationNotPermittedException', 'The default certificate cannot be removed')
        }
        l.certificates = l.certificates.filter((x) => x.CertificateArn !== c.CertificateArn)
      }
      return {}
    },

    DescribeListenerCertificates: (input) => ({ Certificates: listenerOf(input.ListenerArn).certificates.map((c) => ({ ...c })) }),

    AddTags: (input) => {
      for (const arn of input.ResourceArns ?? []) {
        const tags = s().tags.get(arn) ?? []
        for (const t of input.Tags ?? []) {
          const at = tags.findIndex((x) => x.Key === t.Key)
          if (at >= 0) tags[at] = { ...t }
          else tags.push({ ...t })
        }
        s().tags.set(arn, tags)
      }
      return {}
    },

    DescribeTags: (input) => ({
      TagDescriptions: (input.ResourceArns ?? []).map((arn: string) => ({ ResourceArn: arn, Tags: clone(s().tags.get(arn) ?? []) })),
    }),
  }
}
