import type { AwsClients } from '../aws/clients.js'
import { awsErrorName } from '../aws/errors.js'
import { ExitCode, ShipitError } from '../errors.js'
import type { Desired } from '../manifest/resolve.js'
import { parseSecretRef, regionOfArn, type SecretSource } from '../manifest/secret-refs.js'
import { awsOperation } from '../plan/catalogue.js'
import { type AppScope, type CallScope, on, type Permission, permission, type ResourceKind } from '../plan/permissions.js'
import { ACCOUNT_PLACEHOLDER, arnPartition } from './target.js'

/**
 * Secrets by version (issue 24). While planning, shipit reads the version of each secret app.yaml
 * lists as `ssm:` or `secretsmanager:` — SSM GetParameter WITHOUT decryption (its Version), Secrets
 * Manager DescribeSecret (the version id holding AWSCURRENT, or the stage or id app.yaml pins) —
 * never a value: GetParameter's Value (ciphertext for a SecureString, the text of a String) is
 * dropped where it is read and GetSecretValue is never sent. The versions go into what the targets
 * deploy (a label of the task definition, a variable of the function), so a rotation changes the
 * revision or the function version, and the next deploy starts tasks or instances that read it.
 */

/** A secret app.yaml tracks by version, as observed (or, offline, as app.yaml names it). */
export interface TrackedSecret {
  /** the variable the app gets it in */
  key: string
  store: 'ssm' | 'secretsmanager'
  /** SSM: the parameter's name; Secrets Manager: the secret's name (or ARN) as app.yaml gives it */
  name: string
  /** the full ARN: GetParameter's and DescribeSecret's (offline: built from the name, a secret's suffix unknown) */
  arn: string
  /** SSM: the parameter's version; Secrets Manager: the version id; undefined offline */
  version?: string
  /** the KMS key that encrypts it (key or alias ARN) when it is not the AWS managed key of the service */
  kmsKey?: string
  jsonKey?: string
  versionStage?: string
  versionId?: string
}

export const SecretReads = {
  GetParameter: awsOperation('ssm', 'GetParameter', { read: true }),
  DescribeParameters: awsOperation('ssm', 'DescribeParameters', { read: true }),
  DescribeSecret: awsOperation('secretsmanager', 'DescribeSecret', { read: true }),
}

/** The tracked entries of `secrets:` (ssm:/secretsmanager:), by variable name; bare ARNs are not tracked. */
function trackedSources(secrets: Record<string, string>): [key: string, source: Exclude<SecretSource, { store: 'arn' }>][] {
  return Object.entries(secrets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, text]) => {
      const source = parseSecretRef(text)
      return source && source.store !== 'arn' ? [[key, source] as [string, Exclude<SecretSource, { store: 'arn' }>]] : []
    })
}

// an ARN does not say whether the name was /db or db (both are parameter/db): it stands for the name, GetParameter takes either
const ssmName = (id: string) => id
const parameterArn = (at: CallScope, name: string) =>
  name.startsWith('arn:') ? name : `arn:${at.partition}:ssm:${at.region}:${at.account}:parameter/${name.replace(/^\//, '')}`
// a secret's ARN ends in - and 6 characters Secrets Manager chooses; a name or a partial ARN does not say which
const SUFFIX = /-[A-Za-z0-9]{6}$/
const secretArn = (at: CallScope, id: string, suffix = '??????') =>
  id.startsWith('arn:') ? (SUFFIX.test(id) ? id : `${id}-${suffix}`) : `arn:${at.partition}:secretsmanager:${at.region}:${at.account}:secret:${id}-${suffix}`

/** Offline, or for a destroy: the secrets as app.yaml names them, without versions. */
function unreadSecrets(desired: Desired, ctx: { region: string; account?: string; partition?: string }): TrackedSecret[] {
  const at = { partition: arnPartition(ctx), region: ctx.region, account: ctx.account ?? ACCOUNT_PLACEHOLDER }
  return trackedSources(desired.secrets).map(([key, s]) =>
    s.store === 'ssm'
      ? { key, store: 'ssm', name: ssmName(s.id), arn: parameterArn(at, s.id) }
      : { key, store: 'secretsmanager', name: s.id, arn: secretArn(at, s.id), ...pins(s) },
  )
}

const pins = (s: { jsonKey?: string; versionStage?: string; versionId?: string }) => ({
  ...(s.jsonKey ? { jsonKey: s.jsonKey } : {}),
  ...(s.versionStage ? { versionStage: s.versionStage } : {}),
  ...(s.versionId ? { versionId: s.versionId } : {}),
})

const planError = (code: string, message: string, suggestions: string[] = []) =>
  new ShipitError(code, message, { exitCode: ExitCode.Failure, source: 'user', suggestions })

/** Read the version of every tracked secret (only reads, never a value). A missing one, or one in another region, is a plan error. */
export async function observeSecrets(clients: AwsClients, desired: Desired, ctx: { region: string }): Promise<TrackedSecret[]> {
  const sources = trackedSources(desired.secrets)
  for (const [key, s] of sources) {
    const region = regionOfArn(s.id)
    if (region && region !== ctx.region)
      throw planError('SecretInOtherRegion', `secret ${key}: ${s.id} is in ${region}, and the app deploys to ${ctx.region}`, [
        `ECS and Lambda read the secrets of their own region: replicate it to ${ctx.region} and name that copy`,
      ])
  }
  return Promise.all(
    sources.map(([key, s]) => (s.store === 'ssm' ? observeParameter(clients, key, s.id, ctx.region) : observeSecret(clients, key, s, ctx.region))),
  )
}

async function observeParameter(clients: AwsClients, key: string, id: string, region: string): Promise<TrackedSecret> {
  let answer: { name: string; arn: string; version: string; secure: boolean }
  try {
    // WithDecryption false: a SecureString comes back as ciphertext; only the version and the ARN are kept
    const { Parameter: p } = await clients.send('ssm', 'GetParameter', { Name: id, WithDecryption: false })
    answer = { name: p?.Name ?? ssmName(id), arn: p?.ARN ?? '', version: String(p?.Version ?? ''), secure: p?.Type === 'SecureString' }
  } catch (err) {
    if (awsErrorName(err) === 'ParameterNotFound')
      throw planError('SecretNotFound', `secret ${key}: SSM parameter ${id} does not exist in ${region}`, [
        `create it (aws ssm put-parameter --name ${ssmName(id)} --type SecureString --value …), or correct secrets.${key}`,
      ])
    throw err
  }
  const kmsKey = answer.secure ? await parameterKey(clients, answer.name, answer.arn) : undefined
  return { key, store: 'ssm', name: answer.name, arn: answer.arn, version: answer.version, ...(kmsKey ? { kmsKey } : {}) }
}

/** The customer managed key of a SecureString (DescribeParameters: GetParameter does not say), or undefined for alias/aws/ssm. */
async function parameterKey(clients: AwsClients, name: string, arn: string): Promise<string | undefined> {
  const answer = await clients.send('ssm', 'DescribeParameters', { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] })
  return keyArn(answer.Parameters?.[0]?.KeyId, arn, 'alias/aws/ssm')
}

async function observeSecret(
  clients: AwsClients,
  key: string,
  s: { id: string; jsonKey?: string; versionStage?: string; versionId?: string },
  region: string,
): Promise<TrackedSecret> {
  let answer: Awaited<ReturnType<typeof describeSecret>>
  try {
    answer = await describeSecret(clients, s.id)
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException')
      throw planError('SecretNotFound', `secret ${key}: Secrets Manager secret ${s.id} does not exist in ${region}`, [
        `create it (aws secretsmanager create-secret --name ${s.id} …), or correct secrets.${key}`,
      ])
    throw err
  }
  const versions = Object.entries(answer.VersionIdsToStages ?? {})
  const stage = s.versionStage ?? 'AWSCURRENT'
  const version = s.versionId ? versions.find(([id]) => id === s.versionId)?.[0] : versions.find(([, stages]) => stages.includes(stage))?.[0]
  if (!version)
    throw planError('SecretVersionNotFound', `secret ${key}: ${s.id} has no version ${s.versionId ? `with id ${s.versionId}` : `in stage ${stage}`}`, [
      'pin another version stage or id, or none (AWSCURRENT)',
    ])
  const arn = answer.ARN ?? ''
  const kmsKey = keyArn(answer.KmsKeyId, arn, 'alias/aws/secretsmanager')
  return { key, store: 'secretsmanager', name: s.id, arn, version, ...(kmsKey ? { kmsKey } : {}), ...pins(s) }
}

const describeSecret = (clients: AwsClients, id: string) => clients.send('secretsmanager', 'DescribeSecret', { SecretId: id })

/**
 * A KMS key as an ARN IAM can grant kms:Decrypt on: a key id or alias name is made an ARN in the
 * region and account of the secret; the service's AWS managed key needs no grant (its key policy
 * lets the account's principals use it through the service), so it gives undefined.
 */
function keyArn(keyId: string | undefined, secretArn: string, managed: string): string | undefined {
  if (!keyId || keyId === managed || keyId.endsWith(`:${managed}`)) return undefined
  if (keyId.startsWith('arn:')) return keyId
  const [, partitionName, , region, account] = secretArn.split(':')
  return `arn:${partitionName}:kms:${region}:${account}:${keyId.startsWith('alias/') ? keyId : `key/${keyId}`}`
}

/** ECS's valueFrom: the ARN, and for a JSON key or a pinned version `ARN:json-key:version-stage:version-id`. */
export function valueFrom(t: TrackedSecret): string {
  if (t.store === 'ssm' || (!t.jsonKey && !t.versionStage && !t.versionId)) return t.arn
  return `${t.arn}:${t.jsonKey ?? ''}:${t.versionStage ?? ''}:${t.versionId ?? ''}`
}

/** The versions as one line, `DB_PASSWORD=3 STRIPE_KEY=…`: what the targets record so a rotation changes what they deploy. */
export function versionsRecord(tracked: TrackedSecret[]): string | undefined {
  const known = tracked.filter((t) => t.version !== undefined)
  return known.length ? known.map((t) => `${t.key}=${t.version}`).join(' ') : undefined
}

export function parseVersionsRecord(record: string | undefined): Record<string, string> {
  return Object.fromEntries((record ?? '').split(/\s+/).flatMap((pair) => (pair.includes('=') ? [pair.split('=', 2) as [string, string]] : [])))
}

/** The plan's lines of secret versions, `secret DB_PASSWORD: version 3 → 4` (src/plan/render.ts shows them so). */
export function versionChanges(before: Record<string, string>, after: Record<string, string>): { path: string; before?: string; after?: string }[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .filter((k) => before[k] !== after[k])
    .map((k) => ({ path: `${SECRET_VERSION_PATH}${k}`, ...(k in before ? { before: before[k] } : {}), ...(k in after ? { after: after[k] } : {}) }))
}
export const SECRET_VERSION_PATH = 'secret '

/** The ARNs an execution role reads the app's secrets at: the tracked ones' and the bare ARNs app.yaml gives. */
export function secretArns(desired: Desired, tracked: TrackedSecret[]): string[] {
  const bare = Object.values(desired.secrets).flatMap((text) => {
    const s = parseSecretRef(text)
    return s?.store === 'arn' ? [s.arn] : []
  })
  return [...new Set([...bare, ...tracked.map((t) => t.arn)])].sort()
}

// --- the deployer's permissions: the reads, on exactly the secrets app.yaml lists ---

const scopeSources = (scope: AppScope) => (scope.secrets ?? []).flatMap((text) => parseSecretRef(text) ?? [])
const PARAMETERS: ResourceKind = {
  arn: parameterArn,
  patterns: (scope) => scopeSources(scope).flatMap((s) => (s.store === 'ssm' ? [parameterArn(scope, s.id)] : [])),
}
const SECRETS: ResourceKind = {
  // the resource IAM sees is the full ARN; a request by name is checked against one with a suffix
  arn: (at, id) => secretArn(at, id, 'AbCdEf'),
  patterns: (scope) => scopeSources(scope).flatMap((s) => (s.store === 'secretsmanager' ? [secretArn(scope, s.id)] : [])),
}
// DescribeParameters takes no resource-level permissions: granted on * only to an app with SSM secrets
const ANY_WITH_PARAMETERS: ResourceKind = {
  arn: () => '*',
  patterns: (scope) => (scopeSources(scope).some((s) => s.store === 'ssm') ? ['*'] : []),
}

export const SECRET_PERMISSIONS: Permission[] = [
  permission(
    SecretReads.GetParameter,
    ['plan', 'deploy'],
    on(PARAMETERS, 'ssm:GetParameter', (i) => i.Name),
  ),
  permission(
    SecretReads.DescribeParameters,
    ['plan', 'deploy'],
    on(ANY_WITH_PARAMETERS, 'ssm:DescribeParameters', () => '*'),
  ),
  permission(
    SecretReads.DescribeSecret,
    ['plan', 'deploy'],
    on(SECRETS, 'secretsmanager:DescribeSecret', (i) => i.SecretId),
  ),
]

/** What an execution role needs to read the secrets: their ARNs and their customer managed keys. */
export function secretAccess(desired: Desired, tracked: TrackedSecret[]): { arns: string[]; kmsKeys: string[] } {
  return { arns: secretArns(desired, tracked), kmsKeys: [...new Set(tracked.flatMap((t) => (t.kmsKey ? [t.kmsKey] : [])))].sort() }
}

/** The secrets as observed when they were read (a deploy's plan), else as app.yaml names them. */
export function trackedFor(
  desired: Desired,
  observed: TrackedSecret[] | undefined,
  ctx: { region: string; account?: string; partition?: string },
): TrackedSecret[] {
  return observed ?? unreadSecrets(desired, ctx)
}
