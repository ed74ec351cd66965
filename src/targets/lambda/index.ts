import { relative } from 'node:path'
import { clock } from '../../clock.js'
import { domainNamesOf } from '../../manifest/domain.js'
import type { LambdaDesired } from '../../manifest/resolve.js'
import { isLocalRequest } from '../../plan/types.js'
import { noDomain, observeDomain } from '../domain/observe.js'
import { withDomainUrl } from '../domain/outputs.js'
import { nothingEcr, observeEcr } from '../image/ecr.js'
import { buildPlatformOf, checkContainerCli, runContainerOperation } from '../image/index.js'
import { scheduleOutputs } from '../schedule/outputs.js'
import type { Outputs, PrepareBuild, Prepared, Target } from '../target.js'
import { packageMayNeedS3, uploadArtifact } from './artifacts.js'
import { LAMBDA_CATALOGUE, UploadArtifact } from './catalogue.js'
import { lambdaImageOf, listedLambdaBuild } from './image.js'
import { ALIAS, type LambdaObserved, observeLambda } from './observe.js'
import { invokeLambda, lambdaRollback } from './operations.js'
import { planLambda, planLambdaDestroy } from './plan.js'
import { listPackage } from './walk.js'
import { zipListing } from './zip.js'

/** A weighted alias's split, as status shows it: "10% → v8, 90% → v7". */
function trafficOf(alias: LambdaObserved['alias']): string | undefined {
  if (!alias?.shifting) return undefined
  const share = Math.round(alias.shifting.weight * 100)
  return `${share}% → v${alias.shifting.version}, ${100 - share}% → v${alias.version} (a release is shifting, or was stopped mid-way: shipit rollback puts all traffic on v${alias.version})`
}

/**
 * The deploys whose package may be too big for the request itself, told by prepare (which lists the
 * files) to observe (which runs while the zip is built): only those read the S3 bucket.
 */
const mayNeedS3 = new WeakSet<LambdaDesired>()

export const lambdaTarget: Target<LambdaObserved, LambdaDesired> = {
  name: 'lambda',
  catalogue: LAMBDA_CATALOGUE,

  async prepare(desired: LambdaDesired, signal?: AbortSignal): Promise<PrepareBuild> {
    if (desired.image) {
      // an image function: the build context is listed and fenced now (exit 3 before any AWS call), hashed while AWS is read
      const imageFunction = { ...desired, image: desired.image }
      await listedLambdaBuild(imageFunction)
      return async (): Promise<Prepared> => ({ artifacts: new Map(), image: await lambdaImageOf(imageFunction) })
    }
    const fn = desired.function
    const shown = relative(process.cwd(), fn.sourceDir) || '.'
    // messages name the source as app.yaml writes it
    const label = fn.source
    const listing = await listPackage(fn.sourceDir, {
      appDir: desired.dir,
      allowOutsideApp: fn.allowSourceOutsideApp,
      allowFiles: fn.allowFiles,
      label,
      signal,
    })
    if (packageMayNeedS3(listing.files)) mayNeedS3.add(desired)
    return async (): Promise<Prepared> => {
      const zip = await zipListing(listing, { label, signal })
      const artifact = { artifact: 'zip' as const, source: shown, sha256: zip.sha256, size: zip.bytes.length }
      return { artifacts: new Map([['function', { artifact, bytes: zip.bytes, needsS3: zip.needsS3 }]]) }
    }
  },

  // destroy removes this app's packages; a deploy reads the bucket when it may upload there
  observe: async (ctx, desired) => {
    const image = desired.image
    const [observed, domain, ecr] = await Promise.all([
      observeLambda(ctx, desired, { artifacts: !image && (ctx.command === 'destroy' || Boolean(desired.function.bucket) || mayNeedS3.has(desired)) }),
      observeDomain(ctx.clients, desired, { apiDomains: true }),
      // an image function reads the app's repository, and whether its image's tag is in it (not for destroy: the repository is all it needs)
      image ? (async () => observeEcr(ctx.clients, desired.app, ctx.command === 'destroy' ? null : await lambdaImageOf({ ...desired, image })))() : undefined,
    ])
    return { ...observed, ...(domain ? { domain } : {}), ...(ecr ? { ecr } : {}) }
  },

  nothing: (desired) => ({
    ...(domainNamesOf(desired.http).length ? { domain: noDomain(desired) } : {}),
    ...(desired.image ? { ecr: nothingEcr() } : {}),
    role: null,
    logGroup: null,
    function: null,
    alias: null,
    permission: null,
    api: null,
    foreignApis: [],
    duplicateApis: [],
    artifacts: null,
  }),

  async localOperations(steps) {
    if (!steps.some((s) => isLocalRequest(s.request))) return undefined
    // an image function's build and push: the container CLI and its daemon are checked before the first AWS change
    const platform = buildPlatformOf(steps)
    const cli = platform ? await checkContainerCli({ crossBuildTo: platform.split('/')[1] as 'amd64' | 'arm64' }) : undefined
    return async (request, ctx) => {
      if (request.service === 'container' && cli) {
        return { ...(await runContainerOperation(request.operation, request.input, { clients: ctx.clients, cli, signal: ctx.signal })) }
      }
      if (request.service !== UploadArtifact.service || request.operation !== UploadArtifact.operation) {
        throw new Error(`the lambda target runs no local ${request.service}:${request.operation}`)
      }
      return uploadArtifact(ctx.clients, request.input, ctx.signal)
    }
  },

  plan: planLambda,

  planDestroy: planLambdaDestroy,

  outputs(desired, observed, applied = {}): Outputs {
    const endpoint = observed.api?.endpoint ?? (applied.api?.ApiEndpoint as string | undefined)
    const fnArn = observed.function?.arn ?? (applied.function?.FunctionArn as string | undefined)
    // the app's own name first, AWS's URL second
    return withDomainUrl(
      {
        url: endpoint ? `${endpoint}/` : undefined,
        functionName: desired.names.function,
        functionArn: fnArn,
        alias: ALIAS,
        version: (applied.version?.Version ?? applied.alias?.FunctionVersion ?? observed.alias?.version) as string | undefined,
        // a version published by this apply is what live serves now; what was observed is from before it
        codeSha256: (applied.version?.CodeSha256 ?? observed.alias?.config.CodeSha256) as string | undefined,
        runtime: (applied.version?.Runtime ?? observed.alias?.config.Runtime) as string | undefined,
        // an image function: the image live runs, by digest (a push of this apply, else what the alias's version runs)
        ...(desired.image ? { imageUri: (applied['image-push']?.imageUri ?? observed.alias?.config.ImageUri) as string | undefined } : {}),
        apiId: observed.api?.id ?? (applied.api?.ApiId as string | undefined),
        // a release under way (or left by a crash): how the alias splits its traffic; after an apply, what was observed is past
        traffic: Object.keys(applied).length ? undefined : trafficOf(observed.alias),
        logGroup: desired.names.logGroup,
        ...scheduleOutputs(desired.schedule, observed.schedule, applied, clock.now()),
      },
      observed.domain,
      applied,
    )
  },

  // a function's outputs are all known from observe and the steps' answers
  liveOutputs: async () => ({}),

  deployed: (observed) => Boolean(observed.function || observed.alias || observed.api?.endpoint),

  fingerprint: (observed) => observed,

  rollback: lambdaRollback,

  run: { kind: 'invoke', invoke: invokeLambda },
}
