import type { AwsClients } from '../../aws/clients.js'
import { sha256Hex } from '../../digest.js'
import type { ContainerDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import { Elb } from '../domain/catalogue.js'
import type { DomainObserved, ObservedExpressDomain } from '../domain/observe.js'
import {
  type DomainAnswer,
  type PlannedCertificate,
  planAliasRecords,
  planAliasRecordsRemoval,
  planCertificate,
  planCertificateRemoval,
} from '../domain/plan.js'
import { PartBuilder } from '../part.js'
import { type PlanContext, type PlanPart, tagList } from '../target.js'
import { ContainerReads } from './catalogue.js'

/**
 * http.domain on fargate (an ECS Express Mode service). Express makes and owns the load balancer,
 * its HTTPS listener, the service's target group and the rule for its own *.on.aws host; the ECS
 * guide ("Updating resources outside of Express Mode") lets you add to them, and Express keeps what
 * you add unless one of its own updates replaces it. So shipit adds, and owns, only: its certificate
 * on the listener (AddListenerCertificates: SNI picks it for the names), one rule per name sending
 * that host to the service's target group (tagged as shipit's), and the alias records. A redeploy
 * puts back what an Express update removed or moved; Express's own fields are never planned.
 */

/** The listener, target group and load balancer ECS reports for the service's revision, and what is on the listener for the names. */
async function observeExpressDomain(clients: AwsClients, revisionArn: string, names: string[]): Promise<ObservedExpressDomain | null> {
  const out = await clients.send('ecs', 'DescribeServiceRevisions', { serviceRevisionArns: [revisionArn] })
  const paths = out.serviceRevisions?.[0]?.ecsManagedResources?.ingressPaths ?? []
  const path = paths.find((p) => p.accessType === 'PUBLIC') ?? paths[0]
  const listenerArn = path?.listener?.arn
  const loadBalancerArn = path?.loadBalancer?.arn
  const targetGroupArn = (path?.targetGroups ?? []).find((t) => t.status !== 'DELETED')?.arn
  if (!listenerArn || !loadBalancerArn || !targetGroupArn) return null
  const [certificates, rules, balancers] = await Promise.all([
    clients.send('elbv2', 'DescribeListenerCertificates', { ListenerArn: listenerArn }),
    clients.send('elbv2', 'DescribeRules', { ListenerArn: listenerArn }),
    clients.send('elbv2', 'DescribeLoadBalancers', { LoadBalancerArns: [loadBalancerArn] }),
  ])
  const hostsOf = (r: { Conditions?: { Field?: string; HostHeaderConfig?: { Values?: string[] }; Values?: string[] }[] }) =>
    (r.Conditions ?? []).filter((c) => c.Field === 'host-header').flatMap((c) => c.HostHeaderConfig?.Values ?? c.Values ?? [])
  const forNames = (rules.Rules ?? []).filter((r) => r.RuleArn && hostsOf(r).some((h) => names.includes(h.toLowerCase())))
  const tags = forNames.length ? await clients.send('elbv2', 'DescribeTags', { ResourceArns: forNames.map((r) => r.RuleArn ?? '') }) : undefined
  const tagsOf = (arn: string) =>
    Object.fromEntries((tags?.TagDescriptions?.find((t) => t.ResourceArn === arn)?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
  const lb = balancers.LoadBalancers?.[0]
  return {
    listenerArn,
    loadBalancerArn,
    targetGroupArn,
    dnsName: lb?.DNSName ?? '',
    canonicalHostedZoneId: lb?.CanonicalHostedZoneId ?? '',
    listenerCertificates: (certificates.Certificates ?? []).map((c) => c.CertificateArn ?? ''),
    rules: forNames.map((r) => ({
      arn: r.RuleArn ?? '',
      priority: r.Priority ?? '',
      hosts: hostsOf(r),
      targetGroupArn: r.Actions?.find((a) => a.Type === 'forward')?.TargetGroupArn,
      tags: tagsOf(r.RuleArn ?? ''),
    })),
    priorities: (rules.Rules ?? []).map((r) => Number(r.Priority)).filter((n) => Number.isInteger(n)),
  }
}

/** Where the load balancer is: as observed, or read after the Express service is created in this deploy. */
interface PlannedBalancer {
  listenerArn: string | Ref
  targetGroupArn: string | Ref
  dnsName: string | Ref
  hostedZoneId: string | Ref
  deps: string[]
}

function plannedBalancer(b: PartBuilder<ContainerDesired>, live: ObservedExpressDomain | null | undefined): PlannedBalancer | undefined {
  if (live)
    return { listenerArn: live.listenerArn, targetGroupArn: live.targetGroupArn, dnsName: live.dnsName, hostedZoneId: live.canonicalHostedZoneId, deps: [] }
  if (!b.has('express-service')) return undefined
  const ingress = 'serviceRevisions.0.ecsManagedResources.ingressPaths.0'
  b.add({
    id: 'express-resources',
    action: 'run',
    resource: { type: 'ecs:service-revision', name: b.desired.names.service },
    reason: "read the load balancer's listener and target group Express made for the service",
    request: ContainerReads.DescribeServiceRevisions.request({
      serviceRevisionArns: [{ ref: 'express-service', output: 'service.activeConfigurations.0.serviceRevisionArn' }],
    }),
    dependsOn: ['express-service'],
  })
  b.add({
    id: 'load-balancer',
    action: 'run',
    resource: { type: 'elbv2:load-balancer', name: 'Express' },
    reason: 'read its DNS name, for the alias records',
    request: Elb.DescribeLoadBalancers.request({ LoadBalancerArns: [{ ref: 'express-resources', output: `${ingress}.loadBalancer.arn` }] }),
    dependsOn: ['express-resources'],
  })
  return {
    listenerArn: { ref: 'express-resources', output: `${ingress}.listener.arn` },
    targetGroupArn: { ref: 'express-resources', output: `${ingress}.targetGroups.0.arn` },
    dnsName: { ref: 'load-balancer', output: 'LoadBalancers.0.DNSName' },
    hostedZoneId: { ref: 'load-balancer', output: 'LoadBalancers.0.CanonicalHostedZoneId' },
    deps: ['load-balancer'],
  }
}

/** A listener rule priority of the name's own, free on the listener: the same on every deploy while it stays free. */
function priorityOf(name: string, taken: Set<number>): number {
  let p = 1000 + (Number.parseInt(sha256Hex(name).slice(0, 8), 16) % 40000)
  while (taken.has(p)) p++
  taken.add(p)
  return p
}

/** (a) for fargate: the certificate on the Express listener and a host rule per name to the service's target group. */
export function planExpressDomain(b: PartBuilder<ContainerDesired>, domain: DomainObserved, cert: PlannedCertificate): DomainAnswer | undefined {
  const balancer = plannedBalancer(b, domain.express)
  if (!balancer) {
    b.warnings.push('http.domain: the Express service is not there to point the names at; deploy again once it is')
    return undefined
  }
  const live = domain.express
  const deps: string[] = []
  if (typeof cert.arn === 'string' && live?.listenerCertificates.includes(cert.arn))
    b.keep('elbv2:listener-certificate', domain.names[0], 'on the Express listener')
  else {
    deps.push(
      b.add({
        id: 'listener-certificate',
        action: 'create',
        resource: { type: 'elbv2:listener-certificate', name: domain.names[0] },
        reason: 'the HTTPS listener of the Express load balancer serves the names with it (SNI)',
        changes: [{ path: 'CertificateArn', after: cert.arn }],
        request: Elb.AddListenerCertificates.request({ ListenerArn: balancer.listenerArn, Certificates: [{ CertificateArn: cert.arn }] }),
        dependsOn: [...cert.deps, ...balancer.deps],
      }),
    )
  }
  const taken = new Set(live?.priorities ?? [])
  for (const name of domain.names) {
    const rule = planHostRule(b, live, balancer, name, taken, deps)
    if (rule === null) return undefined
    if (rule) deps.push(rule)
  }
  const targets = Object.fromEntries(domain.names.map((n) => [n, { dnsName: balancer.dnsName, hostedZoneId: balancer.hostedZoneId }]))
  return { targets, deps: [...deps, ...balancer.deps] }
}

/** One rule: host-header `name` → the service's target group. Returns its step id, undefined when kept, null when refused. */
function planHostRule(
  b: PartBuilder<ContainerDesired>,
  live: ObservedExpressDomain | null | undefined,
  balancer: PlannedBalancer,
  name: string,
  taken: Set<number>,
  after: string[],
): string | undefined | null {
  const resource = { type: 'elbv2:listener-rule', name: `host ${name}` }
  const found = live?.rules.filter((r) => r.hosts.includes(name)) ?? []
  const ours = found.find((r) => b.owned(r.tags))
  const foreign = found.find((r) => !b.owned(r.tags))
  if (foreign && b.refuse(resource.type, resource.name)) return null
  const id = `listener-rule ${name}`
  if (ours) {
    if (ours.targetGroupArn === balancer.targetGroupArn) {
      b.keep(resource.type, resource.name, `priority ${ours.priority}`)
      return undefined
    }
    // Express replaced the service's target group: the rule follows it
    return b.add({
      id,
      action: 'update',
      resource,
      reason: "the service's target group changed",
      changes: [{ path: 'TargetGroupArn', before: ours.targetGroupArn, after: balancer.targetGroupArn }],
      request: Elb.ModifyRule.request({ RuleArn: ours.arn, Actions: [{ Type: 'forward', TargetGroupArn: balancer.targetGroupArn }] }),
      dependsOn: balancer.deps,
    })
  }
  const priority = priorityOf(name, taken)
  return b.add({
    id,
    action: 'create',
    resource,
    reason: "sends the name to the service's target group",
    changes: [
      { path: 'Conditions', after: `host-header ${name}` },
      { path: 'TargetGroupArn', after: balancer.targetGroupArn },
      { path: 'Priority', after: priority },
    ],
    request: Elb.CreateRule.request({
      ListenerArn: balancer.listenerArn,
      Priority: priority,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [name] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: balancer.targetGroupArn }],
      Tags: tagList(b.desired.tags),
    }),
    dependsOn: [...balancer.deps, ...after],
  })
}

/** (c) for fargate: removes shipit's rules and its certificate from the Express listener; returns the step ids. */
export function planExpressDomainRemoval(b: PartBuilder<ContainerDesired>, domain: DomainObserved, after: string[]): string[] {
  const live = domain.express
  if (!live) return []
  const ids: string[] = []
  for (const rule of live.rules) {
    if (!b.owned(rule.tags)) continue
    ids.push(
      b.add({
        id: `listener-rule ${rule.hosts.join(' ')}`,
        action: 'delete',
        resource: { type: 'elbv2:listener-rule', name: `host ${rule.hosts.join(', ')}` },
        request: Elb.DeleteRule.request({ RuleArn: rule.arn }),
        dependsOn: after,
        okErrors: ['RuleNotFoundException'],
      }),
    )
  }
  const cert = domain.certificate
  if (cert && live.listenerCertificates.includes(cert.arn) && (b.owned(cert.tags) || b.desired.http.certificate === cert.arn)) {
    ids.push(
      b.add({
        id: 'listener-certificate',
        action: 'delete',
        resource: { type: 'elbv2:listener-certificate', name: domain.names[0] },
        request: Elb.RemoveListenerCertificates.request({ ListenerArn: live.listenerArn, Certificates: [{ CertificateArn: cert.arn }] }),
        dependsOn: [...after, ...ids],
        okErrors: ['ListenerNotFoundException'],
      }),
    )
  }
  return ids
}

/** A deploy's domain part on fargate: (a) then (b). */
function planFargateDomain(b: PartBuilder<ContainerDesired>, domain: DomainObserved | undefined): void {
  if (!domain?.names.length || !b.desired.express) return
  const cert = planCertificate(b, domain)
  if (!cert) return
  const answer = planExpressDomain(b, domain, cert)
  if (answer) planAliasRecords(b, domain, answer)
}

/** Destroy's: records, then rules and the listener certificate, then the certificate. Returns what the Express service's delete must follow. */
function planFargateDomainDestroy(b: PartBuilder<ContainerDesired>, domain: DomainObserved | undefined): string[] {
  if (!domain?.names.length) return []
  const records = planAliasRecordsRemoval(b, domain)
  const removed = planExpressDomainRemoval(b, domain, records)
  planCertificateRemoval(b, domain, [...removed, ...b.present('express-service')], domain.express ? [domain.express.loadBalancerArn] : [])
  return removed
}

/** The domain of a fargate app: certificate, zones and records read beside the rest, the Express load balancer's side once the service is known. */
export async function withExpressDomain(clients: AwsClients, domain: DomainObserved, revisionArn: string | undefined): Promise<DomainObserved> {
  return { ...domain, express: revisionArn ? await observeExpressDomain(clients, revisionArn, domain.names) : null }
}

/**
 * The domain's steps added to a fargate plan made without them. Destroy: the Express service is
 * deleted after shipit's rules are off its listener (its target group cannot go while a rule sends
 * to it), and the certificate after the service.
 */
export function withFargateDomain(part: PlanPart, desired: ContainerDesired, domain: DomainObserved | undefined, ctx: PlanContext, destroy: boolean): PlanPart {
  if (!domain?.names.length) return part
  const b = new PartBuilder<ContainerDesired>(desired, ctx)
  b.steps.push(...part.steps)
  b.unchanged.push(...part.unchanged)
  b.warnings.push(...part.warnings)
  b.blocked.push(...part.blocked)
  if (!destroy) {
    planFargateDomain(b, domain)
    return b.part()
  }
  const removed = planFargateDomainDestroy(b, domain)
  const service = b.steps.find((s) => s.id === 'express-service')
  if (service) service.dependsOn = [...service.dependsOn, ...removed]
  return b.part()
}
