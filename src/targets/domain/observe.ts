import type { ListResourceRecordSetsCommandOutput, ResourceRecordSet } from '@aws-sdk/client-route-53'
import type { AwsClients } from '../../aws/clients.js'
import { orNullIfMissing } from '../../aws/errors.js'
import { domainNamesOf } from '../../manifest/domain.js'
import { ownedBy } from '../../manifest/names.js'
import type { Desired } from '../../manifest/resolve.js'
import { anyTagMap } from '../read-back.js'

/**
 * What a custom domain reads (issue 25): the certificate (shipit's, found by its tags, or the one
 * app.yaml names), the hosted zone of each name (the longest public zone of the account that holds
 * it) and the records at the name and below it, and on lambda the API Gateway domain names with
 * their mappings. Reads only. The Express side is read by the container target (express-domain.ts).
 */

interface ObservedCertificate {
  arn: string
  status: string
  /** DomainName first, then the other names */
  names: string[]
  tags: Record<string, string>
  /** the validation CNAME of each name, once ACM has filled it in */
  validation: { domain: string; name: string; value: string }[]
  inUseBy: string[]
}

interface ObservedZone {
  /** without the /hostedzone/ prefix */
  id: string
  /** fully qualified, with the final dot */
  name: string
}

export interface ObservedApiDomain {
  name: string
  /** d-….execute-api.<region>.amazonaws.com and its hosted zone: what the alias records point at */
  target: string
  hostedZoneId: string
  certificateArn?: string
  tags: Record<string, string>
  mappings: { id: string; apiId: string; stage: string; key: string }[]
}

/** fargate: what is on the Express load balancer for the names (src/targets/container/express-domain.ts reads it) */
export interface ObservedExpressDomain {
  listenerArn: string
  loadBalancerArn: string
  targetGroupArn: string
  dnsName: string
  canonicalHostedZoneId: string
  listenerCertificates: string[]
  /** rules on the listener for one of the names, with their tags */
  rules: { arn: string; priority: string; hosts: string[]; targetGroupArn?: string; tags: Record<string, string> }[]
  /** every priority in use on the listener */
  priorities: number[]
}

export interface DomainObserved {
  names: string[]
  certificate: ObservedCertificate | null
  /** by name; null: no public hosted zone of the account holds it */
  zones: Record<string, ObservedZone | null>
  /** more than one public zone of that name holds a name: shipit does not guess */
  ambiguousZones: string[]
  /** the records at each name and below it (its shipit marker, its validation record), fully qualified names */
  records: Record<string, ResourceRecordSet[]>
  /** lambda: the API Gateway domain name of each name, or null */
  apiDomains: Record<string, ObservedApiDomain | null>
  /** fargate: the Express load balancer's listener, target group and rules; null when the service is not there yet */
  express?: ObservedExpressDomain | null
}

/** What an offline plan writes for the hosted zone of a name: the runbook asks for it (HOSTED_ZONE_ID). */
export const HOSTED_ZONE_PLACEHOLDER = '<hosted-zone>'

/** Offline: nothing of the domain exists, and a hosted zone holds each name (its id is the placeholder). */
export const noDomain = (desired: Pick<Desired, 'http'>): DomainObserved => {
  const names = domainNamesOf(desired.http)
  return {
    names,
    certificate: null,
    zones: Object.fromEntries(names.map((n) => [n, { id: HOSTED_ZONE_PLACEHOLDER, name: fqdn(n) }])),
    ambiguousZones: [],
    records: {},
    apiDomains: Object.fromEntries(names.map((n) => [n, null])),
  }
}

export const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase()

/** Reads the domain of an app; `apiDomains`: the lambda target's API Gateway domain names too. */
export async function observeDomain(
  clients: AwsClients,
  desired: Desired,
  options: { apiDomains: boolean; forDestroy?: boolean },
): Promise<DomainObserved | undefined> {
  const names = domainNamesOf(desired.http)
  if (!names.length) return undefined
  const [certificate, zones, apiDomains] = await Promise.all([
    observeCertificate(clients, desired, names),
    observeZones(clients),
    options.apiDomains ? Promise.all(names.map((n) => observeApiDomain(clients, n))) : Promise.resolve(names.map(() => null)),
  ])
  const found: Record<string, ObservedZone | null> = {}
  const ambiguousZones: string[] = []
  for (const name of names) {
    const holding = zones.filter((z) => fqdn(name) === z.name || fqdn(name).endsWith(`.${z.name}`))
    const longest = Math.max(0, ...holding.map((z) => z.name.length))
    const best = holding.filter((z) => z.name.length === longest)
    if (best.length > 1) ambiguousZones.push(name)
    found[name] = best.length === 1 ? best[0] : null
  }
  const records: Record<string, ResourceRecordSet[]> = {}
  await Promise.all(
    names.map(async (name) => {
      const zone = found[name]
      records[name] = zone ? await observeRecordsAt(clients, zone.id, name) : []
    }),
  )
  return {
    names,
    certificate,
    zones: found,
    ambiguousZones,
    records,
    apiDomains: Object.fromEntries(names.map((n, i) => [n, apiDomains[i]])),
  }
}

/** The certificate app.yaml names, else the newest of shipit's for exactly these names (its tags say this app and env). */
async function observeCertificate(clients: AwsClients, desired: Desired, names: string[]): Promise<ObservedCertificate | null> {
  const given = desired.http.certificate
  if (given) return describeCertificate(clients, given)
  const summaries = []
  let NextToken: string | undefined
  do {
    const page = await clients.send('acm', 'ListCertificates', { CertificateStatuses: ['PENDING_VALIDATION', 'ISSUED'], NextToken })
    summaries.push(...(page.CertificateSummaryList ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  const want = [...names].sort().join(' ')
  const candidates = summaries.filter((s) => s.DomainName === names[0] && [...(s.SubjectAlternativeNameSummaries ?? [s.DomainName])].sort().join(' ') === want)
  for (const c of candidates.sort((a, b) => (b.CreatedAt?.getTime?.() ?? 0) - (a.CreatedAt?.getTime?.() ?? 0))) {
    if (!c.CertificateArn) continue
    const tags = anyTagMap((await clients.send('acm', 'ListTagsForCertificate', { CertificateArn: c.CertificateArn })).Tags)
    if (ownedBy(tags, desired.app, desired.env)) return describeCertificate(clients, c.CertificateArn, tags)
  }
  return null
}

async function describeCertificate(clients: AwsClients, arn: string, tags?: Record<string, string>): Promise<ObservedCertificate | null> {
  const out = await orNullIfMissing(clients.send('acm', 'DescribeCertificate', { CertificateArn: arn }))
  const c = out?.Certificate
  if (!c) return null
  const validation = (c.DomainValidationOptions ?? [])
    .filter((o) => o.ResourceRecord?.Name)
    .map((o) => ({ domain: o.DomainName ?? '', name: o.ResourceRecord?.Name ?? '', value: o.ResourceRecord?.Value ?? '' }))
  return {
    arn,
    status: c.Status ?? 'UNKNOWN',
    names: [c.DomainName ?? '', ...(c.SubjectAlternativeNames ?? []).filter((n) => n !== c.DomainName)],
    tags: tags ?? {},
    validation,
    inUseBy: c.InUseBy ?? [],
  }
}

/** The public hosted zones of the account (ListHostedZonesByName lists them all, in name order). */
async function observeZones(clients: AwsClients): Promise<ObservedZone[]> {
  const zones: ObservedZone[] = []
  let DNSName: string | undefined
  let HostedZoneId: string | undefined
  for (;;) {
    const page = await clients.send('route53', 'ListHostedZonesByName', { DNSName, HostedZoneId })
    for (const z of page.HostedZones ?? []) {
      if (!z.Config?.PrivateZone && z.Id && z.Name) zones.push({ id: z.Id.replace(/^\/hostedzone\//, ''), name: fqdn(z.Name) })
    }
    if (!page.IsTruncated) return zones
    DNSName = page.NextDNSName
    HostedZoneId = page.NextHostedZoneId
  }
}

/** The records at a name and below it: Route 53 lists them in the order of their labels reversed, so they come together. */
async function observeRecordsAt(clients: AwsClients, zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  const at = fqdn(name)
  const inside = (n: string | undefined) => Boolean(n) && (fqdn(n ?? '') === at || fqdn(n ?? '').endsWith(`.${at}`))
  const out: ResourceRecordSet[] = []
  let StartRecordName: string | undefined = at
  let StartRecordType: string | undefined
  for (;;) {
    const page: ListResourceRecordSetsCommandOutput = await clients.send('route53', 'ListResourceRecordSets', {
      HostedZoneId: zoneId,
      StartRecordName,
      ...(StartRecordType ? { StartRecordType: StartRecordType as ResourceRecordSet['Type'] } : {}),
    })
    const sets = page.ResourceRecordSets ?? []
    out.push(...sets.filter((r) => inside(r.Name)))
    // past the name's records: the rest of the zone is not the app's
    if (!page.IsTruncated || sets.some((r) => !inside(r.Name))) return out
    StartRecordName = page.NextRecordName
    StartRecordType = page.NextRecordType
  }
}

async function observeApiDomain(clients: AwsClients, name: string): Promise<ObservedApiDomain | null> {
  const d = await orNullIfMissing(clients.send('apigatewayv2', 'GetDomainName', { DomainName: name }))
  if (!d) return null
  const config = d.DomainNameConfigurations?.[0]
  const mappings = await clients.send('apigatewayv2', 'GetApiMappings', { DomainName: name })
  return {
    name,
    target: config?.ApiGatewayDomainName ?? '',
    hostedZoneId: config?.HostedZoneId ?? '',
    ...(config?.CertificateArn ? { certificateArn: config.CertificateArn } : {}),
    tags: d.Tags ?? {},
    mappings: (mappings.Items ?? []).map((m) => ({ id: m.ApiMappingId ?? '', apiId: m.ApiId ?? '', stage: m.Stage ?? '', key: m.ApiMappingKey ?? '' })),
  }
}
