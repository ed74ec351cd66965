import type { ResourceRecordSet } from '@aws-sdk/client-route-53'
import type { FieldChange, Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { Acm, ApiDomain } from './catalogue.js'
import { type PlannedCertificate, planCertificate } from './certificate.js'
import { type DomainObserved, fqdn, type ObservedApiDomain } from './observe.js'
import { type AliasTarget, aliasSet, changedWait, changeRequest, deleteChange, MARKER_PREFIX, markerSet, ownsRecord, recordsAt, sameAlias } from './records.js'

/**
 * The plan of a custom domain, in three pieces that `shipit move` calls apart:
 * (a) making a target answer on the names: `planCertificate` then `planApiDomain` (lambda) or
 *     `planExpressDomain` (fargate, express-domain.ts), each returning where the names must point;
 * (b) pointing the names there: `planAliasRecords`;
 * (c) removing what the old target had for the names: `planApiDomainRemoval` / `planExpressDomainRemoval`.
 * A deploy runs (a) and (b); destroy runs (c), `planAliasRecordsRemoval` and `planCertificateRemoval`.
 */

export { type PlannedCertificate, planCertificate }

/** Where the names point once the target answers on them, and the steps that must be done first. */
export interface DomainAnswer {
  targets: Record<string, AliasTarget>
  deps: string[]
}

// ---- (a) lambda: the API Gateway domain name and its mapping ------------------------------------

/** The HTTP API of the app: its id (or a reference to the create's answer) and the steps after which its `$default` stage exists. */
export interface PlannedApiRef {
  id: string | Ref
  deps: string[]
}

const DOMAIN_TYPE = 'apigatewayv2:domain-name'
const MAPPING_TYPE = 'apigatewayv2:api-mapping'
const STAGE = '$default'

/** A regional domain name (TLS 1.2) per name with the certificate, mapped to the API's `$default` stage. */
export function planApiDomain(b: PartBuilder, observed: DomainObserved, cert: PlannedCertificate, api: PlannedApiRef): DomainAnswer | undefined {
  const targets: Record<string, AliasTarget> = {}
  const deps: string[] = []
  for (const name of observed.names) {
    const live = observed.apiDomains[name]
    if (live && !b.owned(live.tags) && b.refuse(DOMAIN_TYPE, name)) return undefined
    const domainId = `domain-name ${name}`
    if (!live) {
      b.add({
        id: domainId,
        action: 'create',
        resource: { type: DOMAIN_TYPE, name },
        reason: 'regional, TLS 1.2',
        changes: [
          { path: 'CertificateArn', after: cert.arn },
          { path: 'EndpointType', after: 'REGIONAL' },
          { path: 'SecurityPolicy', after: 'TLS_1_2' },
        ],
        request: ApiDomain.CreateDomainName.request({
          DomainName: name,
          DomainNameConfigurations: [{ CertificateArn: cert.arn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
          Tags: b.desired.tags,
        }),
        dependsOn: cert.deps,
      })
      targets[name] = {
        dnsName: { ref: domainId, output: 'DomainNameConfigurations.0.ApiGatewayDomainName' },
        hostedZoneId: { ref: domainId, output: 'DomainNameConfigurations.0.HostedZoneId' },
      }
    } else {
      planDomainNameUpdate(b, live, cert)
      targets[name] = { dnsName: live.target, hostedZoneId: live.hostedZoneId }
    }
    deps.push(...planApiMapping(b, name, live, api))
  }
  return { targets, deps }
}

function planDomainNameUpdate(b: PartBuilder, live: ObservedApiDomain, cert: PlannedCertificate): void {
  const changes: FieldChange[] = []
  if (live.certificateArn !== cert.arn) changes.push({ path: 'CertificateArn', before: live.certificateArn, after: cert.arn })
  if (!changes.length) {
    b.keep(DOMAIN_TYPE, live.name, live.target)
    return
  }
  b.add({
    id: `domain-name ${live.name}`,
    action: 'update',
    resource: { type: DOMAIN_TYPE, name: live.name },
    changes,
    request: ApiDomain.UpdateDomainName.request({
      DomainName: live.name,
      DomainNameConfigurations: [{ CertificateArn: cert.arn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    }),
    dependsOn: cert.deps,
  })
}

/** The mapping of the name's root path to the API's `$default` stage; one to another API is replaced. */
function planApiMapping(b: PartBuilder, name: string, live: ObservedApiDomain | null, api: PlannedApiRef): string[] {
  const id = `api-mapping ${name}`
  const root = live?.mappings.find((m) => m.key === '')
  if (root && root.apiId === api.id && root.stage === STAGE) {
    b.keep(MAPPING_TYPE, `${name} → ${root.apiId}/${STAGE}`)
    return []
  }
  if (root) {
    b.add({
      id: `${id} (old)`,
      action: 'delete',
      resource: { type: MAPPING_TYPE, name: `${name} → ${root.apiId}/${root.stage}` },
      reason: 'maps the name to another API',
      request: ApiDomain.DeleteApiMapping.request({ DomainName: name, ApiMappingId: root.id }),
      dependsOn: api.deps,
      okErrors: ['NotFoundException'],
    })
  }
  b.add({
    id,
    action: 'create',
    resource: { type: MAPPING_TYPE, name: `${name} → ${STAGE}` },
    changes: [
      { path: 'ApiId', before: root?.apiId, after: api.id },
      { path: 'Stage', before: root?.stage, after: STAGE },
    ],
    request: ApiDomain.CreateApiMapping.request({ DomainName: name, ApiId: api.id, Stage: STAGE }),
    dependsOn: [...api.deps, ...b.present(`domain-name ${name}`, `${id} (old)`)],
  })
  return [id]
}

// ---- (b) the alias records -----------------------------------------------------------------------

/**
 * Alias A and AAAA records of each name to where it answers, with their marker, in one batch per
 * name: created when absent, UPSERTed when shipit's and pointing elsewhere, kept when right; records
 * someone else made at the name are refused (or taken over with --adopt).
 */
export function planAliasRecords(b: PartBuilder, observed: DomainObserved, answer: DomainAnswer): void {
  for (const name of observed.names) {
    const zone = observed.zones[name]
    const target = answer.targets[name]
    if (!zone || !target) continue
    const resource = { type: 'route53:record', name: `${name} A, AAAA` }
    const live = recordsAt(observed, name, name, ['A', 'AAAA', 'CNAME'])
    const ours = ownsRecord(b, observed, name, name)
    const right =
      ['A', 'AAAA'].every((t) =>
        sameAlias(
          live.find((r) => r.Type === t),
          target,
        ),
      ) && !live.some((r) => r.Type === 'CNAME')
    if (right) {
      b.keep(resource.type, resource.name, ours ? String(target.dnsName) : `${target.dnsName} (made outside shipit: kept as it is)`)
      continue
    }
    if (live.length && !ours && b.refuse(resource.type, resource.name)) continue
    const cname = live.find((r) => r.Type === 'CNAME')
    const sets = (['A', 'AAAA'] as const).map((t) => aliasSet(name, t, target))
    const liveMarker = recordsAt(observed, name, `${MARKER_PREFIX}${fqdn(name)}`, ['TXT'])[0]
    const id = `alias-records ${name}`
    b.add({
      id,
      action: live.length ? 'update' : 'create',
      resource,
      reason: live.length ? 'point the name at the app' : 'the name answers with the app',
      changes: (['A', 'AAAA'] as const).map((t) => ({
        path: `${t} alias`,
        before: live.find((r) => r.Type === t)?.AliasTarget?.DNSName,
        after: target.dnsName,
      })),
      request: changeRequest(
        zone.id,
        [
          ...(cname ? [deleteChange(cname)] : []),
          ...sets.map((s) => ({ Action: live.some((r) => r.Type === s.Type) ? ('UPSERT' as const) : ('CREATE' as const), ResourceRecordSet: s })),
          { Action: liveMarker ? 'UPSERT' : 'CREATE', ResourceRecordSet: markerSet(b, name) },
        ],
        `shipit: ${b.desired.app} (${b.desired.env})`,
      ),
      wait: changedWait(id, `the records of ${name}`),
      dependsOn: answer.deps,
    })
  }
}

// ---- removal -------------------------------------------------------------------------------------

/** Deletes shipit's alias records and markers (as they are); records someone else made are kept. Returns the step ids. */
export function planAliasRecordsRemoval(b: PartBuilder, observed: DomainObserved): string[] {
  const ids: string[] = []
  for (const name of observed.names) {
    const zone = observed.zones[name]
    if (!zone) continue
    const live = recordsAt(observed, name, name, ['A', 'AAAA'])
    if (!ownsRecord(b, observed, name, name)) {
      if (live.length) b.keep('route53:record', `${name} A, AAAA`, 'kept: not made by shipit for this app and env')
      continue
    }
    const marker = recordsAt(observed, name, `${MARKER_PREFIX}${fqdn(name)}`, ['TXT'])
    const id = `alias-records ${name}`
    b.add({
      id,
      action: 'delete',
      resource: { type: 'route53:record', name: `${name} A, AAAA` },
      request: changeRequest(zone.id, [...live, ...marker].map(deleteChange), `shipit: ${b.desired.app} (${b.desired.env}) destroyed`),
      dependsOn: [],
    })
    ids.push(id)
  }
  return ids
}

/** (c) for lambda: deletes shipit's API Gateway domain names (their mappings go with them), after `after`. */
export function planApiDomainRemoval(b: PartBuilder, observed: DomainObserved, after: string[]): string[] {
  const ids: string[] = []
  for (const name of observed.names) {
    const live = observed.apiDomains[name]
    if (!live) continue
    if (!b.owned(live.tags)) {
      b.keep(DOMAIN_TYPE, name, 'kept: no shipit tags for this app and env')
      continue
    }
    const id = `domain-name ${name}`
    b.add({
      id,
      action: 'delete',
      resource: { type: DOMAIN_TYPE, name },
      reason: 'with its API mappings',
      request: ApiDomain.DeleteDomainName.request({ DomainName: name }),
      dependsOn: after,
      okErrors: ['NotFoundException'],
    })
    ids.push(id)
  }
  return ids
}

/** How long ACM may still count a certificate as in use after what used it was deleted. */
const IN_USE_SECONDS = 120

/**
 * Deletes shipit's certificate, with its validation records when they are shipit's, after `after`
 * (what used it). A certificate app.yaml names, or one something else uses, is kept.
 */
export function planCertificateRemoval(b: PartBuilder, observed: DomainObserved, after: string[], usersRemoved: string[]): void {
  const cert = observed.certificate
  if (!cert) return
  if (b.desired.http.certificate) {
    b.keep('acm:certificate', cert.arn, 'given in app.yaml: never deleted')
    return
  }
  if (!b.owned(cert.tags)) return
  const others = cert.inUseBy.filter((u) => !usersRemoved.some((r) => u.includes(r)))
  if (others.length) {
    b.keep('acm:certificate', cert.arn, `kept: in use by ${others.join(', ')}`)
    return
  }
  b.add({
    id: 'certificate',
    action: 'delete',
    resource: { type: 'acm:certificate', name: observed.names[0] },
    request: Acm.DeleteCertificate.request({ CertificateArn: cert.arn }),
    retry: { errorName: 'ResourceInUseException', seconds: IN_USE_SECONDS, waitingFor: 'ACM to see that nothing uses the certificate any more' },
    dependsOn: after,
    okErrors: ['ResourceNotFoundException'],
  })
  for (const name of observed.names) {
    const v = cert.validation.find((x) => x.domain === name)
    const zone = observed.zones[name]
    if (!v || !zone || !ownsRecord(b, observed, name, v.name)) continue
    const sets: ResourceRecordSet[] = [
      ...recordsAt(observed, name, v.name, ['CNAME']),
      ...recordsAt(observed, name, `${MARKER_PREFIX}${fqdn(v.name)}`, ['TXT']),
    ]
    b.add({
      id: `validation-records ${name}`,
      action: 'delete',
      resource: { type: 'route53:record', name: `${v.name} CNAME` },
      reason: 'the validation record of the certificate',
      request: changeRequest(zone.id, sets.map(deleteChange), `shipit: ${b.desired.app} (${b.desired.env}) destroyed`),
      dependsOn: ['certificate'],
    })
  }
}
