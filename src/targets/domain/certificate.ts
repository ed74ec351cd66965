import { sha256Hex } from '../../digest.js'
import { createdFields, type Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { tagList } from '../target.js'
import { Acm, RECORDS_READY_WAITER, RECORDS_TO_CREATE_WAITER, recordsToCreateError } from './catalogue.js'
import type { DomainObserved } from './observe.js'
import { changeRequest, cnameSet, markerSet, ownsRecord, recordsAt } from './records.js'

/**
 * The certificate of a custom domain: the one app.yaml names (checked, never changed), or shipit's
 * (found by its tags and reused), or a new one requested with DNS validation, its validation CNAMEs
 * written in the hosted zones of the names, and waited for until ACM issues it.
 *
 * Without a hosted zone for a name, the certificate is still requested: it is free, tagged, found
 * and reused by the next deploy, and it is how the validation records to print become known (ACM
 * makes them). Nothing else of the domain is made: the deploy stops with the records and exit 1.
 */

export interface PlannedCertificate {
  arn: string | Ref
  /** the steps after which it is ISSUED */
  deps: string[]
}

const TYPE = 'acm:certificate'
const ISSUED_WAIT = 'CertificateValidated'

/** The certificate part of a domain; undefined when nothing else of the domain can be planned (blocked, or waiting for DNS). */
export function planCertificate(b: PartBuilder, observed: DomainObserved): PlannedCertificate | undefined {
  const given = b.desired.http.certificate
  if (given) return checkGivenCertificate(b, observed, given)
  const names = observed.names
  const cert = observed.certificate
  const withoutZone = names.filter((n) => !observed.zones[n])
  if (observed.ambiguousZones.length) {
    b.blocked.push({
      resource: { type: 'route53:hosted-zone', name: observed.ambiguousZones.join(', ') },
      reason: 'more than one public hosted zone of this account holds the name: shipit does not guess which one the world sees; delete the extra zone',
    })
    return undefined
  }
  if (cert?.status === 'ISSUED') {
    b.keep(TYPE, names[0], `${cert.arn} (ISSUED)`)
    return { arn: cert.arn, deps: [] }
  }
  if (cert && withoutZone.length) {
    // requested before: its records are known, and the plan says them before any change
    if (!cert.validation.length) {
      b.blocked.push({
        resource: { type: TYPE, name: names[0] },
        reason: `no Route 53 hosted zone of this account holds ${withoutZone.join(', ')}, and ACM has not given the certificate's validation records yet: run the plan again in a few seconds to see them`,
      })
      return undefined
    }
    const error = recordsToCreateError(withoutZone, cert.validation)
    b.blocked.push({ resource: { type: TYPE, name: names[0] }, reason: `${error.message}\n${(error.suggestions ?? []).join('\n')}` })
    return undefined
  }
  if (!cert) {
    requestCertificate(b, names, withoutZone.length > 0)
    if (withoutZone.length) return undefined
  } else if (cert.validation.length < names.length) {
    // requested a moment ago: ACM has not filled in every validation record yet
    readRecordsWhenReady(b, names[0], cert.arn)
  } else b.keep(TYPE, names[0], `${cert.arn} (${cert.status})`)
  const validationDeps = planValidationRecords(b, observed)
  if (validationDeps === undefined) return undefined
  const arn: string | Ref = cert ? cert.arn : { ref: 'certificate', output: 'CertificateArn' }
  b.add({
    id: 'certificate-validated',
    action: 'run',
    resource: { type: TYPE, name: names[0] },
    reason: 'wait until ACM has validated the names and issued the certificate',
    request: Acm.DescribeCertificate.request({ CertificateArn: arn }),
    wait: { waiter: ISSUED_WAIT, input: { CertificateArn: arn }, description: `ACM to issue the certificate of ${names.join(', ')}` },
    dependsOn: validationDeps,
  })
  return { arn, deps: ['certificate-validated'] }
}

/** app.yaml's certificate: it must be ISSUED, of this region and cover every name; it is never changed or deleted. */
function checkGivenCertificate(b: PartBuilder, observed: DomainObserved, arn: string): PlannedCertificate | undefined {
  const cert = observed.certificate
  const region = arn.split(':')[3]
  const uncovered = observed.names.filter((n) => !cert?.names.some((c) => c === n || (c.startsWith('*.') && n.split('.').slice(1).join('.') === c.slice(2))))
  const problem =
    region !== b.ctx.region
      ? `is in ${region}, not ${b.ctx.region}, the app's region`
      : !cert
        ? 'was not found in this account and region'
        : cert.status !== 'ISSUED'
          ? `is ${cert.status}, not ISSUED: validate it first (shipit does not change a certificate app.yaml names)`
          : uncovered.length
            ? `does not cover ${uncovered.join(', ')}`
            : undefined
  if (problem) {
    b.blocked.push({ resource: { type: TYPE, name: arn }, reason: `http.certificate ${problem}` })
    return undefined
  }
  b.keep(TYPE, arn, 'given in app.yaml: used as it is, never changed or deleted')
  return { arn, deps: [] }
}

/** RequestCertificate with DNS validation and shipit's tags; without a hosted zone its wait prints the records and fails. */
function requestCertificate(b: PartBuilder, names: string[], withoutZone: boolean): void {
  const { app, env } = b.desired
  // ACM answers a request with the same token within an hour with the same certificate: \w, at most 32 characters
  const token = sha256Hex(JSON.stringify([app, env, names])).slice(0, 32)
  b.add({
    id: 'certificate',
    action: 'create',
    resource: { type: TYPE, name: names[0] },
    reason: withoutZone ? 'requested now so that ACM gives its DNS validation records, which no hosted zone of this account can hold' : 'validated by DNS',
    changes: createdFields({ DomainName: names[0], ...(names.length > 1 ? { SubjectAlternativeNames: names.slice(1) } : {}), ValidationMethod: 'DNS' }),
    request: Acm.RequestCertificate.request({
      DomainName: names[0],
      ...(names.length > 1 ? { SubjectAlternativeNames: names } : {}),
      ValidationMethod: 'DNS',
      IdempotencyToken: token,
      Tags: tagList(b.desired.tags),
    }),
    wait: withoutZone
      ? {
          waiter: RECORDS_TO_CREATE_WAITER,
          input: { CertificateArn: { ref: 'certificate', output: 'CertificateArn' }, DomainNames: names },
          description: 'the validation records to create',
        }
      : {
          waiter: RECORDS_READY_WAITER,
          input: { CertificateArn: { ref: 'certificate', output: 'CertificateArn' } },
          description: 'ACM to give the validation records',
        },
    dependsOn: [],
  })
  if (withoutZone) return
  readRecords(b, names[0], { ref: 'certificate', output: 'CertificateArn' })
}

/** The read whose answer the validation records' step takes their names and values from. */
function readRecords(b: PartBuilder, name: string, arn: string | Ref): void {
  b.add({
    id: 'certificate-records',
    action: 'run',
    resource: { type: TYPE, name },
    reason: 'read the DNS validation records ACM gave',
    request: Acm.DescribeCertificate.request({ CertificateArn: arn }),
    dependsOn: ['certificate'],
  })
}

/** A certificate of shipit's whose records ACM is still filling in: waited for, then read. */
function readRecordsWhenReady(b: PartBuilder, name: string, arn: string): void {
  b.add({
    id: 'certificate',
    action: 'run',
    resource: { type: TYPE, name },
    reason: `${arn}: wait for ACM to give its DNS validation records`,
    request: Acm.DescribeCertificate.request({ CertificateArn: arn }),
    wait: { waiter: RECORDS_READY_WAITER, input: { CertificateArn: arn }, description: 'ACM to give the validation records' },
    dependsOn: [],
  })
  readRecords(b, name, arn)
}

/**
 * The validation CNAME of each name, with its marker, one batch per hosted zone: what is there with
 * ACM's value is kept (whoever made it), what is missing is created, a different value at the name is
 * refused. Returns the steps ISSUED must wait for, or undefined when blocked.
 */
function planValidationRecords(b: PartBuilder, observed: DomainObserved): string[] | undefined {
  const cert = observed.certificate
  const byZone = new Map<string, { name: string | Ref; value: string | Ref }[]>()
  let blocked = false
  observed.names.forEach((name, i) => {
    const zone = observed.zones[name]
    if (!zone) return
    const known = cert?.validation.find((v) => v.domain === name)
    const record = (field: 'Name' | 'Value'): string | Ref =>
      known
        ? field === 'Name'
          ? known.name
          : known.value
        : { ref: 'certificate-records', output: `Certificate.DomainValidationOptions.${i}.ResourceRecord.${field}` }
    const recordName = record('Name')
    if (typeof recordName === 'string') {
      const live = recordsAt(observed, name, recordName, ['CNAME'])[0]
      if (live?.ResourceRecords?.some((r) => r.Value === record('Value'))) {
        b.keep(
          'route53:record',
          `${recordName} CNAME`,
          ownsRecord(b, observed, name, recordName) ? undefined : 'validation record made outside shipit: kept as it is',
        )
        return
      }
      if (live) {
        b.blocked.push({
          resource: { type: 'route53:record', name: `${recordName} CNAME` },
          reason: `has a value other than ACM's validation value ${record('Value')}: shipit does not change a record it did not make`,
        })
        blocked = true
        return
      }
    }
    byZone.set(zone.id, [...(byZone.get(zone.id) ?? []), { name: recordName, value: record('Value') }])
  })
  if (blocked) return undefined
  const deps: string[] = []
  for (const [zoneId, records] of byZone) {
    const id = `validation-records ${zoneId}`
    b.add({
      id,
      action: 'create',
      resource: { type: 'route53:record', name: `validation of ${observed.names.filter((n) => observed.zones[n]?.id === zoneId).join(', ')}` },
      reason: 'the CNAME ACM checks to issue the certificate, and its shipit marker',
      changes: records.map((r) => ({ path: `CNAME ${typeof r.name === 'string' ? r.name : '(name from ACM)'}`, after: r.value })),
      request: changeRequest(
        zoneId,
        records.flatMap((r) => [cnameSet(r.name, r.value), markerSet(b, r.name)]).map((set) => ({ Action: 'CREATE' as const, ResourceRecordSet: set })),
        'shipit: certificate validation',
      ),
      dependsOn: b.present('certificate-records'),
    })
    deps.push(id)
  }
  return deps
}
