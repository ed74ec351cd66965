// SSM Parameter Store: secrets by version (issue 24). GetParameter as AWS answers it: with
// WithDecryption false a SecureString's Value is its ciphertext, never the plain value; the call
// log (fake.calls) records WithDecryption as sent, so tests can assert shipit never asks for it.
import { createHash } from 'node:crypto'
import type { FakeContext } from './context.js'
import { awsError, type Handlers } from './core.js'

export interface ParameterRecord {
  Name: string
  Type: 'String' | 'StringList' | 'SecureString'
  Value: string
  Version: number
  /** SecureString: the KMS key (alias/aws/ssm when none is given, as AWS does) */
  KeyId?: string
  LastModifiedDate: Date
  /** label → version (LabelParameterVersion) */
  labels: Record<string, number>
}

export interface SsmState {
  parameters: Map<string, ParameterRecord>
}

export function createSsmState(): SsmState {
  return { parameters: new Map() }
}

const err = (name: string, message: string) => awsError('ssm', name, message)
// AWS answers ParameterNotFound with an empty message (the CLI prints "…GetParameter operation: ")
const notFound = () => err('ParameterNotFound', '')

/** The parameter a Name addresses: its name, or its ARN (`arn:…:parameter/NAME`, the leading / of a hierarchy dropped). */
function nameOf(ctx: FakeContext, id: string): string | undefined {
  if (!id.startsWith('arn:')) return id
  const [, , service, region, account, resource] = id.split(':')
  if (service !== 'ssm' || region !== ctx.region || account !== ctx.account || !resource?.startsWith('parameter/')) return undefined
  const path = id.slice(id.indexOf(':parameter/') + ':parameter/'.length)
  return path.includes('/') ? `/${path}` : path
}

export function parameterArn(ctx: FakeContext, name: string): string {
  return `arn:aws:ssm:${ctx.region}:${ctx.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`
}

/** What GetParameter returns in place of a SecureString's value when not asked to decrypt: an opaque ciphertext. */
function ciphertext(p: ParameterRecord): string {
  return `AQICAH${createHash('sha256').update(`${p.Name}:${p.Version}:${p.Value}`).digest('base64')}`
}

/** Create or overwrite a parameter (PutParameter); the version goes up by one on each write. */
export function putParameter(
  ctx: FakeContext,
  input: { Name: string; Value: string; Type?: ParameterRecord['Type']; KeyId?: string; Overwrite?: boolean },
): number {
  const existing = ctx.state.ssm.parameters.get(input.Name)
  if (existing && !input.Overwrite)
    throw err('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.')
  const type = input.Type ?? existing?.Type ?? 'String'
  const record: ParameterRecord = {
    Name: input.Name,
    Type: type,
    Value: input.Value,
    Version: (existing?.Version ?? 0) + 1,
    ...(type === 'SecureString' ? { KeyId: input.KeyId ?? existing?.KeyId ?? 'alias/aws/ssm' } : {}),
    LastModifiedDate: ctx.now(),
    labels: existing?.labels ?? {},
  }
  ctx.state.ssm.parameters.set(input.Name, record)
  return record.Version
}

export function ssmHandlers(ctx: FakeContext): Handlers {
  return {
    GetParameter: (input: { Name: string; WithDecryption?: boolean }) => {
      const name = nameOf(ctx, input.Name)
      const p = name === undefined ? undefined : ctx.state.ssm.parameters.get(name)
      if (!p) throw notFound()
      const plain = p.Type !== 'SecureString' || input.WithDecryption === true
      return {
        Parameter: {
          Name: p.Name,
          Type: p.Type,
          Value: plain ? p.Value : ciphertext(p),
          Version: p.Version,
          LastModifiedDate: p.LastModifiedDate,
          ARN: parameterArn(ctx, p.Name),
          DataType: 'text',
        },
      }
    },
    // only the Name filter with Equals, which is what shipit sends
    DescribeParameters: (input: { ParameterFilters?: { Key: string; Option?: string; Values?: string[] }[] }) => {
      const names = input.ParameterFilters?.find((f) => f.Key === 'Name')?.Values
      const found = [...ctx.state.ssm.parameters.values()].filter((p) => !names || names.includes(p.Name))
      return {
        Parameters: found.map((p) => ({
          Name: p.Name,
          ARN: parameterArn(ctx, p.Name),
          Type: p.Type,
          ...(p.KeyId ? { KeyId: p.KeyId } : {}),
          Version: p.Version,
          LastModifiedDate: p.LastModifiedDate,
          DataType: 'text',
          Tier: 'Standard',
        })),
      }
    },
    PutParameter: (input: { Name: string; Value: string; Type?: ParameterRecord['Type']; KeyId?: string; Overwrite?: boolean }) => ({
      Version: putParameter(ctx, input),
      Tier: 'Standard',
    }),
    LabelParameterVersion: (input: { Name: string; ParameterVersion?: number; Labels: string[] }) => {
      const p = ctx.state.ssm.parameters.get(input.Name)
      if (!p) throw notFound()
      const version = input.ParameterVersion ?? p.Version
      if (version < 1 || version > p.Version)
        throw err('ParameterVersionNotFound', `Systems Manager could not find version ${version} of ${input.Name}. Verify the version and try again.`)
      for (const label of input.Labels) p.labels[label] = version
      return { InvalidLabels: [], ParameterVersion: version }
    },
  }
}
