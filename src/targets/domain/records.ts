import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53'
import { TAG_APP, TAG_ENV } from '../../manifest/names.js'
import { isRef, type Plannable, type Ref } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { Route53 } from './catalogue.js'
import { type DomainObserved, fqdn } from './observe.js'

/**
 * Route 53 records of a custom domain, and how shipit knows which are its own. Records have no
 * tags, so each record shipit writes at a name N comes with a marker: a TXT record at `_shipit.N`
 * saying the app and env, written in the same change batch (Route 53 applies a batch whole, so a
 * record and its marker appear and go together). A record at N is shipit's when its marker says this
 * app and env; shipit UPSERTs only those, CREATEs what is absent (which fails, rather than overwrites,
 * when someone made it meanwhile) and refuses to change a record someone else made. A TXT at N
 * itself would do, but TXT records at a name are often in use (SPF, site verification), and an UPSERT
 * of ours would replace them: `_shipit.N` is shipit's alone.
 */

export const MARKER_PREFIX = '_shipit.'
const TTL = 300

/** The TXT value that marks a record as this app's and env's (quoted, as Route 53 writes TXT values). */
const markerValue = (app: string, env: string) => `"${TAG_APP}=${app} ${TAG_ENV}=${env}"`

function markerName(name: string | Ref): string | Ref {
  if (isRef(name)) return { ...name, format: `${MARKER_PREFIX}${name.format ?? '{}'}` }
  return `${MARKER_PREFIX}${fqdn(name)}`
}

/** The records at `name` of one of the types, as observed. */
export function recordsAt(observed: DomainObserved, under: string, name: string, types: string[]): ResourceRecordSet[] {
  return (observed.records[under] ?? []).filter((r) => fqdn(r.Name ?? '') === fqdn(name) && types.includes(r.Type ?? ''))
}

/** Whether the marker of the records at `name` says this app and env. */
export function ownsRecord(b: PartBuilder, observed: DomainObserved, under: string, name: string): boolean {
  const marker = recordsAt(observed, under, `${MARKER_PREFIX}${fqdn(name)}`, ['TXT'])[0]
  return Boolean(marker?.ResourceRecords?.some((r) => r.Value === markerValue(b.desired.app, b.desired.env)))
}

type PlannedSet = Plannable<ResourceRecordSet>
type PlannedChange = { Action: Change['Action']; ResourceRecordSet: PlannedSet }

/** The marker record for records at `name`. */
export function markerSet(b: PartBuilder, name: string | Ref): PlannedSet {
  return { Name: markerName(name), Type: 'TXT', TTL, ResourceRecords: [{ Value: markerValue(b.desired.app, b.desired.env) }] }
}

/** A CNAME record, as ACM's validation records are. */
export function cnameSet(name: string | Ref, value: string | Ref): PlannedSet {
  return { Name: name, Type: 'CNAME', TTL, ResourceRecords: [{ Value: value }] }
}

/** An alias A or AAAA record to a regional endpoint or load balancer. */
export function aliasSet(name: string, type: 'A' | 'AAAA', target: AliasTarget): PlannedSet {
  return { Name: fqdn(name), Type: type, AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: false } }
}

export interface AliasTarget {
  dnsName: string | Ref
  hostedZoneId: string | Ref
}

/** The ChangeResourceRecordSets request of a batch, with its wait until Route 53 has it everywhere. */
export function changeRequest(zoneId: string, changes: PlannedChange[], comment: string) {
  return Route53.ChangeResourceRecordSets.request({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes } })
}

export function changedWait(stepId: string, what: string) {
  return { waiter: 'ResourceRecordSetsChanged', input: { Id: { ref: stepId, output: 'ChangeInfo.Id' } }, description: `Route 53 to apply ${what}` }
}

/** A DELETE of a record exactly as it is (Route 53 refuses a DELETE whose values differ). */
export function deleteChange(set: ResourceRecordSet): PlannedChange {
  const { Name, Type, TTL: ttl, ResourceRecords, AliasTarget } = set
  return {
    Action: 'DELETE',
    ResourceRecordSet: {
      Name,
      Type,
      ...(ttl !== undefined ? { TTL: ttl } : {}),
      ...(ResourceRecords ? { ResourceRecords } : {}),
      ...(AliasTarget ? { AliasTarget } : {}),
    },
  }
}

/** The same alias target, whatever the case and final dot. */
export function sameAlias(set: ResourceRecordSet | undefined, target: AliasTarget): boolean {
  if (!set?.AliasTarget || isRef(target.dnsName) || isRef(target.hostedZoneId)) return false
  return fqdn(set.AliasTarget.DNSName ?? '') === fqdn(target.dnsName) && set.AliasTarget.HostedZoneId === target.hostedZoneId
}
