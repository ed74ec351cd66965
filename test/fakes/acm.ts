/**
 * ACM in the in-memory fake: certificates of custom domains (issue 25), from the ACM API reference
 * (RequestCertificate, DescribeCertificate, ListCertificates, DeleteCertificate, AddTagsToCertificate,
 * ListTagsForCertificate). A certificate requested with DNS validation is PENDING_VALIDATION; its
 * validation CNAME (`DomainValidationOptions[].ResourceRecord`) shows from the second read on, as
 * ACM fills it in a few seconds after the request; it becomes ISSUED once every validation CNAME is
 * in a public hosted zone of the fake Route 53 with ACM's value, after `issueAfterReads` more reads
 * (ACM checks DNS on its own schedule). The record is the same for the same name in the same
 * account, as ACM's are. InUseBy lists the API Gateway domain names and load balancer listeners that
 * use it.
 */
import { createHash } from 'node:crypto'
import type { FakeContext } from './context.js'
import { awsError, clone, type Handlers } from './core.js'
import { findRecord } from './route53.js'

type Rec = Record<string, any>

export interface CertificateRecord {
  arn: string
  domainName: string
  names: string[]
  type: 'AMAZON_ISSUED' | 'IMPORTED'
  status: 'PENDING_VALIDATION' | 'ISSUED' | 'FAILED' | 'EXPIRED'
  tags: { Key: string; Value?: string }[]
  idempotencyToken?: string
  createdAt: Date
  issuedAt?: Date
  /** reads since the request: the validation records show from the second */
  reads: number
  /** reads since every validation record was found in DNS */
  validatedReads: number
}

export interface AcmState {
  certificates: Map<string, CertificateRecord>
  /** reads of a certificate whose records are in DNS before it is ISSUED (tests may set 0) */
  issueAfterReads: number
}

export function createAcmState(): AcmState {
  return { certificates: new Map(), issueAfterReads: 1 }
}

/** The validation CNAME ACM gives a name in an account: the same every time. */
export function validationRecord(account: string, name: string): { Name: string; Type: 'CNAME'; Value: string } {
  const h = (s: string) => createHash('sha256').update(`${account}/${name}/${s}`).digest('hex').slice(0, 32)
  return { Name: `_${h('name')}.${name}.`, Type: 'CNAME', Value: `_${h('value')}.${h('zone').slice(0, 10)}.acm-validations.aws.` }
}

/** An imported or issued certificate put straight into the fake (a certificate made by hand). */
export function addCertificate(ctx: FakeContext, names: string[], tags: Record<string, string> = {}): string {
  const arn = `arn:aws:acm:${ctx.region}:${ctx.account}:certificate/${ctx.ids.uuid()}`
  ctx.state.acm.certificates.set(arn, {
    arn,
    domainName: names[0],
    names,
    type: 'AMAZON_ISSUED',
    status: 'ISSUED',
    tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    createdAt: ctx.now(),
    issuedAt: ctx.now(),
    reads: 10,
    validatedReads: 10,
  })
  return arn
}

export function acmHandlers(ctx: FakeContext): Handlers {
  const acm = () => ctx.state.acm
  const invalidArn = (arn: unknown) => awsError('acm', 'InvalidArnException', `String '${String(arn)}' is not a valid ARN.`)
  const get = (arn: unknown): CertificateRecord => {
    if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:acm:/.test(arn)) throw invalidArn(arn)
    const cert = acm().certificates.get(arn)
    if (!cert) throw awsError('acm', 'ResourceNotFoundException', `Could not find certificate ${arn}.`)
    return cert
  }

  /** The API Gateway domain names and listeners that use a certificate. */
  const inUseBy = (arn: string): string[] => {
    const users: string[] = []
    for (const d of ctx.state.apigatewayv2.domainNames?.values() ?? []) {
      if ((d.DomainNameConfigurations ?? []).some((c: Rec) => c.CertificateArn === arn)) {
        users.push(`arn:aws:apigateway:${ctx.region}::/domainnames/${d.DomainName}`)
      }
    }
    for (const l of ctx.state.elbv2.listeners?.values() ?? []) {
      if (l.certificates.some((c) => c.CertificateArn === arn)) users.push(l.loadBalancerArn)
    }
    return [...new Set(users)]
  }

  /** One read of a pending certificate: it is issued once DNS has had its records for long enough. */
  const advance = (cert: CertificateRecord): void => {
    cert.reads++
    if (cert.status !== 'PENDING_VALIDATION' || cert.reads < 2) return
    const inDns = cert.names.every((n) => {
      const want = validationRecord(ctx.account, n)
      const found = findRecord(ctx, want.Name, 'CNAME')
      return found?.ResourceRecords?.some((r: Rec) => r.Value === want.Value)
    })
    if (!inDns) return
    if (cert.validatedReads++ < acm().issueAfterReads) return
    cert.status = 'ISSUED'
    cert.issuedAt = ctx.now()
  }

  const validationOptions = (cert: CertificateRecord): Rec[] =>
    cert.names.map((n) => ({
      DomainName: n,
      ValidationDomain: n,
      ValidationMethod: 'DNS',
      ValidationStatus: cert.status === 'ISSUED' ? 'SUCCESS' : 'PENDING_VALIDATION',
      ...(cert.reads >= 2 ? { ResourceRecord: validationRecord(ctx.account, n) } : {}),
    }))

  return {
    RequestCertificate: (input) => {
      const domain = input.DomainName
      if (typeof domain !== 'string' || !domain)
        throw awsError(
          'acm',
          'ValidationException',
          "1 validation error detected: Value null at 'domainName' failed to satisfy constraint: Member must not be null",
        )
      if (input.ValidationMethod !== 'DNS' && input.ValidationMethod !== undefined && input.ValidationMethod !== 'EMAIL') {
        throw awsError(
          'acm',
          'ValidationException',
          `Value '${input.ValidationMethod}' at 'validationMethod' failed to satisfy constraint: Member must satisfy enum value set: [EMAIL, DNS, HTTP]`,
        )
      }
      const names = [domain, ...((input.SubjectAlternativeNames ?? []) as string[]).filter((n) => n !== domain)]
      if (names.length > 10) throw awsError('acm', 'LimitExceededException', 'Certificate request would exceed the maximum number of domain names (10).')
      for (const n of names) {
        if (!/^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+$/i.test(n)) {
          throw awsError('acm', 'InvalidDomainValidationOptionsException', `The domain name '${n}' is not valid.`)
        }
      }
      // the same token within an hour answers with the same certificate
      const token = input.IdempotencyToken
      if (token) {
        const same = [...acm().certificates.values()].find((c) => c.idempotencyToken === token && c.domainName === domain)
        if (same) return { CertificateArn: same.arn }
      }
      const arn = `arn:aws:acm:${ctx.region}:${ctx.account}:certificate/${ctx.ids.uuid()}`
      acm().certificates.set(arn, {
        arn,
        domainName: domain,
        names,
        type: 'AMAZON_ISSUED',
        status: 'PENDING_VALIDATION',
        tags: clone(input.Tags ?? []),
        ...(token ? { idempotencyToken: token } : {}),
        createdAt: ctx.now(),
        reads: 0,
        validatedReads: 0,
      })
      return { CertificateArn: arn }
    },

    DescribeCertificate: (input) => {
      const cert = get(input.CertificateArn)
      advance(cert)
      return {
        Certificate: {
          CertificateArn: cert.arn,
          DomainName: cert.domainName,
          SubjectAlternativeNames: [...cert.names],
          DomainValidationOptions: validationOptions(cert),
          Status: cert.status,
          Type: cert.type,
          InUseBy: inUseBy(cert.arn),
          CreatedAt: cert.createdAt,
          ...(cert.issuedAt ? { IssuedAt: cert.issuedAt } : {}),
          KeyAlgorithm: 'RSA_2048',
          RenewalEligibility: cert.status === 'ISSUED' && inUseBy(cert.arn).length ? 'ELIGIBLE' : 'INELIGIBLE',
        },
      }
    },

    ListCertificates: (input) => {
      const statuses: string[] | undefined = input.CertificateStatuses
      const all = [...acm().certificates.values()].filter((c) => !statuses?.length || statuses.includes(c.status))
      const start = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0
      const size = input.MaxItems ?? 1000
      const page = all.slice(start, start + size)
      return {
        CertificateSummaryList: page.map((c) => ({
          CertificateArn: c.arn,
          DomainName: c.domainName,
          SubjectAlternativeNameSummaries: [...c.names],
          HasAdditionalSubjectAlternativeNames: false,
          Status: c.status,
          Type: c.type,
          InUse: inUseBy(c.arn).length > 0,
          CreatedAt: c.createdAt,
        })),
        ...(start + size < all.length ? { NextToken: Buffer.from(String(start + size)).toString('base64') } : {}),
      }
    },

    DeleteCertificate: (input) => {
      const cert = get(input.CertificateArn)
      if (inUseBy(cert.arn).length) throw awsError('acm', 'ResourceInUseException', `Certificate ${cert.arn} in account ${ctx.account} is in use.`)
      acm().certificates.delete(cert.arn)
      return {}
    },

    AddTagsToCertificate: (input) => {
      const cert = get(input.CertificateArn)
      for (const t of (input.Tags ?? []) as { Key: string; Value?: string }[]) {
        const at = cert.tags.findIndex((x) => x.Key === t.Key)
        if (at >= 0) cert.tags[at] = clone(t)
        else cert.tags.push(clone(t))
      }
      if (cert.tags.length > 50) throw awsError('acm', 'TooManyTagsException', 'the request contains too many tags')
      return {}
    },

    ListTagsForCertificate: (input) => ({ Tags: clone(get(input.CertificateArn).tags) }),
  }
}
