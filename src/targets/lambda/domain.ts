import type { LambdaDesired } from '../../manifest/resolve.js'
import type { DomainObserved } from '../domain/observe.js'
import {
  type PlannedApiRef,
  planAliasRecords,
  planAliasRecordsRemoval,
  planApiDomain,
  planApiDomainRemoval,
  planCertificate,
  planCertificateRemoval,
} from '../domain/plan.js'
import type { PartBuilder } from '../part.js'

/** http.domain on lambda: the certificate, a regional API Gateway domain name mapped to the API's `$default` stage, alias records. */
export function planLambdaDomain(b: PartBuilder<LambdaDesired>, domain: DomainObserved | undefined, api: PlannedApiRef): void {
  if (!domain?.names.length) return
  const cert = planCertificate(b, domain)
  if (!cert) return
  const answer = planApiDomain(b, domain, cert, api)
  if (answer) planAliasRecords(b, domain, answer)
}

/** Records first (they point at the domain names), then the domain names, then the certificate; returns what the API's delete must follow. */
export function planLambdaDomainDestroy(b: PartBuilder<LambdaDesired>, domain: DomainObserved | undefined): string[] {
  if (!domain?.names.length) return []
  const records = planAliasRecordsRemoval(b, domain)
  const removed = planApiDomainRemoval(b, domain, records)
  planCertificateRemoval(b, domain, removed, removed.length ? domain.names.map((n) => `/domainnames/${n}`) : [])
  return removed
}
