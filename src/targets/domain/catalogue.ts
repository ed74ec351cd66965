import type { AwsClients } from '../../aws/clients.js'
import { polling, sleep, type WaitContext } from '../../aws/waiters.js'
import { ExitCode, ShipitError } from '../../errors.js'
import { awsOperation, type Catalogue, type WaitRunbook } from '../../plan/catalogue.js'
import {
  type AppScope,
  anyResource,
  arnKind,
  type Conditions,
  on,
  type Permission,
  type PolicyUse,
  permission,
  READ,
  regional,
  taggedRequest,
  taggedResource,
} from '../../plan/permissions.js'
import { BEFORE_2020 } from '../cli-versions.js'
import { cliWait, DELETE, OLD_COMMAND, TAG, UPDATE } from '../shared-catalogue.js'
import { HOSTED_ZONE_PLACEHOLDER } from './observe.js'

/**
 * Every operation a custom domain sends (issue 25), on both targets: ACM (the certificate), Route 53
 * (the validation and alias records), API Gateway v2 (the domain name and its mapping, lambda) and
 * ELBv2 (the certificate on the Express load balancer's listener and the host rule, fargate), with
 * their IAM permissions and waits. Joined into each target's catalogue.
 */

export const Acm = {
  RequestCertificate: awsOperation('acm', 'RequestCertificate', {
    idempotency: {
      kind: 'natural',
      why: 'it carries an IdempotencyToken made of the app, env and names: ACM answers a resend within the hour with the same certificate',
    },
    runbook: OLD_COMMAND,
  }),
  AddTagsToCertificate: awsOperation('acm', 'AddTagsToCertificate', { idempotency: TAG, runbook: OLD_COMMAND }),
  DeleteCertificate: awsOperation('acm', 'DeleteCertificate', { idempotency: DELETE, runbook: OLD_COMMAND }),
  // a step of its own where a later step needs the validation records, which ACM fills in after the request
  DescribeCertificate: awsOperation('acm', 'DescribeCertificate', { read: true, runbook: OLD_COMMAND }),
  ListCertificates: awsOperation('acm', 'ListCertificates', { read: true }),
  ListTagsForCertificate: awsOperation('acm', 'ListTagsForCertificate', { read: true }),
}

export const Route53 = {
  ChangeResourceRecordSets: awsOperation('route53', 'ChangeResourceRecordSets', {
    idempotency: {
      kind: 'natural',
      why: 'UPSERT sets the same records again; a CREATE sent twice answers InvalidChangeBatch (it exists), and the next deploy sees the records made',
    },
    runbook: OLD_COMMAND,
  }),
  ListHostedZonesByName: awsOperation('route53', 'ListHostedZonesByName', { read: true }),
  ListResourceRecordSets: awsOperation('route53', 'ListResourceRecordSets', { read: true }),
  GetChange: awsOperation('route53', 'GetChange', { read: true }),
}

export const ApiDomain = {
  CreateDomainName: awsOperation('apigatewayv2', 'CreateDomainName', {
    idempotency: { kind: 'single', why: 'a second create answers ConflictException on the name; the next deploy finds the domain name by it' },
    runbook: OLD_COMMAND,
  }),
  CreateApiMapping: awsOperation('apigatewayv2', 'CreateApiMapping', {
    idempotency: { kind: 'single', why: 'a second create answers ConflictException on the (empty) mapping key; the next deploy finds the mapping' },
    runbook: OLD_COMMAND,
  }),
  DeleteApiMapping: awsOperation('apigatewayv2', 'DeleteApiMapping', { idempotency: DELETE, runbook: OLD_COMMAND }),
  UpdateDomainName: awsOperation('apigatewayv2', 'UpdateDomainName', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  DeleteDomainName: awsOperation('apigatewayv2', 'DeleteDomainName', { idempotency: DELETE, runbook: OLD_COMMAND }),
  GetDomainName: awsOperation('apigatewayv2', 'GetDomainName', { read: true }),
  GetApiMappings: awsOperation('apigatewayv2', 'GetApiMappings', { read: true }),
}

export const Elb = {
  AddListenerCertificates: awsOperation('elbv2', 'AddListenerCertificates', {
    idempotency: { kind: 'natural', why: 'adding a certificate the listener has changes nothing' },
    runbook: OLD_COMMAND,
  }),
  RemoveListenerCertificates: awsOperation('elbv2', 'RemoveListenerCertificates', { idempotency: DELETE, runbook: OLD_COMMAND }),
  CreateRule: awsOperation('elbv2', 'CreateRule', {
    idempotency: { kind: 'single', why: 'a second create answers PriorityInUse; the next deploy finds the rule by its tags' },
    runbook: OLD_COMMAND,
  }),
  ModifyRule: awsOperation('elbv2', 'ModifyRule', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  DeleteRule: awsOperation('elbv2', 'DeleteRule', { idempotency: DELETE, runbook: OLD_COMMAND }),
  DescribeListeners: awsOperation('elbv2', 'DescribeListeners', { read: true }),
  DescribeRules: awsOperation('elbv2', 'DescribeRules', { read: true }),
  DescribeListenerCertificates: awsOperation('elbv2', 'DescribeListenerCertificates', { read: true }),
  DescribeTags: awsOperation('elbv2', 'DescribeTags', { read: true }),
  // a step of its own on a fresh Express service: the alias records need its DNS name
  DescribeLoadBalancers: awsOperation('elbv2', 'DescribeLoadBalancers', { read: true, runbook: OLD_COMMAND }),
}

/** The wait after a certificate is requested: until ACM has filled in its validation records (a few seconds). */
export const RECORDS_READY_WAITER = 'CertificateValidationRecordsReady'

async function waitForRecords(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const arn = String(input.CertificateArn)
  for (;;) {
    if (await validationRecordsOf(clients, arn)) return
    if (Date.now() > wait.deadline || wait.signal?.aborted) {
      throw new ShipitError('WaitTimeout', `ACM gave no validation records for ${arn} in time; running the deploy again resumes from here`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
      })
    }
    wait.progress?.('ACM is preparing the validation records')
    await sleep(polling.intervalMs, wait.signal)
  }
}

/** The runbook's form of the wait: a poll of describe-certificate until the first record has a name. */
const recordsReadyRunbook: WaitRunbook = (input) => ({
  command: 'acm describe-certificate',
  versions: BEFORE_2020,
  input,
  script: (text) => [
    `until [ "$(aws acm describe-certificate --certificate-arn ${text(input.CertificateArn)} --region "$REGION" --query 'Certificate.DomainValidationOptions[0].ResourceRecord.Name' --output text)" != None ]; do sleep 3; done`,
  ],
})

/** The wait after a certificate was requested for a name no hosted zone of the account holds: the records to create, then exit 1. */
export const RECORDS_TO_CREATE_WAITER = 'ValidationRecordsToCreate'
/** How long ACM takes to fill in the validation records of a new certificate, at most (it is seconds). */
const RECORDS_APPEAR_SECONDS = 120

/** The validation CNAMEs of a certificate as ACM gives them, once it has filled them in (undefined before). */
async function validationRecordsOf(clients: AwsClients, arn: string): Promise<{ domain: string; name: string; value: string }[] | undefined> {
  const cert = (await clients.send('acm', 'DescribeCertificate', { CertificateArn: arn })).Certificate
  const options = cert?.DomainValidationOptions ?? []
  if (!options.length || options.some((o) => !o.ResourceRecord?.Name)) return undefined
  return options.map((o) => ({ domain: o.DomainName ?? '', name: o.ResourceRecord?.Name ?? '', value: o.ResourceRecord?.Value ?? '' }))
}

/** The error that tells which DNS records to create for a name without a hosted zone in the account. */
export function recordsToCreateError(names: string[], records: { name: string; value: string }[]): ShipitError {
  const lines = records.map((r) => `${r.name} CNAME ${r.value}`)
  return new ShipitError(
    'NoHostedZone',
    `no Route 53 hosted zone of this account holds ${names.join(', ')}: the certificate is requested and waits for its DNS validation records:\n  ${lines.join('\n  ')}`,
    {
      exitCode: ExitCode.Failure,
      source: 'aws',
      suggestions: [
        `create a public hosted zone for ${names[0]} (or its parent domain) in this account and delegate it from your DNS provider (its NS records); you may create the records above in it too`,
        'then deploy again: shipit finds the zone, writes what is missing, waits for the certificate and points the name at the app',
      ],
    },
  )
}

/** Waits until ACM filled in the validation records, then fails with them: without a hosted zone, nothing else of the domain can be made. */
async function printRecordsToCreate(clients: AwsClients, input: Record<string, unknown>, wait: WaitContext): Promise<void> {
  const arn = String(input.CertificateArn)
  const names = (input.DomainNames as string[]) ?? []
  const deadline = Math.min(wait.deadline, Date.now() + RECORDS_APPEAR_SECONDS * 1000)
  for (;;) {
    const records = await validationRecordsOf(clients, arn)
    if (records) throw recordsToCreateError(names, records)
    if (Date.now() > deadline || wait.signal?.aborted) {
      throw new ShipitError('WaitTimeout', `ACM gave no validation records for ${arn} in time: run the deploy again to see them`, {
        exitCode: ExitCode.Failure,
        source: 'aws',
      })
    }
    wait.progress?.('ACM is preparing the validation records')
    await sleep(polling.intervalMs, wait.signal)
  }
}

// ---- permissions -------------------------------------------------------------------------------

const DEPLOY: PolicyUse[] = ['deploy']
const BOTH: PolicyUse[] = ['deploy', 'destroy']
/** Certificates are named by ids: scoped by the shipit:app tag, as every resource of shipit's. */
const CERTIFICATES = regional(
  'acm',
  (id) => `certificate/${id}`,
  () => ['*'],
)
const cert = (i: { CertificateArn?: string }) => i.CertificateArn
/** Hosted zones are the account's, not the app's: the record names, types and actions are what the conditions hold to the app. */
const ZONES = arnKind(
  (at, id) => `arn:${at.partition}:route53:::hostedzone/${id.replace(/^\/hostedzone\//, '')}`,
  () => ['*'],
)
const CHANGES = arnKind(
  (at, id) => `arn:${at.partition}:route53:::change/${id.replace(/^\/change\//, '')}`,
  () => ['*'],
)
/** The domain names of API Gateway and their mappings: `/domainnames/<name>` paths. */
const DOMAIN_NAMES = arnKind(
  (at, path) => `arn:${at.partition}:apigateway:${at.region}::/domainnames${path}`,
  () => ['', '/*'],
)
/** The Express load balancers, their listeners and rules: ECS names them, so the policy reaches every one of the region. */
const LISTENERS = regional(
  'elasticloadbalancing',
  (arn) => arn,
  () => ['listener/app/*', 'listener-rule/app/*'],
)

/** The names one app may write records at: its names, their shipit markers and validation records (Route 53 normalizes them to lower case). */
function recordNames(scope: AppScope): string[] {
  const names = scope.domains ?? []
  if (!names.length) return ['*']
  return names.flatMap((n) => [n, `_shipit.${n}`, `_*.${n}`, `_shipit._*.${n}`])
}

type ChangeInput = { HostedZoneId?: string; ChangeBatch?: { Changes?: { Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }[] } }
const changes = (i: ChangeInput) => i.ChangeBatch?.Changes ?? []
/** ChangeResourceRecordSets held to the app's record names, the types and actions shipit uses. */
const recordConditions = {
  conditions: (scope: AppScope): Conditions => ({
    'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': recordNames(scope) },
    'ForAllValues:StringEquals': {
      'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME', 'TXT'],
      'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT', 'DELETE'],
    },
  }),
  context: (i: ChangeInput) => ({
    'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes(i).map((c) => (c.ResourceRecordSet?.Name ?? '').toLowerCase().replace(/\.$/, '')),
    'route53:ChangeResourceRecordSetsRecordTypes': changes(i).map((c) => c.ResourceRecordSet?.Type ?? ''),
    'route53:ChangeResourceRecordSetsActions': changes(i).map((c) => c.Action ?? ''),
  }),
}

const ALL_DOMAIN_PERMISSIONS: Permission[] = [
  // RequestCertificate takes no resource-level permissions; its condition keys hold it to the app's names and DNS validation
  permission(
    Acm.RequestCertificate,
    DEPLOY,
    anyResource('acm:RequestCertificate', {
      conditions: (scope) => ({
        StringEquals: { ...taggedRequest.conditions(scope).StringEquals, 'acm:ValidationMethod': 'DNS' },
        'ForAllValues:StringEquals': { 'acm:DomainNames': [...(scope.domains ?? [])] },
      }),
      context: (i) => ({
        ...taggedRequest.context(i),
        'acm:ValidationMethod': i.ValidationMethod,
        'acm:DomainNames': [i.DomainName ?? '', ...(i.SubjectAlternativeNames ?? [])],
      }),
    }),
    // a request with tags tags the new certificate: acm:AddTagsToCertificate on it
    on(CERTIFICATES, 'acm:AddTagsToCertificate', () => '*', taggedRequest),
  ),
  permission(Acm.AddTagsToCertificate, DEPLOY, on(CERTIFICATES, 'acm:AddTagsToCertificate', cert, taggedRequest)),
  permission(Acm.DeleteCertificate, ['destroy'], on(CERTIFICATES, 'acm:DeleteCertificate', cert, taggedResource)),
  permission(Acm.DescribeCertificate, READ, on(CERTIFICATES, 'acm:DescribeCertificate', cert)),
  permission(Acm.ListCertificates, READ, anyResource('acm:ListCertificates')),
  permission(Acm.ListTagsForCertificate, READ, on(CERTIFICATES, 'acm:ListTagsForCertificate', cert)),
  permission(
    Route53.ChangeResourceRecordSets,
    BOTH,
    on(ZONES, 'route53:ChangeResourceRecordSets', (i) => i.HostedZoneId, recordConditions),
  ),
  permission(Route53.ListHostedZonesByName, READ, anyResource('route53:ListHostedZonesByName')),
  permission(
    Route53.ListResourceRecordSets,
    READ,
    on(ZONES, 'route53:ListResourceRecordSets', (i) => i.HostedZoneId),
  ),
  permission(
    Route53.GetChange,
    BOTH,
    on(CHANGES, 'route53:GetChange', (i) => i.Id),
  ),
  permission(
    ApiDomain.CreateDomainName,
    DEPLOY,
    on(DOMAIN_NAMES, 'apigateway:POST', () => '', taggedRequest),
  ),
  permission(
    ApiDomain.CreateApiMapping,
    DEPLOY,
    on(DOMAIN_NAMES, 'apigateway:POST', (i) => `/${i.DomainName}/apimappings`),
  ),
  permission(
    ApiDomain.DeleteApiMapping,
    BOTH,
    on(DOMAIN_NAMES, 'apigateway:DELETE', (i) => `/${i.DomainName}/apimappings/${i.ApiMappingId}`),
  ),
  permission(
    ApiDomain.UpdateDomainName,
    DEPLOY,
    on(DOMAIN_NAMES, 'apigateway:PATCH', (i) => `/${i.DomainName}`, taggedResource),
  ),
  permission(
    ApiDomain.DeleteDomainName,
    ['destroy'],
    on(DOMAIN_NAMES, 'apigateway:DELETE', (i) => `/${i.DomainName}`, taggedResource),
  ),
  permission(
    ApiDomain.GetDomainName,
    READ,
    on(DOMAIN_NAMES, 'apigateway:GET', (i) => `/${i.DomainName}`),
  ),
  permission(
    ApiDomain.GetApiMappings,
    READ,
    on(DOMAIN_NAMES, 'apigateway:GET', (i) => `/${i.DomainName}/apimappings`),
  ),
  permission(
    Elb.AddListenerCertificates,
    DEPLOY,
    on(LISTENERS, 'elasticloadbalancing:AddListenerCertificates', (i) => i.ListenerArn),
  ),
  permission(
    Elb.RemoveListenerCertificates,
    BOTH,
    on(LISTENERS, 'elasticloadbalancing:RemoveListenerCertificates', (i) => i.ListenerArn),
  ),
  permission(
    Elb.CreateRule,
    DEPLOY,
    on(LISTENERS, 'elasticloadbalancing:CreateRule', (i) => i.ListenerArn),
    on(LISTENERS, 'elasticloadbalancing:AddTags', (i: { ListenerArn?: string }) => i.ListenerArn, taggedRequest),
  ),
  permission(
    Elb.ModifyRule,
    DEPLOY,
    on(LISTENERS, 'elasticloadbalancing:ModifyRule', (i) => i.RuleArn, taggedResource),
  ),
  permission(
    Elb.DeleteRule,
    BOTH,
    on(LISTENERS, 'elasticloadbalancing:DeleteRule', (i) => i.RuleArn, taggedResource),
  ),
  // ELBv2's Describe actions take no resource-level permissions
  permission(Elb.DescribeListeners, READ, anyResource('elasticloadbalancing:DescribeListeners')),
  permission(Elb.DescribeRules, READ, anyResource('elasticloadbalancing:DescribeRules')),
  permission(Elb.DescribeListenerCertificates, READ, anyResource('elasticloadbalancing:DescribeListenerCertificates')),
  permission(Elb.DescribeTags, READ, anyResource('elasticloadbalancing:DescribeTags')),
  permission(Elb.DescribeLoadBalancers, READ, anyResource('elasticloadbalancing:DescribeLoadBalancers')),
]

/** Only the policy of an app with http.domain grants them. */
const DOMAIN_PERMISSIONS = ALL_DOMAIN_PERMISSIONS.map((p) => ({ ...p, onlyIf: (scope: AppScope) => Boolean(scope.domains?.length) }))

/** The domain's part of each target's catalogue. */
export const DOMAIN_CATALOGUE: Partial<Catalogue> = {
  operations: [...Object.values(Acm), ...Object.values(Route53), ...Object.values(ApiDomain), ...Object.values(Elb)],
  permissions: DOMAIN_PERMISSIONS,
  waiters: { custom: { [RECORDS_TO_CREATE_WAITER]: printRecordsToCreate, [RECORDS_READY_WAITER]: waitForRecords }, explain: {} },
  placeholders: {
    [HOSTED_ZONE_PLACEHOLDER]: {
      variable: 'HOSTED_ZONE_ID',
      missing: 'set HOSTED_ZONE_ID to the id of the Route 53 hosted zone that holds http.domain (aws route53 list-hosted-zones-by-name)',
    },
  },
  waitRunbook: {
    [RECORDS_READY_WAITER]: recordsReadyRunbook,
    ...cliWait('acm', 'CertificateValidated'),
    ...cliWait('route53', 'ResourceRecordSetsChanged'),
  },
}
