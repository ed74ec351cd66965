import { createHash } from 'node:crypto'
import type { FakeContext } from './context.js'
import { asBlob, awsError, clone, decodeToken, encodeToken, globMatch, type Handlers, isoLambda } from './core.js'
import { findEcrImage } from './ecr.js'
import { roleTrustStatus } from './iam.js'
import { appendLogEvents } from './logs.js'
import { readObject } from './s3.js'

type Rec = Record<string, any>

export interface LambdaInvokeResult {
  /** JSON-serialisable value returned by the function (becomes the Invoke Payload). */
  result?: unknown
  /** Makes the invocation fail like an unhandled exception (FunctionError: 'Unhandled'). */
  error?: { errorMessage: string; errorType?: string }
  /** Extra log lines written to the function's log group between START and END. */
  logs?: string[]
}
export type LambdaHandler = (
  event: any,
  context: { functionName: string; version: string; alias?: string; environment: Record<string, string> },
) => LambdaInvokeResult | undefined | Promise<LambdaInvokeResult | undefined>

export interface LambdaVersionRecord {
  config: Rec
  code: Uint8Array
  image?: { uri: string; resolved: string }
  /** fingerprint of code + configuration used by PublishVersion to detect "nothing changed" */
  fingerprint: string
}

export interface LambdaFunctionRecord {
  name: string
  /** $LATEST FunctionConfiguration exactly as GetFunctionConfiguration returns it */
  config: Rec
  code: Uint8Array
  codeLocationId: string
  tags: Record<string, string>
  versions: Map<string, LambdaVersionRecord>
  lastVersion: number
  aliases: Map<string, Rec>
  /** resource-policy statements keyed by qualifier ('' = unqualified function) */
  policies: Map<string, Rec[]>
  /** Pending after create / InProgress after an update, until the next GetFunction(Configuration) */
  pending?: 'create' | 'update'
  /** PackageType Image: the ImageUri as given, and resolved to its digest */
  image?: { uri: string; resolved: string }
  /** PutFunctionConcurrency: the function's reserved concurrent executions */
  reservedConcurrency?: number
  invocations: { qualifier: string; executedVersion: string; event: unknown; at: number }[]
}

export interface LambdaState {
  functions: Map<string, LambdaFunctionRecord>
  /** Programmable function behaviour, keyed by function name. Default: returns null. */
  handlers: Map<string, LambdaHandler>
}

export function createLambdaState(): LambdaState {
  return { functions: new Map(), handlers: new Map() }
}

/** Lambda's default concurrency of an account and region, and what must stay unreserved. */
const ACCOUNT_CONCURRENCY = 1000
const MIN_UNRESERVED_CONCURRENCY = 100

const VOLATILE = new Set([
  'FunctionArn',
  'Version',
  'RevisionId',
  'LastModified',
  'State',
  'StateReason',
  'StateReasonCode',
  'LastUpdateStatus',
  'LastUpdateStatusReason',
  'LastUpdateStatusReasonCode',
])

function stable(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`
}

function fingerprint(config: Rec): string {
  const o: Rec = {}
  for (const [k, v] of Object.entries(config)) if (!VOLATILE.has(k)) o[k] = v
  return stable(o)
}

function toBytes(v: unknown): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array()
  if (typeof v === 'string') return new TextEncoder().encode(v)
  if (v instanceof Uint8Array) return v
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  throw new Error(`FakeAws(lambda): unsupported binary payload ${typeof v}`)
}

export function sha256b64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}

const blob = (bytes: Uint8Array) => asBlob(new Uint8Array(bytes))

const ROLE_RE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/
const NAME_RE = /^[a-zA-Z0-9-_]{1,64}$/
const ALIAS_RE = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/

export function lambdaModel(ctx: FakeContext) {
  const st = () => ctx.state.lambda
  const err = (name: string, message: string, extra: Rec = {}) => awsError('lambda', name, message, undefined, { Type: 'User', ...extra })
  const fnArn = (name: string) => `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${name}`
  const notFound = (name: string, q?: string) => err('ResourceNotFoundException', `Function not found: ${fnArn(name)}${q ? `:${q}` : ''}`)

  function parseName(input: string | undefined): { name: string; qualifier?: string } {
    if (!input)
      throw awsError(
        'lambda',
        'ValidationException',
        "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null",
      )
    let rest = input
    const full = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:(.+)$/.exec(input)
    const partial = /^\d{12}:function:(.+)$/.exec(input)
    if (full) rest = full[1]
    else if (partial) rest = partial[1]
    const [name, qualifier] = rest.split(':')
    return { name, qualifier }
  }

  function getFn(functionName: string | undefined, qualifierParam?: string) {
    const { name, qualifier: fromName } = parseName(functionName)
    if (fromName && qualifierParam && fromName !== qualifierParam) {
      throw err('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.')
    }
    const qualifier = qualifierParam ?? fromName
    const fn = st().functions.get(name)
    if (!fn) throw notFound(name, qualifier)
    return { fn, qualifier }
  }

  /** resolves a qualifier to the configuration it designates */
  function resolve(
    fn: LambdaFunctionRecord,
    qualifier: string | undefined,
  ): { kind: 'latest' | 'version' | 'alias'; version: string; config: Rec; code: Uint8Array; image?: { uri: string; resolved: string } } {
    if (!qualifier || qualifier === '$LATEST') {
      return { kind: 'latest', version: '$LATEST', config: fn.config, code: fn.code }
    }
    const v = fn.versions.get(qualifier)
    if (v) return { kind: 'version', version: qualifier, config: v.config, code: v.code, image: v.image }
    const a = fn.aliases.get(qualifier)
    if (a) {
      const target = a.FunctionVersion === '$LATEST' ? { config: fn.config, code: fn.code, image: fn.image } : fn.versions.get(a.FunctionVersion)
      if (target) {
        return {
          kind: 'alias',
          version: a.FunctionVersion as string,
          config: { ...target.config, FunctionArn: `${fnArn(fn.name)}:${qualifier}` },
          code: target.code,
          image: target.image,
        }
      }
    }
    throw notFound(fn.name, qualifier)
  }

  function settle(fn: LambdaFunctionRecord) {
    if (!fn.pending) return
    fn.pending = undefined
    fn.config.State = 'Active'
    delete fn.config.StateReason
    delete fn.config.StateReasonCode
    fn.config.LastUpdateStatus = 'Successful'
    delete fn.config.LastUpdateStatusReason
    delete fn.config.LastUpdateStatusReasonCode
  }

  function markChanged(fn: LambdaFunctionRecord, kind: 'create' | 'update') {
    fn.config.RevisionId = ctx.ids.uuid()
    fn.config.LastModified = isoLambda(ctx.now())
    if (!ctx.behavior.lambdaSettleOnRead) {
      fn.config.State = 'Active'
      fn.config.LastUpdateStatus = 'Successful'
      return
    }
    if (kind === 'create') {
      fn.pending = 'create'
      fn.config.State = 'Pending'
      fn.config.StateReason = 'The function is being created.'
      fn.config.StateReasonCode = 'Creating'
      delete fn.config.LastUpdateStatus
    } else {
      // an update right after creation keeps the function Pending
      if (fn.pending !== 'create') fn.pending = 'update'
      fn.config.LastUpdateStatus = 'InProgress'
      fn.config.LastUpdateStatusReason = 'The function is being created.'
      fn.config.LastUpdateStatusReasonCode = 'Creating'
    }
  }

  function assertReady(fn: LambdaFunctionRecord) {
    if (fn.pending === 'create') {
      throw err('ResourceConflictException', 'The operation cannot be performed at this time. The function is currently in the following state: Pending')
    }
    if (fn.pending === 'update') {
      throw err('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${fnArn(fn.name)}`)
    }
  }

  function checkRevision(expected: string | undefined, actual: string) {
    if (expected !== undefined && expected !== actual) {
      throw err(
        'PreconditionFailedException',
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      )
    }
  }

  /**
   * A weighted alias (AliasRoutingConfiguration): at most one additional version, a published one other
   * than the alias's own, weight 0.0–1.0, both versions with the same execution role; never on $LATEST.
   */
  function checkRouting(
    fn: { name: string; versions: Map<string, { config: Rec }> },
    primary: string,
    routing: { AdditionalVersionWeights?: Record<string, number> },
  ) {
    const weights = Object.entries(routing.AdditionalVersionWeights ?? {})
    if (weights.length === 0) return
    const shown = `{${weights.map(([k, v]) => `${k}=${v}`).join(', ')}}`
    for (const [version, weight] of weights) {
      if (!/^[0-9]+$/.test(version)) {
        throw validationError(
          'routingConfig.additionalVersionWeights',
          shown,
          'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]',
        )
      }
      if (!(weight >= 0 && weight <= 1)) {
        throw validationError(
          'routingConfig.additionalVersionWeights',
          shown,
          'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]',
        )
      }
    }
    if (weights.length > 1) throw err('InvalidParameterValueException', 'An alias can point to a maximum of two Lambda function versions.')
    const [[extra]] = weights
    if (primary === '$LATEST')
      throw err('InvalidParameterValueException', 'When pointing an alias to more than one version, the alias cannot point to $LATEST.')
    if (extra === primary) throw err('InvalidParameterValueException', `The additional version ${extra} must be different from the alias's function version.`)
    const other = fn.versions.get(extra)
    if (!other) throw notFound(fn.name, extra)
    if (other.config.Role !== fn.versions.get(primary)?.config.Role) {
      throw err('InvalidParameterValueException', 'Specified versions must be associated with the same execution role')
    }
  }

  function validationError(field: string, value: unknown, constraint: string) {
    return awsError('lambda', 'ValidationException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`)
  }

  function checkRole(role: unknown) {
    if (typeof role !== 'string' || !ROLE_RE.test(role)) {
      throw validationError('role', role, `Member must satisfy regular expression pattern: ${ROLE_RE.source.slice(1, -1).replace(/\\\//g, '/')}`)
    }
    if (!ctx.behavior.lambdaValidateRole) return
    if (roleTrustStatus(ctx, role, 'lambda.amazonaws.com') !== 'ok') {
      throw err('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.')
    }
  }

  function checkLimits(input: Rec) {
    if (input.MemorySize !== undefined && (input.MemorySize < 128 || input.MemorySize > 10240)) {
      throw validationError(
        'memorySize',
        input.MemorySize,
        input.MemorySize < 128 ? 'Member must have value greater than or equal to 128' : 'Member must have value less than or equal to 10240',
      )
    }
    if (input.Timeout !== undefined && (input.Timeout < 1 || input.Timeout > 900)) {
      throw validationError(
        'timeout',
        input.Timeout,
        input.Timeout < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 900',
      )
    }
    if (input.Environment?.Variables) {
      for (const k of Object.keys(input.Environment.Variables)) {
        if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(k)) {
          throw validationError('environment.variables', '[sensitive]', 'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+')
        }
        if (['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_FUNCTION_NAME'].includes(k)) {
          throw err(
            'InvalidParameterValueException',
            `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${k}`,
          )
        }
      }
    }
  }

  /** Lambda copies the package out of S3 at the call: CodeSha256 is the object's hash */
  function fromS3(bucket: string, key: string): Uint8Array {
    const read = readObject(ctx, bucket, key)
    if (read instanceof Uint8Array) return read
    throw err('InvalidParameterValueException', `Error occurred while GetObject. S3 Error Code: ${read.error}. S3 Error Message: ${read.message}`)
  }

  function codeFrom(code: Rec | undefined, input: Rec): Uint8Array {
    if (code?.ZipFile !== undefined) return toBytes(code.ZipFile)
    if (code?.S3Bucket && code?.S3Key) return fromS3(code.S3Bucket, code.S3Key)
    if (code?.ImageUri) return toBytes(code.ImageUri)
    if (input.ZipFile !== undefined) return toBytes(input.ZipFile)
    if (input.S3Bucket && input.S3Key) return fromS3(input.S3Bucket, input.S3Key)
    if (input.ImageUri) return toBytes(input.ImageUri)
    throw err('InvalidParameterValueException', 'Please provide a source for function code.')
  }

  function setCode(fn: LambdaFunctionRecord, bytes: Uint8Array) {
    fn.code = new Uint8Array(bytes)
    fn.codeLocationId = ctx.ids.uuid()
    fn.config.CodeSha256 = sha256b64(bytes)
    fn.config.CodeSize = bytes.byteLength
  }

  /**
   * An image function's image: in ECR, in this account and region (Lambda reads it with the caller's
   * ECR permissions), named by digest or tag; Lambda pins the digest it resolved.
   */
  function sourceImage(uri: unknown): { uri: string; digest: string } {
    if (typeof uri !== 'string' || !uri) throw err('InvalidParameterValueException', 'Please provide a source for function code.')
    const found = findEcrImage(ctx, uri)
    if (found === 'invalid') throw err('InvalidParameterValueException', `Source image ${uri} is not valid. Provide a valid source image.`)
    if (!found) throw err('InvalidParameterValueException', `Source image ${uri} does not exist. Provide a valid source image.`)
    return { uri, digest: found.digest }
  }

  /** Lambda's CodeSha256 of an image function is the digest of its image; the image is optimized while the function is Pending. */
  function setImage(fn: LambdaFunctionRecord, image: { uri: string; digest: string }) {
    fn.code = new TextEncoder().encode(`${image.uri.replace(/[@:][^/]*$/, '')}@${image.digest}`)
    fn.image = { uri: image.uri, resolved: `${image.uri.replace(/[@:][^/]*$/, '')}@${image.digest}` }
    fn.codeLocationId = ctx.ids.uuid()
    fn.config.CodeSha256 = image.digest.slice('sha256:'.length)
    fn.config.CodeSize = 0
  }

  function publish(fn: LambdaFunctionRecord, description?: string): Rec {
    const fp = fingerprint(fn.config)
    const last = fn.versions.get(String(fn.lastVersion))
    if (last && last.fingerprint === fp) return last.config
    fn.lastVersion += 1
    const v = String(fn.lastVersion)
    const config: Rec = {
      ...clone(fn.config),
      FunctionArn: `${fnArn(fn.name)}:${v}`,
      Version: v,
      RevisionId: ctx.ids.uuid(),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Description: description ?? fn.config.Description,
    }
    for (const k of ['StateReason', 'StateReasonCode', 'LastUpdateStatusReason', 'LastUpdateStatusReasonCode']) delete config[k]
    fn.versions.set(v, { config, code: new Uint8Array(fn.code), fingerprint: fp, ...(fn.image ? { image: { ...fn.image } } : {}) })
    return config
  }

  function statementPrincipal(p: string): unknown {
    if (p === '*') return '*'
    if (/^\d{12}$/.test(p)) return { AWS: `arn:aws:iam::${p}:root` }
    if (p.startsWith('arn:')) return { AWS: p }
    return { Service: p }
  }

  function policyKey(fn: LambdaFunctionRecord, qualifier: string | undefined): string {
    if (!qualifier || qualifier === '$LATEST') return ''
    resolve(fn, qualifier)
    return qualifier
  }

  function policyRevision(fn: LambdaFunctionRecord, key: string): string {
    if (key === '') return fn.config.RevisionId
    return fn.versions.get(key)?.config.RevisionId ?? fn.aliases.get(key)?.RevisionId
  }

  function bumpRevision(fn: LambdaFunctionRecord, key: string) {
    const r = ctx.ids.uuid()
    if (key === '') fn.config.RevisionId = r
    else if (fn.versions.has(key)) (fn.versions.get(key) as LambdaVersionRecord).config.RevisionId = r
    else if (fn.aliases.has(key)) (fn.aliases.get(key) as Rec).RevisionId = r
  }

  /** Runs the programmed handler (used by Invoke and by the HTTP API simulator). */
  async function invoke(name: string, qualifier: string | undefined, event: unknown) {
    const fn = st().functions.get(name)
    if (!fn) throw notFound(name, qualifier)
    if (fn.pending === 'create') assertReady(fn)
    const r = resolve(fn, qualifier)
    const handler = st().handlers.get(name)
    const requestId = ctx.ids.uuid()
    const out =
      (await handler?.(clone(event), {
        functionName: name,
        version: r.version,
        alias: r.kind === 'alias' ? qualifier : undefined,
        environment: { ...(r.config.Environment?.Variables ?? {}) },
      })) ?? {}
    fn.invocations.push({ qualifier: qualifier ?? '$LATEST', executedVersion: r.version, event: clone(event), at: Date.now() })
    const now = ctx.now().getTime()
    const lines = [
      `START RequestId: ${requestId} Version: ${r.version}`,
      ...(out.logs ?? []).map((l) => `${new Date(now).toISOString()}\t${requestId}\tINFO\t${l}`),
      ...(out.error
        ? [
            `${new Date(now).toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: out.error.errorType ?? 'Error', errorMessage: out.error.errorMessage })}`,
          ]
        : []),
      `END RequestId: ${requestId}`,
      `REPORT RequestId: ${requestId}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: ${r.config.MemorySize} MB\tMax Memory Used: 64 MB`,
    ]
    const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '/')
    const stream = `${day}/[${r.version}]${fn.codeLocationId.replace(/-/g, '')}`
    const group = r.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`
    appendLogEvents(
      ctx,
      group,
      stream,
      lines.map((message) => ({ timestamp: now, message })),
      { createGroup: true },
    )
    return { version: r.version, out, logTail: `${lines.join('\n')}\n` }
  }

  const handlers: Handlers = {
    ListFunctions: (input) => {
      const all = [...st().functions.values()].sort((a, b) => a.name.localeCompare(b.name)).map((f) => f.config)
      const start = decodeToken(input.Marker) ?? 0
      if (start < 0) throw err('InvalidParameterValueException', 'Invalid marker')
      const size = input.MaxItems ?? 50
      const items = all.slice(start, start + size)
      return { Functions: items, NextMarker: start + size < all.length ? encodeToken(start + size) : undefined }
    },

    GetFunction: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      settle(fn)
      const r = resolve(fn, qualifier)
      const image = r.kind === 'latest' ? fn.image : r.image
      const concurrency = fn.reservedConcurrency === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }
      if (image) {
        return {
          Configuration: r.config,
          Code: { RepositoryType: 'ECR', ImageUri: image.uri, ResolvedImageUri: image.resolved },
          Tags: Object.keys(fn.tags).length ? fn.tags : undefined,
          ...concurrency,
        }
      }
      return {
        ...concurrency,
        Configuration: r.config,
        Code: {
          RepositoryType: 'S3',
          Location: `https://awslambda-${ctx.region}-tasks.s3.${ctx.region}.amazonaws.com/snapshots/${ctx.account}/${fn.name}-${fn.codeLocationId}?versionId=fake&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600`,
        },
        Tags: Object.keys(fn.tags).length ? fn.tags : undefined,
      }
    },

    GetFunctionConfiguration: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      settle(fn)
      return resolve(fn, qualifier).config
    },

    CreateFunction: (input) => {
      const { name } = parseName(input.FunctionName)
      if (!NAME_RE.test(name))
        throw validationError(
          'functionName',
          name,
          'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
        )
      if (st().functions.has(name)) throw err('ResourceConflictException', `Function already exist: ${name}`)
      const packageType = input.PackageType ?? 'Zip'
      if (packageType === 'Zip' && (!input.Runtime || !input.Handler)) {
        throw err('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.')
      }
      if (packageType === 'Image' && (input.Runtime || input.Handler || input.Layers)) {
        throw err('InvalidParameterValueException', `Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.`)
      }
      if (packageType === 'Image' && (input.Code?.ZipFile !== undefined || input.Code?.S3Bucket)) {
        throw err('InvalidParameterValueException', `Please don't provide ZipFile or S3Bucket when the intended function PackageType is Image.`)
      }
      if (packageType === 'Zip' && input.Code?.ImageUri) {
        throw err('InvalidParameterValueException', `Please don't provide ImageUri when the intended function PackageType is Zip.`)
      }
      checkRole(input.Role)
      checkLimits(input)
      const image = packageType === 'Image' ? sourceImage(input.Code?.ImageUri) : undefined
      const bytes = image ? new Uint8Array() : codeFrom(input.Code, {})
      const config: Rec = {
        FunctionName: name,
        FunctionArn: fnArn(name),
        Runtime: input.Runtime,
        Role: input.Role,
        Handler: input.Handler,
        CodeSize: 0,
        Description: input.Description ?? '',
        Timeout: input.Timeout ?? 3,
        MemorySize: input.MemorySize ?? 128,
        LastModified: '',
        CodeSha256: '',
        Version: '$LATEST',
        VpcConfig: input.VpcConfig
          ? {
              SubnetIds: input.VpcConfig.SubnetIds ?? [],
              SecurityGroupIds: input.VpcConfig.SecurityGroupIds ?? [],
              VpcId: ctx.state.ec2.subnets.get(input.VpcConfig.SubnetIds?.[0])?.VpcId ?? '',
              Ipv6AllowedForDualStack: false,
            }
          : undefined,
        DeadLetterConfig: input.DeadLetterConfig,
        Environment: input.Environment ? { Variables: { ...(input.Environment.Variables ?? {}) } } : undefined,
        KMSKeyArn: input.KMSKeyArn,
        TracingConfig: { Mode: input.TracingConfig?.Mode ?? 'PassThrough' },
        RevisionId: '',
        Layers: input.Layers?.map((Arn: string) => ({ Arn, CodeSize: 0 })),
        State: 'Active',
        PackageType: packageType,
        Architectures: input.Architectures ?? ['x86_64'],
        EphemeralStorage: input.EphemeralStorage ?? { Size: 512 },
        SnapStart: { ApplyOn: input.SnapStart?.ApplyOn ?? 'None', OptimizationStatus: 'Off' },
        RuntimeVersionConfig: input.Runtime
          ? { RuntimeVersionArn: `arn:aws:lambda:${ctx.region}::runtime:${createHash('sha256').update(input.Runtime).digest('hex')}` }
          : undefined,
        LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}`, ...(input.LoggingConfig ?? {}) },
        ImageConfigResponse: input.ImageConfig ? { ImageConfig: input.ImageConfig } : undefined,
      }
      for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k]
      const fn: LambdaFunctionRecord = {
        name,
        config,
        code: new Uint8Array(),
        codeLocationId: '',
        tags: { ...(input.Tags ?? {}) },
        versions: new Map(),
        lastVersion: 0,
        aliases: new Map(),
        policies: new Map(),
        invocations: [],
      }
      if (image) setImage(fn, image)
      else setCode(fn, bytes)
      markChanged(fn, 'create')
      st().functions.set(name, fn)
      if (input.Publish) return publish(fn)
      return fn.config
    },

    UpdateFunctionCode: (input) => {
      const { fn } = getFn(input.FunctionName)
      assertReady(fn)
      checkRevision(input.RevisionId, fn.config.RevisionId)
      if (fn.config.PackageType === 'Image') {
        if (input.ZipFile !== undefined || input.S3Bucket) {
          throw err('InvalidParameterValueException', `Please don't provide ZipFile or S3Bucket when updating a function with packageType Image.`)
        }
        const image = sourceImage(input.ImageUri)
        if (input.DryRun) return { ...fn.config, CodeSha256: image.digest.slice('sha256:'.length) }
        setImage(fn, image)
        if (input.Architectures) fn.config.Architectures = [...input.Architectures]
        markChanged(fn, 'update')
        return clone(fn.config)
      }
      if (input.ImageUri) throw err('InvalidParameterValueException', `Please don't provide ImageUri when updating a function with packageType Zip.`)
      const bytes = codeFrom(undefined, input)
      if (input.DryRun) return { ...fn.config, CodeSha256: sha256b64(bytes), CodeSize: bytes.byteLength }
      setCode(fn, bytes)
      if (input.Architectures) fn.config.Architectures = [...input.Architectures]
      markChanged(fn, 'update')
      const response = clone(fn.config)
      if (input.Publish) return publish(fn)
      return response
    },

    UpdateFunctionConfiguration: (input) => {
      const { fn } = getFn(input.FunctionName)
      assertReady(fn)
      checkRevision(input.RevisionId, fn.config.RevisionId)
      if (input.Role !== undefined) checkRole(input.Role)
      checkLimits(input)
      const c = fn.config
      const simple = [
        'Role',
        'Handler',
        'Description',
        'Timeout',
        'MemorySize',
        'Runtime',
        'DeadLetterConfig',
        'KMSKeyArn',
        'FileSystemConfigs',
        'EphemeralStorage',
      ]
      for (const k of simple) if (input[k] !== undefined) c[k] = clone(input[k])
      if (input.Environment !== undefined) c.Environment = { Variables: { ...(input.Environment.Variables ?? {}) } }
      if (input.TracingConfig !== undefined) c.TracingConfig = { Mode: input.TracingConfig.Mode ?? 'PassThrough' }
      if (input.Layers !== undefined) c.Layers = input.Layers.map((Arn: string) => ({ Arn, CodeSize: 0 }))
      if (input.VpcConfig !== undefined)
        c.VpcConfig = {
          SubnetIds: input.VpcConfig.SubnetIds ?? [],
          SecurityGroupIds: input.VpcConfig.SecurityGroupIds ?? [],
          VpcId: ctx.state.ec2.subnets.get(input.VpcConfig.SubnetIds?.[0])?.VpcId ?? '',
          Ipv6AllowedForDualStack: false,
        }
      if (input.LoggingConfig !== undefined) c.LoggingConfig = { ...c.LoggingConfig, ...input.LoggingConfig }
      if (input.SnapStart !== undefined) c.SnapStart = { ApplyOn: input.SnapStart.ApplyOn ?? 'None', OptimizationStatus: 'Off' }
      if (input.ImageConfig !== undefined) c.ImageConfigResponse = { ImageConfig: input.ImageConfig }
      markChanged(fn, 'update')
      return fn.config
    },

    PublishVersion: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName)
      if (qualifier) throw err('InvalidParameterValueException', 'Version cannot be published for a qualified function ARN.')
      assertReady(fn)
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.config.CodeSha256) {
        throw err(
          'InvalidParameterValueException',
          `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${fn.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
        )
      }
      checkRevision(input.RevisionId, fn.config.RevisionId)
      return publish(fn, input.Description)
    },

    ListVersionsByFunction: (input) => {
      const { fn } = getFn(input.FunctionName)
      const all = [fn.config, ...[...fn.versions.values()].map((v) => v.config)]
      const start = decodeToken(input.Marker) ?? 0
      if (start < 0) throw err('InvalidParameterValueException', 'Invalid marker')
      const size = input.MaxItems ?? 50
      return { Versions: all.slice(start, start + size), NextMarker: start + size < all.length ? encodeToken(start + size) : undefined }
    },

    CreateAlias: (input) => {
      const { fn } = getFn(input.FunctionName)
      if (!ALIAS_RE.test(input.Name ?? ''))
        throw validationError('name', input.Name, 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)')
      const aliasArn = `${fnArn(fn.name)}:${input.Name}`
      if (fn.aliases.has(input.Name)) throw err('ResourceConflictException', `Alias already exists: ${aliasArn}`)
      if (input.FunctionVersion !== '$LATEST' && !fn.versions.has(input.FunctionVersion)) throw notFound(fn.name, input.FunctionVersion)
      if (input.RoutingConfig) checkRouting(fn, input.FunctionVersion, input.RoutingConfig)
      const alias: Rec = {
        AliasArn: aliasArn,
        Name: input.Name,
        FunctionVersion: input.FunctionVersion,
        Description: input.Description ?? '',
        RoutingConfig: input.RoutingConfig ? clone(input.RoutingConfig) : undefined,
        RevisionId: ctx.ids.uuid(),
      }
      if (!alias.RoutingConfig) delete alias.RoutingConfig
      fn.aliases.set(input.Name, alias)
      return alias
    },

    GetAlias: (input) => {
      const { fn } = getFn(input.FunctionName)
      const a = fn.aliases.get(input.Name)
      if (!a) throw err('ResourceNotFoundException', `Alias not found: ${fnArn(fn.name)}:${input.Name}`)
      return a
    },

    UpdateAlias: (input) => {
      const { fn } = getFn(input.FunctionName)
      const a = fn.aliases.get(input.Name)
      if (!a) throw err('ResourceNotFoundException', `Alias not found: ${fnArn(fn.name)}:${input.Name}`)
      checkRevision(input.RevisionId, a.RevisionId)
      if (input.FunctionVersion !== undefined) {
        if (input.FunctionVersion !== '$LATEST' && !fn.versions.has(input.FunctionVersion)) throw notFound(fn.name, input.FunctionVersion)
        a.FunctionVersion = input.FunctionVersion
      }
      if (input.Description !== undefined) a.Description = input.Description
      if (input.RoutingConfig !== undefined) {
        checkRouting(fn, a.FunctionVersion, input.RoutingConfig)
        a.RoutingConfig = clone(input.RoutingConfig)
      } else if (a.RoutingConfig) checkRouting(fn, a.FunctionVersion, a.RoutingConfig)
      a.RevisionId = ctx.ids.uuid()
      return a
    },

    DeleteAlias: (input) => {
      const { fn } = getFn(input.FunctionName)
      fn.aliases.delete(input.Name)
      fn.policies.delete(input.Name)
      return {}
    },

    ListAliases: (input) => {
      const { fn } = getFn(input.FunctionName)
      const all = [...fn.aliases.values()].filter((a) => !input.FunctionVersion || a.FunctionVersion === input.FunctionVersion)
      const start = decodeToken(input.Marker) ?? 0
      if (start < 0) throw err('InvalidParameterValueException', 'Invalid marker')
      const size = input.MaxItems ?? 50
      return { Aliases: all.slice(start, start + size), NextMarker: start + size < all.length ? encodeToken(start + size) : undefined }
    },

    AddPermission: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      const key = policyKey(fn, qualifier)
      checkRevision(input.RevisionId, policyRevision(fn, key))
      const statements = fn.policies.get(key) ?? []
      if (statements.some((s) => s.Sid === input.StatementId)) {
        throw err(
          'ResourceConflictException',
          `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        )
      }
      const action = String(input.Action ?? '')
      const condition: Rec = {}
      if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount }
      if (input.PrincipalOrgID) condition.StringEquals = { ...(condition.StringEquals ?? {}), 'aws:PrincipalOrgID': input.PrincipalOrgID }
      if (input.FunctionUrlAuthType) condition.StringEquals = { ...(condition.StringEquals ?? {}), 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType }
      if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn }
      const statement: Rec = {
        Sid: input.StatementId,
        Effect: 'Allow',
        Principal: statementPrincipal(input.Principal),
        Action: action.includes(':') ? action : `lambda:${action}`,
        Resource: key === '' ? fnArn(fn.name) : `${fnArn(fn.name)}:${key}`,
      }
      if (Object.keys(condition).length) statement.Condition = condition
      fn.policies.set(key, [...statements, statement])
      bumpRevision(fn, key)
      return { Statement: JSON.stringify(statement) }
    },

    RemovePermission: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      const key = policyKey(fn, qualifier)
      checkRevision(input.RevisionId, policyRevision(fn, key))
      const statements = fn.policies.get(key) ?? []
      if (!statements.some((s) => s.Sid === input.StatementId)) {
        throw err('ResourceNotFoundException', `Statement ${input.StatementId} is not found in resource policy.`)
      }
      const rest = statements.filter((s) => s.Sid !== input.StatementId)
      if (rest.length) fn.policies.set(key, rest)
      else fn.policies.delete(key)
      bumpRevision(fn, key)
      return {}
    },

    GetPolicy: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      const key = policyKey(fn, qualifier)
      const statements = fn.policies.get(key)
      if (!statements?.length) throw err('ResourceNotFoundException', 'The resource you requested does not exist.')
      return {
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
        RevisionId: policyRevision(fn, key),
      }
    },

    DeleteFunction: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      if (!qualifier) {
        st().functions.delete(fn.name)
        return {}
      }
      if (qualifier === '$LATEST') throw err('InvalidParameterValueException', '$LATEST version cannot be deleted without deleting the function.')
      if (!fn.versions.has(qualifier)) {
        if (fn.aliases.has(qualifier)) throw err('InvalidParameterValueException', 'Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.')
        throw notFound(fn.name, qualifier)
      }
      const refs = [...fn.aliases.values()].filter((a) => a.FunctionVersion === qualifier).map((a) => a.Name)
      if (refs.length) throw err('ResourceConflictException', `Unable to delete version because the following aliases reference it: [${refs.join(', ')}]`)
      fn.versions.delete(qualifier)
      fn.policies.delete(qualifier)
      return {}
    },

    TagResource: (input) => {
      const { fn } = getFn(input.Resource)
      Object.assign(fn.tags, input.Tags ?? {})
      return {}
    },

    // the account's concurrency (1,000 by default) must keep 100 unreserved
    PutFunctionConcurrency: (input) => {
      const { fn, qualifier } = getFn(input.FunctionName)
      if (qualifier) throw err('InvalidParameterValueException', 'Concurrency cannot be set for a qualified function ARN.')
      const wanted = input.ReservedConcurrentExecutions
      if (typeof wanted !== 'number' || wanted < 0)
        throw validationError('reservedConcurrentExecutions', wanted, 'Member must have value greater than or equal to 0')
      const others = [...st().functions.values()].filter((f) => f !== fn).reduce((sum, f) => sum + (f.reservedConcurrency ?? 0), 0)
      if (ACCOUNT_CONCURRENCY - others - wanted < MIN_UNRESERVED_CONCURRENCY) {
        throw err(
          'InvalidParameterValueException',
          `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}].`,
        )
      }
      fn.reservedConcurrency = wanted
      return { ReservedConcurrentExecutions: wanted }
    },

    DeleteFunctionConcurrency: (input) => {
      const { fn } = getFn(input.FunctionName)
      fn.reservedConcurrency = undefined
      return {}
    },

    UntagResource: (input) => {
      const { fn } = getFn(input.Resource)
      for (const k of input.TagKeys ?? []) delete fn.tags[k]
      return {}
    },

    ListTags: (input) => {
      const { fn } = getFn(input.Resource)
      return { Tags: fn.tags }
    },

    Invoke: async (input) => {
      const { fn, qualifier } = getFn(input.FunctionName, input.Qualifier)
      if (fn.pending === 'create') assertReady(fn)
      const type = input.InvocationType ?? 'RequestResponse'
      const r = resolve(fn, qualifier)
      if (type === 'DryRun') return { StatusCode: 204 }
      let event: unknown = null
      const raw = toBytes(input.Payload)
      if (raw.byteLength) {
        try {
          event = JSON.parse(Buffer.from(raw).toString('utf8'))
        } catch {
          throw err('InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json')
        }
      }
      const { version, out, logTail } = await invoke(fn.name, qualifier, event)
      if (type === 'Event') return { StatusCode: 202, Payload: blob(new Uint8Array()) }
      const payload = out.error ? { errorType: out.error.errorType ?? 'Error', errorMessage: out.error.errorMessage, trace: [] } : (out.result ?? null)
      return {
        StatusCode: 200,
        ExecutedVersion: version ?? r.version,
        FunctionError: out.error ? 'Unhandled' : undefined,
        LogResult: input.LogType === 'Tail' ? Buffer.from(logTail.slice(-4096)).toString('base64') : undefined,
        Payload: blob(new TextEncoder().encode(JSON.stringify(payload))),
      }
    },
  }

  /** does the function's resource policy let `service` invoke it from `sourceArn`? */
  function permits(name: string, qualifier: string | undefined, service: string, sourceArn: string): boolean {
    const fn = st().functions.get(name)
    if (!fn) return false
    const key = !qualifier || qualifier === '$LATEST' ? '' : qualifier
    for (const s of fn.policies.get(key) ?? []) {
      const p = s.Principal
      const principalOk = p === '*' || p?.Service === service
      const actionOk = s.Action === 'lambda:InvokeFunction' || s.Action === 'lambda:*'
      const cond = s.Condition?.ArnLike?.['AWS:SourceArn']
      const arnOk = cond === undefined || globMatch(cond, sourceArn)
      if (s.Effect === 'Allow' && principalOk && actionOk && arnOk) return true
    }
    return false
  }

  return { handlers, invoke, permits, parseName, fnArn }
}

export function lambdaHandlers(ctx: FakeContext): Handlers {
  return lambdaModel(ctx).handlers
}
