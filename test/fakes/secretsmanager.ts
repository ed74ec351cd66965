// Secrets Manager: secrets by version (issue 24). DescribeSecret gives the versions and their stages,
// never a value; GetSecretValue is modelled as AWS has it, and tests assert shipit never calls it.
import { randomBytes, randomUUID } from 'node:crypto'
import type { FakeContext } from './context.js'
import { awsError, type Handlers } from './core.js'

export interface SecretRecord {
  ARN: string
  Name: string
  /** a customer managed key; absent for aws/secretsmanager, as DescribeSecret omits it then */
  KmsKeyId?: string
  CreatedDate: Date
  LastChangedDate: Date
  /** version id → its value and stages */
  versions: Map<string, { SecretString: string; stages: string[]; CreatedDate: Date }>
}

export interface SecretsManagerState {
  secrets: Map<string, SecretRecord>
}

export function createSecretsManagerState(): SecretsManagerState {
  return { secrets: new Map() }
}

const err = (name: string, message: string) => awsError('secretsmanager', name, message)
const notFound = () => err('ResourceNotFoundException', "Secrets Manager can't find the specified secret.")

/** The secret a SecretId names: its name, its full ARN, or its ARN without the 6-character suffix. */
function find(ctx: FakeContext, id: string): SecretRecord {
  for (const s of ctx.state.secretsmanager.secrets.values()) {
    if (s.Name === id || s.ARN === id || (id.startsWith('arn:') && s.ARN.slice(0, -7) === id)) return s
  }
  throw notFound()
}

/** Create a secret with its first version, AWSCURRENT (CreateSecret). */
export function createSecret(ctx: FakeContext, input: { Name: string; SecretString: string; KmsKeyId?: string }): SecretRecord {
  if (ctx.state.secretsmanager.secrets.has(input.Name))
    throw err('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`)
  const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6)
  const now = ctx.now()
  const record: SecretRecord = {
    ARN: `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${input.Name}-${suffix}`,
    Name: input.Name,
    ...(input.KmsKeyId ? { KmsKeyId: input.KmsKeyId } : {}),
    CreatedDate: now,
    LastChangedDate: now,
    versions: new Map([[randomUUID(), { SecretString: input.SecretString, stages: ['AWSCURRENT'], CreatedDate: now }]]),
  }
  ctx.state.secretsmanager.secrets.set(input.Name, record)
  return record
}

/** A new version (PutSecretValue): it becomes AWSCURRENT, the one before AWSPREVIOUS. */
export function putSecretValue(
  ctx: FakeContext,
  input: { SecretId: string; SecretString: string; ClientRequestToken?: string },
): { ARN: string; VersionId: string } {
  const s = find(ctx, input.SecretId)
  const id = input.ClientRequestToken ?? randomUUID()
  for (const v of s.versions.values()) {
    const wasCurrent = v.stages.includes('AWSCURRENT')
    v.stages = v.stages.filter((stage) => stage !== 'AWSCURRENT' && stage !== 'AWSPREVIOUS')
    if (wasCurrent) v.stages.push('AWSPREVIOUS')
  }
  // versions without a stage are deprecated; AWS removes them eventually: keep it simple and drop them
  for (const [k, v] of s.versions) if (v.stages.length === 0) s.versions.delete(k)
  s.versions.set(id, { SecretString: input.SecretString, stages: ['AWSCURRENT'], CreatedDate: ctx.now() })
  s.LastChangedDate = ctx.now()
  return { ARN: s.ARN, VersionId: id }
}

export function secretsManagerHandlers(ctx: FakeContext): Handlers {
  return {
    DescribeSecret: (input: { SecretId: string }) => {
      const s = find(ctx, input.SecretId)
      return {
        ARN: s.ARN,
        Name: s.Name,
        ...(s.KmsKeyId ? { KmsKeyId: s.KmsKeyId } : {}),
        CreatedDate: s.CreatedDate,
        LastChangedDate: s.LastChangedDate,
        VersionIdsToStages: Object.fromEntries([...s.versions].map(([id, v]) => [id, [...v.stages]])),
      }
    },
    GetSecretValue: (input: { SecretId: string; VersionId?: string; VersionStage?: string }) => {
      const s = find(ctx, input.SecretId)
      const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT')
      const entry = [...s.versions].find(([id, v]) => (input.VersionId ? id === input.VersionId : true) && (!stage || v.stages.includes(stage)))
      if (!entry) throw err('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: " + (stage ?? 'AWSCURRENT'))
      const [id, v] = entry
      return { ARN: s.ARN, Name: s.Name, VersionId: id, SecretString: v.SecretString, VersionStages: [...v.stages], CreatedDate: v.CreatedDate }
    },
    CreateSecret: (input: { Name: string; SecretString: string; KmsKeyId?: string }) => {
      const s = createSecret(ctx, input)
      return { ARN: s.ARN, Name: s.Name, VersionId: [...s.versions.keys()][0] }
    },
    PutSecretValue: (input: { SecretId: string; SecretString: string; ClientRequestToken?: string }) => {
      const r = putSecretValue(ctx, input)
      return { ...r, Name: find(ctx, input.SecretId).Name, VersionStages: ['AWSCURRENT'] }
    },
  }
}
