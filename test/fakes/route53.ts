/**
 * Route 53 in the in-memory fake: hosted zones and records of custom domains (issue 25), from the
 * Route 53 API reference (ListHostedZonesByName, ListResourceRecordSets, ChangeResourceRecordSets,
 * GetChange). A change batch is checked whole before any of it applies, with InvalidChangeBatch in
 * Route 53's words: CREATE of a record that exists, DELETE of one that is not there or whose values
 * differ. A change is PENDING on its answer and INSYNC from the next GetChange on. Names are stored
 * and answered fully qualified (with the final dot), in lower case.
 */
import type { FakeContext } from './context.js'
import { awsError, clone, type Handlers } from './core.js'

type Rec = Record<string, any>

export interface HostedZoneRecord {
  Id: string
  Name: string
  Private: boolean
  records: Rec[]
}

export interface Route53State {
  zones: Map<string, HostedZoneRecord>
  changes: Map<string, { status: 'PENDING' | 'INSYNC'; submittedAt: Date }>
}

export function createRoute53State(): Route53State {
  return { zones: new Map(), changes: new Map() }
}

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase()
/** Route 53 orders zones by their labels reversed (com.example.api). */
const reversed = (name: string) => fqdn(name).slice(0, -1).split('.').reverse().join('.')
const zoneId = (id: string) => String(id ?? '').replace(/^\/hostedzone\//, '')

/** A hosted zone made by hand (or by the test): its id, without the /hostedzone/ prefix. */
export function addHostedZone(ctx: FakeContext, name: string, options: { private?: boolean } = {}): string {
  const id = `Z${ctx.ids.upperAlnum(20)}`
  const Name = fqdn(name)
  ctx.state.route53.zones.set(id, {
    Id: `/hostedzone/${id}`,
    Name,
    Private: Boolean(options.private),
    records: [
      { Name, Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com.' }, { Value: 'ns-2.awsdns-00.net.' }] },
      { Name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] },
    ],
  })
  return id
}

/** A record put in a zone by hand. */
export function addRecord(ctx: FakeContext, id: string, record: Rec): void {
  const zone = ctx.state.route53.zones.get(zoneId(id))
  if (!zone) throw new Error(`no hosted zone ${id}`)
  zone.records.push({ ...clone(record), Name: fqdn(record.Name) })
}

/** What public DNS answers for a name and type: the record in the longest public zone that holds the name. */
export function findRecord(ctx: FakeContext, name: string, type: string): Rec | undefined {
  const n = fqdn(name)
  const zones = [...ctx.state.route53.zones.values()].filter((z) => !z.Private && (n === z.Name || n.endsWith(`.${z.Name}`)))
  const zone = zones.sort((a, b) => b.Name.length - a.Name.length)[0]
  return zone?.records.find((r) => r.Name === n && r.Type === type)
}

export function route53Handlers(ctx: FakeContext): Handlers {
  const r53 = () => ctx.state.route53
  const getZone = (id: unknown): HostedZoneRecord => {
    const zone = r53().zones.get(zoneId(String(id ?? '')))
    if (!zone) throw awsError('route53', 'NoSuchHostedZone', `No hosted zone found with ID: ${zoneId(String(id ?? ''))}`, 404)
    return zone
  }
  const invalidBatch = (messages: string[]) => awsError('route53', 'InvalidChangeBatch', messages.map((m) => `[${m}]`).join(', '), 400, { messages })
  const sameValues = (a: Rec, b: Rec) =>
    JSON.stringify([a.TTL, a.ResourceRecords ?? [], a.AliasTarget ?? null]) ===
    JSON.stringify([b.TTL, b.ResourceRecords ?? [], b.AliasTarget ? { ...b.AliasTarget, DNSName: fqdn(b.AliasTarget.DNSName) } : null])

  return {
    ListHostedZonesByName: (input) => {
      const from = input.DNSName ? reversed(input.DNSName) : ''
      const max = Number(input.MaxItems ?? 100)
      const sorted = [...r53().zones.values()].sort((a, b) => reversed(a.Name).localeCompare(reversed(b.Name)))
      const rest = sorted.filter((z) => reversed(z.Name) >= from)
      const page = rest.slice(0, max)
      const next = rest[max]
      return {
        HostedZones: page.map((z) => ({
          Id: z.Id,
          Name: z.Name,
          CallerReference: z.Id,
          Config: { PrivateZone: z.Private },
          ResourceRecordSetCount: z.records.length,
        })),
        ...(input.DNSName ? { DNSName: input.DNSName } : {}),
        IsTruncated: Boolean(next),
        MaxItems: String(max),
        ...(next ? { NextDNSName: next.Name, NextHostedZoneId: zoneId(next.Id) } : {}),
      }
    },

    ListResourceRecordSets: (input) => {
      const zone = getZone(input.HostedZoneId)
      const max = Number(input.MaxItems ?? 300)
      const key = (r: Rec) => `${reversed(r.Name)}\u0000${r.Type}`
      const sorted = [...zone.records].sort((a, b) => key(a).localeCompare(key(b)))
      const start = input.StartRecordName ? `${reversed(input.StartRecordName)}\u0000${input.StartRecordType ?? ''}` : ''
      const rest = sorted.filter((r) => key(r) >= start)
      const next = rest[max]
      return {
        ResourceRecordSets: clone(rest.slice(0, max)),
        IsTruncated: Boolean(next),
        MaxItems: String(max),
        ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
      }
    },

    ChangeResourceRecordSets: (input) => {
      const zone = getZone(input.HostedZoneId)
      const changes: Rec[] = input.ChangeBatch?.Changes ?? []
      if (!changes.length) throw awsError('route53', 'InvalidInput', 'Invalid request: Expected exactly one of [Changes], but found none')
      // checked whole first: a batch applies all or nothing
      const records = clone(zone.records)
      const problems: string[] = []
      for (const change of changes) {
        const set = { ...clone(change.ResourceRecordSet ?? {}) }
        set.Name = fqdn(String(set.Name ?? ''))
        if (set.AliasTarget) set.AliasTarget = { ...set.AliasTarget, DNSName: fqdn(set.AliasTarget.DNSName) }
        if (set.Name !== zone.Name && !set.Name.endsWith(`.${zone.Name}`)) {
          problems.push(`RRSet with DNS name ${set.Name} is not permitted in zone ${zone.Name}`)
          continue
        }
        const at = records.findIndex((r) => r.Name === set.Name && r.Type === set.Type)
        const what = `resource record set [name='${set.Name}', type='${set.Type}']`
        if (change.Action === 'CREATE') {
          if (at >= 0) problems.push(`Tried to create ${what} but it already exists`)
          else records.push(set)
        } else if (change.Action === 'UPSERT') {
          if (at >= 0) records[at] = set
          else records.push(set)
        } else if (change.Action === 'DELETE') {
          if (at < 0) problems.push(`Tried to delete ${what} but it was not found`)
          else if (!sameValues(records[at], set)) problems.push(`Tried to delete ${what} but the values provided do not match the current values`)
          else records.splice(at, 1)
        } else problems.push(`Invalid Action: ${change.Action}`)
      }
      if (problems.length) throw invalidBatch(problems)
      zone.records = records
      const id = `C${ctx.ids.upperAlnum(20)}`
      r53().changes.set(id, { status: 'PENDING', submittedAt: ctx.now() })
      return {
        ChangeInfo: {
          Id: `/change/${id}`,
          Status: 'PENDING',
          SubmittedAt: ctx.now(),
          ...(input.ChangeBatch?.Comment ? { Comment: input.ChangeBatch.Comment } : {}),
        },
      }
    },

    GetChange: (input) => {
      const id = String(input.Id ?? '').replace(/^\/change\//, '')
      const change = r53().changes.get(id)
      if (!change) throw awsError('route53', 'NoSuchChange', `A change with the specified change ID does not exist.`, 404)
      const answer = { ChangeInfo: { Id: `/change/${id}`, Status: change.status, SubmittedAt: change.submittedAt } }
      change.status = 'INSYNC'
      return answer
    },
  }
}
