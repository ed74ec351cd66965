import type { Architecture, Runtime, UpdateFunctionConfigurationCommandInput } from '@aws-sdk/client-lambda'
import { canonicalJson, sha256Hex } from '../../digest.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import { parseSecretRef } from '../../manifest/secret-refs.js'
import { type Artifact, createdFields, type FieldChange, type Plannable, type Ref, type Sensitive, sensitiveValue } from '../../plan/types.js'
import { ROLE_PROPAGATION_SECONDS } from '../iam-role.js'
import type { PartBuilder } from '../part.js'
import { parseVersionsRecord, SECRET_VERSION_PATH, type TrackedSecret, versionChanges, versionsRecord } from '../secret-versions.js'
import { SENSITIVE_KEYS_VARIABLE, secretNames, sensitiveKeysRecord } from '../sensitive-keys.js'
import { Lambda } from './catalogue.js'
import type { FunctionConfig, ObservedFunction } from './observe.js'
import { extensionLayerArn, SECRET_VERSIONS_VARIABLE, secretVariables } from './secrets-extension.js'

/** The version CreateFunction published (Publish: true), from its answer. */
export const FIRST_VERSION: Ref = { ref: 'function', output: 'Version' }

/** The function's configuration as app.yaml asks for it, in Lambda's field names. */
export interface DesiredFunction {
  /** Zip: the package; Image: the container image (no runtime nor handler: the image starts itself) */
  PackageType: 'Zip' | 'Image'
  Runtime?: string
  Handler?: string
  /** Image: `<repository>@sha256:…`, a reference while the push that makes it is in this plan */
  ImageUri?: string | Ref
  /** Image: container.command / entryPoint, which override the image's CMD / ENTRYPOINT as they do on ECS */
  ImageConfig?: { Command?: string[]; EntryPoint?: string[] }
  MemorySize: number
  Timeout: number
  Role: string | Ref
  Architectures: string[]
  Environment: Record<string, string | Sensitive>
  LogGroup: string
  /** the AWS Parameters and Secrets Lambda Extension, when the function reads its secrets through it */
  Layers: string[]
}

/** Environment variables as the function gets them; secret values travel as markers. */
export function desiredEnvironment(desired: LambdaDesired, tracked: TrackedSecret[] = []): Record<string, string | Sensitive> {
  const vars: Record<string, string | Sensitive> = {}
  for (const [k, v] of Object.entries(desired.environment)) vars[k] = v.secret ? sensitiveValue(k, v.value) : v.value
  // a bare ARN reaches the function as it always did; a tracked secret by its variables (secrets-extension.ts)
  for (const [k, text] of Object.entries(desired.secrets)) if (parseSecretRef(text)?.store === 'arn') vars[`SHIPIT_SECRET_${k}`] = text
  Object.assign(vars, secretVariables(tracked, viaExtension(desired, tracked)))
  const versions = versionsRecord(tracked)
  if (versions) vars[SECRET_VERSIONS_VARIABLE] = versions
  // the names of its secret values (never the values): a later plan hides them even once app.yaml stops marking them secret
  const record = sensitiveKeysRecord(desired)
  if (record) vars[SENSITIVE_KEYS_VARIABLE] = record
  return vars
}

const stringOf = (v: string | Sensitive | undefined) => (typeof v === 'string' ? v : undefined)

/** The function reads its tracked secrets through the extension unless app.yaml says `secretsVia: arn`. */
function viaExtension(desired: LambdaDesired, tracked: TrackedSecret[]): boolean {
  return tracked.length > 0 && desired.function.secretsVia !== 'arn'
}

export function desiredFunction(
  desired: LambdaDesired,
  role: string | Ref,
  tracked: TrackedSecret[],
  region: string,
  imageUri?: string | Ref,
): DesiredFunction {
  const fn = desired.function
  const container = desired.image?.container
  const imageConfig = container && {
    ...(container.command ? { Command: container.command } : {}),
    ...(container.entryPoint ? { EntryPoint: container.entryPoint } : {}),
  }
  const code: Pick<DesiredFunction, 'PackageType' | 'Runtime' | 'Handler' | 'ImageUri' | 'ImageConfig'> = desired.image
    ? { PackageType: 'Image', ImageUri: imageUri, ...(imageConfig && Object.keys(imageConfig).length ? { ImageConfig: imageConfig } : {}) }
    : { PackageType: 'Zip', Runtime: fn.runtime, Handler: fn.handler }
  return {
    ...code,
    MemorySize: fn.memory,
    Timeout: fn.timeout,
    Role: role,
    Architectures: [fn.architecture],
    Environment: desiredEnvironment(desired, tracked),
    LogGroup: desired.names.logGroup,
    Layers: viaExtension(desired, tracked) ? [extensionLayerArn(region, fn.architecture)] : [],
  }
}

const CONFIG_FIELDS = ['Runtime', 'Handler', 'MemorySize', 'Timeout', 'Role', 'LogGroup'] as const

const sameValue = (observed: string, desired: string | Sensitive) =>
  typeof desired === 'string' ? desired === observed : desired.sha256 === sha256Hex(observed)

function envEqual(observed: Record<string, string> | undefined, desired: Record<string, string | Sensitive>): boolean {
  const o = observed ?? {}
  const keys = new Set([...Object.keys(o), ...Object.keys(desired)])
  for (const k of keys) {
    if (desired[k] === undefined || o[k] === undefined || !sameValue(o[k], desired[k])) return false
  }
  return true
}

function envChanges(observed: Record<string, string> | undefined, desired: Record<string, string | Sensitive>, secretKeys: Set<string>): FieldChange[] {
  const o = observed ?? {}
  const changes: FieldChange[] = []
  for (const k of [...new Set([...Object.keys(o), ...Object.keys(desired)])].sort()) {
    const d = desired[k]
    // the versions of the secrets: one line per secret, `secret DB_PASSWORD: version 3 → 4`
    if (k === SECRET_VERSIONS_VARIABLE) {
      changes.push(...versionChanges(parseVersionsRecord(o[k]), parseVersionsRecord(typeof d === 'string' ? d : undefined)))
      continue
    }
    const before = o[k] === undefined ? undefined : secretKeys.has(k) ? { sensitive: k, sha256: '' } : o[k]
    if (d === undefined) changes.push({ path: `Environment.${k}`, before })
    else if (o[k] === undefined) changes.push({ path: `Environment.${k}`, after: d })
    else if (!sameValue(o[k], d)) changes.push({ path: `Environment.${k}`, before, after: d })
  }
  return changes
}

/** Field-level differences of the configuration UpdateFunctionConfiguration changes. */
function configChanges(observed: FunctionConfig, desired: DesiredFunction): FieldChange[] {
  const changes: FieldChange[] = []
  const layers = observed.Layers ?? []
  if (JSON.stringify(layers) !== JSON.stringify(desired.Layers)) changes.push({ path: 'Layers', before: layers, after: desired.Layers })
  for (const f of CONFIG_FIELDS) {
    const d = desired[f]
    if (typeof d === 'object') continue // a role being created now: the function is new too
    if (observed[f] !== d) changes.push({ path: f === 'LogGroup' ? 'LoggingConfig.LogGroup' : f, before: observed[f], after: d })
  }
  if (desired.PackageType === 'Image' && canonicalJson(observed.ImageConfig ?? {}) !== canonicalJson(desired.ImageConfig ?? {})) {
    changes.push({ path: 'ImageConfig', before: observed.ImageConfig, after: desired.ImageConfig ?? {} })
  }
  return changes
}

/** Does a published version (what `live` serves) match the function as desired? An image function's code is its image URI (by digest). */
export function versionMatches(config: FunctionConfig, desired: DesiredFunction, codeSha256: string | undefined): boolean {
  return (
    (desired.PackageType === 'Image' ? config.ImageUri === desired.ImageUri : config.CodeSha256 === codeSha256) &&
    configChanges(config, desired).length === 0 &&
    envEqual(config.Environment, desired.Environment) &&
    (config.Architectures ?? ['x86_64'])[0] === desired.Architectures[0]
  )
}

/** The function, and the steps that write it (empty when it is as desired or refused). */
export interface PlannedFunction {
  arn: string | Ref
  steps: string[]
  /** it has shipit's name but not its tags: nothing may change it */
  blocked: boolean
}

interface FunctionInputs {
  want: DesiredFunction
  /** the zip (absent for an image function: want.ImageUri is its code) */
  artifact?: Artifact
  /** where the package was uploaded, when it goes through S3 (above 50 MB zipped) rather than in the request */
  s3?: { S3Bucket: string; S3Key: string }
  /** the role was created by this plan: CreateFunction is retried until IAM lets Lambda assume it */
  roleCreated: boolean
  /** steps the function's writes wait for (role, policies, log group, the upload) */
  after: string[]
  /** steps a code update waits for (the upload of the package) */
  codeAfter: string[]
}

/** Create the function, or update its code and then its configuration (Lambda refuses both at once). */
export function planFunction(b: PartBuilder<LambdaDesired>, fn: ObservedFunction | null, inputs: FunctionInputs): PlannedFunction {
  const name = b.desired.names.function
  if (fn && !b.owned(fn.tags) && b.refuse('lambda:function', name)) return { arn: fn.arn, steps: [], blocked: true }
  if (!fn) return { arn: { ref: 'function', output: 'FunctionArn' }, steps: [createFunction(b, inputs)], blocked: false }
  const livePackage = fn.config.PackageType ?? 'Zip'
  if (livePackage !== inputs.want.PackageType) {
    // Lambda cannot turn a zip function into an image function or back
    b.blocked.push({
      resource: { type: 'lambda:function', name },
      reason: `is a ${livePackage} function and app.yaml now deploys ${inputs.want.PackageType === 'Image' ? 'the container image' : 'a zip'}; Lambda cannot change a function's package type: remove it first with shipit destroy --target lambda`,
    })
    return { arn: fn.arn, steps: [], blocked: true }
  }
  if (!b.owned(fn.tags)) {
    b.adopt('function-tags', { type: 'lambda:function', name }, Lambda.TagResource.request({ Resource: fn.arn, Tags: b.desired.tags }))
  }
  const steps = [...planCodeUpdate(b, fn, inputs)]
  steps.push(...planConfigUpdate(b, fn, inputs, steps[0]))
  if (!steps.length) b.keep('lambda:function', name)
  return { arn: fn.arn, steps, blocked: false }
}

function createFunction(b: PartBuilder<LambdaDesired>, { want, artifact, s3, roleCreated, after }: FunctionInputs): string {
  const { desired } = b
  const name = desired.names.function
  const image = want.PackageType === 'Image'
  return b.add({
    id: 'function',
    action: 'create',
    resource: { type: 'lambda:function', name },
    changes: createdFields({
      ...(image ? { PackageType: 'Image', ImageUri: want.ImageUri } : { Runtime: want.Runtime, Handler: want.Handler }),
      MemorySize: want.MemorySize,
      Timeout: want.Timeout,
      Architectures: want.Architectures,
      ...(image ? (want.ImageConfig ? { ImageConfig: want.ImageConfig } : {}) : { Code: artifact }),
      ...(want.Layers.length ? { Layers: want.Layers } : {}),
      ...Object.fromEntries(Object.entries(want.Environment).flatMap(([k, v]) => (k === SECRET_VERSIONS_VARIABLE ? [] : [[`Environment.${k}`, v]]))),
    }).concat(versionChanges({}, parseVersionsRecord(stringOf(want.Environment[SECRET_VERSIONS_VARIABLE])))),
    request: Lambda.CreateFunction.request({
      FunctionName: name,
      // an image function names no runtime nor handler (Lambda refuses them): the image starts the server
      ...(image ? {} : { Runtime: want.Runtime as Runtime, Handler: want.Handler }),
      Role: want.Role,
      Code: image ? { ImageUri: want.ImageUri } : (s3 ?? { ZipFile: artifact }),
      ...(image && want.ImageConfig ? { ImageConfig: want.ImageConfig } : {}),
      Description: `${desired.app} (${desired.env}), deployed by shipit`,
      Timeout: want.Timeout,
      MemorySize: want.MemorySize,
      // the first version is published by the create itself: no PublishVersion and second wait after it
      Publish: true,
      PackageType: want.PackageType,
      Architectures: want.Architectures as Architecture[],
      Environment: { Variables: want.Environment },
      ...(want.Layers.length ? { Layers: want.Layers } : {}),
      LoggingConfig: { LogFormat: 'Text', LogGroup: desired.names.logGroup },
      Tags: desired.tags,
    }),
    // the version it published, Active with the function. What follows (the alias on that version, the
    // API's integration, the invoke permission) needs the function to exist, not to be Active: Lambda
    // refuses only invocations, code and configuration updates and PublishVersion while it is Pending
    // (Lambda function states), so they start at the answer and the deploy ends after the wait
    wait: {
      waiter: 'FunctionActiveV2',
      input: { FunctionName: name, Qualifier: FIRST_VERSION },
      description: `function ${name} to be Active`,
      dependentsAfter: 'answer',
    },
    retry: roleCreated ? { errorName: 'InvalidParameterValueException', messageIncludes: 'cannot be assumed', seconds: ROLE_PROPAGATION_SECONDS } : undefined,
    dependsOn: after,
  })
}

function planCodeUpdate(b: PartBuilder<LambdaDesired>, fn: ObservedFunction, { want, artifact, s3, codeAfter }: FunctionInputs): string[] {
  const name = b.desired.names.function
  const image = want.PackageType === 'Image'
  const codeSha256 = artifact ? Buffer.from(artifact.sha256, 'hex').toString('base64') : undefined
  // an image function's code is its image by digest: a new push is a new digest
  const codeChanged = image ? fn.config.ImageUri !== want.ImageUri : fn.config.CodeSha256 !== codeSha256
  const archChanged = (fn.config.Architectures ?? ['x86_64'])[0] !== want.Architectures[0]
  if (!codeChanged && !archChanged) return []
  const codeChange = image
    ? { path: 'ImageUri', before: fn.config.ImageUri, after: want.ImageUri }
    : { path: 'CodeSha256', before: fn.config.CodeSha256, after: codeSha256 }
  return [
    b.add({
      id: 'function-code',
      action: 'update',
      resource: { type: 'lambda:function', name },
      reason: codeChanged ? (image ? 'image changed' : 'code changed') : 'architecture changed',
      changes: [
        ...(codeChanged ? [codeChange] : []),
        ...(archChanged ? [{ path: 'Architectures', before: fn.config.Architectures, after: want.Architectures }] : []),
      ],
      request: Lambda.UpdateFunctionCode.request({
        FunctionName: name,
        ...(image ? { ImageUri: want.ImageUri } : (s3 ?? { ZipFile: artifact })),
        Architectures: want.Architectures as Architecture[],
        ...(fn.revisionId ? { RevisionId: fn.revisionId } : {}),
      }),
      wait: { waiter: 'FunctionUpdatedV2', input: { FunctionName: name }, description: `the code update of ${name} to finish` },
      dependsOn: codeAfter,
    }),
  ]
}

function planConfigUpdate(b: PartBuilder<LambdaDesired>, fn: ObservedFunction, { want, after }: FunctionInputs, codeStep: string | undefined): string[] {
  const { desired } = b
  const name = desired.names.function
  // hidden: what app.yaml marks secret now, and what observation found was secret when deployed
  const secretKeys = new Set([...secretNames(desired), ...(fn.hiddenKeys ?? [])])
  const changes = [
    ...configChanges(fn.config, want),
    ...(envEqual(fn.config.Environment, want.Environment) ? [] : envChanges(fn.config.Environment, want.Environment, secretKeys)),
  ]
  if (!changes.length) return []
  const input: Plannable<UpdateFunctionConfigurationCommandInput> = { FunctionName: name }
  const fields: Record<string, unknown> = input
  for (const c of changes) {
    if (c.path === 'LoggingConfig.LogGroup') input.LoggingConfig = { LogFormat: 'Text', LogGroup: desired.names.logGroup }
    else if (c.path.startsWith('Environment.') || c.path.startsWith(SECRET_VERSION_PATH)) input.Environment = { Variables: want.Environment }
    else if (c.path === 'Layers') input.Layers = want.Layers
    else if (c.path === 'ImageConfig') input.ImageConfig = want.ImageConfig ?? {}
    else fields[c.path] = want[c.path as keyof DesiredFunction]
  }
  // the first Lambda write carries the revision shipit planned from: a concurrent deploy makes it fail, not mix
  if (!codeStep && fn.revisionId) input.RevisionId = fn.revisionId
  const paths = changes.map((c) => c.path.replace(/^Environment\..*/, 'Environment'))
  return [
    b.add({
      id: 'function-config',
      action: 'update',
      resource: { type: 'lambda:function', name },
      reason: `${[...new Set(paths)].join(', ')} changed`,
      changes,
      request: Lambda.UpdateFunctionConfiguration.request(input),
      wait: { waiter: 'FunctionUpdatedV2', input: { FunctionName: name }, description: `the configuration update of ${name} to finish` },
      // Lambda refuses a configuration update while a code update is in progress
      dependsOn: [...(codeStep ? [codeStep] : []), ...after],
    }),
  ]
}

/**
 * function.reservedConcurrency: put when it differs from what is live, deleted when app.yaml no longer
 * reserves any. Not part of a version (Lambda keeps it on the function), so it publishes nothing.
 */
export function planReservedConcurrency(b: PartBuilder<LambdaDesired>, fn: ObservedFunction | null, planned: PlannedFunction): void {
  const want = b.desired.function.reservedConcurrency
  const live = fn?.reservedConcurrency
  if (planned.blocked || want === live) return
  const name = b.desired.names.function
  const resource = { type: 'lambda:concurrency', name }
  const changes = [{ path: 'ReservedConcurrentExecutions', before: live, after: want }]
  b.add({
    id: 'function-concurrency',
    action: want === undefined ? 'delete' : live === undefined ? 'create' : 'update',
    resource,
    reason: want === undefined ? 'function.reservedConcurrency removed: back to the unreserved pool' : 'function.reservedConcurrency',
    changes,
    request:
      want === undefined
        ? Lambda.DeleteFunctionConcurrency.request({ FunctionName: name })
        : Lambda.PutFunctionConcurrency.request({ FunctionName: name, ReservedConcurrentExecutions: want }),
    dependsOn: planned.steps,
  })
}
