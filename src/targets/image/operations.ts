import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AwsClients } from '../../aws/clients.js'
import { ExitCode, ShipitError } from '../../errors.js'
import type { RunbookRefs } from '../../plan/catalogue.js'
import { isRef, type Ref } from '../../plan/types.js'
import { checkContainerCli, lastLine, needsBuildx, type ReadyContainerCli, runCli } from './cli.js'
import { contextHash, type Platform } from './context.js'

/**
 * The two local operations of a plan that builds its image: `{service: 'container', operation, input}`,
 * run by the executor like an AWS request and written as `docker …` lines in the runbook.
 */

export type BuildInput = {
  /** absolute context directory; absent with `layer.from` (an empty one is made) */
  context?: string
  /** absolute Dockerfile path; absent with `layer.from` */
  dockerfile?: string
  args: Record<string, string>
  target?: string
  platform: Platform
  /** the local name the image is built as: `shipit/<app>:<tag>` */
  image: string
  /** the context hash the plan was made from: a context that changed since is refused */
  contextSha256?: string
  /**
   * Lines shipit adds on top of the image (the Lambda Web Adapter). The build then uses a Dockerfile
   * shipit generates in a temporary directory, never in the user's tree: `FROM layer.from` (an image
   * from a registry), or the user's Dockerfile (its `target` stage, when named) followed by the lines.
   */
  layer?: ImageLayer
  /** the largest image the target runs (Lambda: 10 GB): a bigger build fails before its push */
  maxBytes?: number
}

export interface ImageLayer {
  /** build FROM this image (container.image) instead of the user's Dockerfile */
  from?: string
  lines: string[]
}

export interface BuildOutput {
  image: string
  contextSha256: string
}

export type PushInput = {
  /** the local image (Build's output) */
  image: string
  /** `<account>.dkr.ecr.<region>.amazonaws.com/shipit/<app>`: a reference while the repository is being created */
  repositoryUri: string
  repositoryName: string
  tag: string
}

export interface PushOutput {
  imageDigest: string
  /** `repositoryUri@sha256:…`: what the task definition pins */
  imageUri: string
  imageTag: string
}

interface BuildLog {
  /** stream the build to the terminal (true) or keep it and show its end only if the build fails */
  tty: boolean
  write(chunk: string): void
}

export interface ContainerOperationContext {
  /** for ECR's GetAuthorizationToken and DescribeImages */
  clients: Pick<AwsClients, 'send'>
  /** from checkContainerCli (the preflight); checked again here when absent */
  cli?: ReadyContainerCli
  env?: NodeJS.ProcessEnv
  /** where build output goes; default: stderr, streamed on a TTY outside CI */
  log?: BuildLog
  signal?: AbortSignal
}

/** Lines of a failed build shown when its output was collapsed. */
const FAILED_BUILD_TAIL_LINES = 30

const defaultLog = (): BuildLog => ({
  tty: Boolean(process.stderr.isTTY) && !process.env.CI,
  write: (chunk) => process.stderr.write(chunk),
})

const archOf = (platform: Platform) => platform.split('/')[1] as 'amd64' | 'arm64'

async function readyCli(input: { platform?: Platform }, ctx: ContainerOperationContext): Promise<ReadyContainerCli> {
  return ctx.cli ?? checkContainerCli({ env: ctx.env, crossBuildTo: input.platform ? archOf(input.platform) : undefined })
}

/** Where a build with a layer finds its generated Dockerfile (and, with `layer.from`, its empty context). */
interface GeneratedBuild {
  dir: string
  dockerfile: string
}

/** The CLI arguments of a build: buildx with --load when docker cross-builds, the CLI's own build otherwise. */
function buildArgs(cli: Pick<ReadyContainerCli, 'kind' | 'serverArch'>, input: BuildInput, generated?: GeneratedBuild): string[] {
  const cross = needsBuildx({ path: '', ...cli }, archOf(input.platform))
  const dockerfile = generated?.dockerfile ?? input.dockerfile
  const context = input.context ?? generated?.dir
  if (!dockerfile || !context) throw new Error(`the build of ${input.image} has no Dockerfile or context`)
  return [
    ...(cross ? ['buildx', 'build', '--load'] : ['build']),
    '--platform',
    input.platform,
    // Lambda refuses an image index with provenance attestations ("The image manifest, config or layer
    // media type … is not supported"), which BuildKit adds by default: a single-platform manifest only
    ...(input.layer && cli.kind === 'docker' ? ['--provenance=false'] : []),
    '--file',
    dockerfile,
    '--tag',
    input.image,
    ...Object.entries(input.args)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    // with a layer the generated Dockerfile's last stage starts FROM the target stage
    ...(input.target && !input.layer ? ['--target', input.target] : []),
    context,
  ]
}

/** The generated Dockerfile: FROM the registry image, or the user's Dockerfile (and its target stage), then the layer's lines. */
function generatedDockerfile(layer: ImageLayer, userDockerfile?: { text: string; target?: string }): string {
  const head = layer.from
    ? [`FROM ${layer.from}`]
    : [userDockerfile?.text.replace(/\s*$/, '') ?? '', ...(userDockerfile?.target ? [`FROM ${userDockerfile.target}`] : [])]
  return `${[...head, ...layer.lines].join('\n')}\n`
}

/** Writes the generated Dockerfile in a new private temporary directory (removed by the caller). */
async function writeGeneratedBuild(input: BuildInput & { layer: ImageLayer }): Promise<GeneratedBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'shipit-build-'))
  const dockerfile = join(dir, 'Dockerfile')
  const user = input.layer.from || !input.dockerfile ? undefined : { text: await readFile(input.dockerfile, 'utf8'), target: input.target }
  await writeFile(dockerfile, generatedDockerfile(input.layer, user), { mode: 0o600 })
  // BuildKit reads <Dockerfile>.dockerignore next to the Dockerfile before the context's .dockerignore
  if (input.dockerfile) await copyFile(`${input.dockerfile}.dockerignore`, `${dockerfile}.dockerignore`).catch(() => undefined)
  return { dir, dockerfile }
}

/** Builds the image for the plan's platform, after checking that the context is still the one planned. */
export async function buildImage(input: BuildInput, ctx: ContainerOperationContext): Promise<BuildOutput> {
  const { context, dockerfile, contextSha256 } = input
  if (context && dockerfile && contextSha256) {
    const now = await contextHash({ ...input, context, dockerfile })
    if (now.sha256 !== contextSha256) {
      throw new ShipitError('StaleBuildContext', `the build context ${context} changed since the plan was made`, {
        exitCode: ExitCode.StalePlan,
        source: 'user',
        suggestions: ['make the plan again (shipit plan --out …), or deploy without --plan'],
      })
    }
  }
  const cli = await readyCli(input, ctx)
  const generated = input.layer ? await writeGeneratedBuild({ ...input, layer: input.layer }) : undefined
  try {
    await runBuild(cli, input, ctx, generated)
  } finally {
    if (generated) await rm(generated.dir, { recursive: true, force: true })
  }
  if (input.maxBytes !== undefined) await checkImageSize(cli, input.image, input.maxBytes, ctx)
  return { image: input.image, contextSha256: contextSha256 ?? '' }
}

/**
 * The built image's size as the CLI counts it (uncompressed, all layers: what Lambda's 10 GB limit
 * counts), checked before the push. A CLI that cannot tell (no `image inspect`) leaves the check to AWS.
 */
async function checkImageSize(cli: ReadyContainerCli, image: string, maxBytes: number, ctx: ContainerOperationContext): Promise<void> {
  const inspected = await runCli(cli, ['image', 'inspect', '--format', '{{.Size}}', image], { env: ctx.env, signal: ctx.signal })
  const size = Number(inspected.stdout.trim())
  if (inspected.code !== 0 || !Number.isFinite(size) || size <= maxBytes) return
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`
  throw new ShipitError('ImageTooLarge', `${image} is ${gib(size)}; Lambda runs images of at most ${gib(maxBytes)} (uncompressed): nothing was pushed`, {
    exitCode: ExitCode.Failure,
    source: 'user',
    suggestions: ['make the image smaller (a slim base image, a multi-stage build, .dockerignore), or deploy it with --target fargate'],
  })
}

async function runBuild(cli: ReadyContainerCli, input: BuildInput, ctx: ContainerOperationContext, generated?: GeneratedBuild): Promise<void> {
  const log = ctx.log ?? defaultLog()
  let tail = ''
  const args = buildArgs(cli, input, generated)
  const result = await runCli(cli, args, {
    env: ctx.env,
    signal: ctx.signal,
    onOutput: (chunk) => {
      if (log.tty) log.write(chunk)
      else tail = (tail + chunk).slice(-64 * 1024)
    },
  })
  if (result.code !== 0) {
    const lines = tail.split(/\r?\n/).filter((l) => l.trim())
    const shown = log.tty ? '' : `\n${lines.slice(-FAILED_BUILD_TAIL_LINES).join('\n')}`
    throw new ShipitError('ImageBuildFailed', `building ${input.image} failed (${cli.kind} exited with ${result.code})${shown}`, {
      exitCode: ExitCode.Failure,
      source: 'user',
      suggestions: [
        generated
          ? `the generated Dockerfile is your image plus the Lambda Web Adapter (shipit plan --cli prints it); build your own image first to see its errors`
          : `run the same build yourself to see all of it: ${args.join(' ')}`,
      ],
    })
  }
}

/** `docker login` to the registry with ECR's token, given on stdin: never in argv, on disk by shipit, in output or errors. */
export async function loginToEcr(registry: string, ctx: ContainerOperationContext): Promise<void> {
  const cli = await readyCli({}, ctx)
  const out = await ctx.clients.send('ecr', 'GetAuthorizationToken', {})
  const token = out.authorizationData?.[0]?.authorizationToken
  if (!token) throw new ShipitError('EcrNoToken', 'ECR GetAuthorizationToken returned no token', { source: 'aws' })
  const decoded = Buffer.from(token, 'base64').toString('utf8')
  const password = decoded.slice(decoded.indexOf(':') + 1)
  const scrub = (text: string) => text.split(password).join('***').split(token).join('***')
  const result = await runCli(cli, ['login', '--username', 'AWS', '--password-stdin', registry], { env: ctx.env, stdin: password, signal: ctx.signal })
  if (result.code !== 0) {
    throw new ShipitError('EcrLoginFailed', `${cli.kind} login to ${registry} failed: ${scrub(lastLine(result.stderr) || lastLine(result.stdout))}`, {
      exitCode: ExitCode.Failure,
      source: 'aws',
    })
  }
}

/** `… digest: sha256:<64 hex> size: N`, the last line docker and finch print after a push. */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
}

/** Tags the local image with the repository's name, logs in, pushes; returns the digest the task definition pins. */
export async function pushImage(input: PushInput, ctx: ContainerOperationContext): Promise<PushOutput> {
  const cli = await readyCli({}, ctx)
  const remote = `${input.repositoryUri}:${input.tag}`
  const tagged = await runCli(cli, ['tag', input.image, remote], { env: ctx.env, signal: ctx.signal })
  if (tagged.code !== 0) throw new ShipitError('ImageTagFailed', `${cli.kind} tag ${input.image} ${remote} failed: ${lastLine(tagged.stderr)}`)
  await loginToEcr(input.repositoryUri.split('/')[0], ctx)
  const pushed = await runCli(cli, ['push', remote], { env: ctx.env, signal: ctx.signal })
  // an immutable tag already there (a concurrent deploy pushed the same source): ECR's image is the one to pin
  const alreadyThere = /already exists|cannot be overwritten/i.test(pushed.stderr + pushed.stdout)
  if (pushed.code !== 0 && !alreadyThere) {
    throw new ShipitError('ImagePushFailed', `${cli.kind} push ${remote} failed: ${lastLine(pushed.stderr) || lastLine(pushed.stdout)}`, { source: 'aws' })
  }
  // podman prints no digest line: ask the registry
  const digest = (pushed.code === 0 && pushedDigest(pushed.stdout + pushed.stderr)) || (await registryDigest(input, ctx))
  return { imageDigest: digest, imageUri: `${input.repositoryUri}@${digest}`, imageTag: input.tag }
}

async function registryDigest(input: PushInput, ctx: ContainerOperationContext): Promise<string> {
  const out = await ctx.clients.send('ecr', 'DescribeImages', {
    repositoryName: input.repositoryName,
    imageIds: [{ imageTag: input.tag }],
  })
  const digest = out.imageDetails?.[0]?.imageDigest
  if (!digest) throw new ShipitError('ImagePushFailed', `ECR has no image ${input.repositoryName}:${input.tag} after the push`, { source: 'aws' })
  return digest
}

/** Runs one local operation of a plan step; the executor's counterpart of an AWS call. */
export function runContainerOperation(operation: 'Build', input: BuildInput, ctx: ContainerOperationContext): Promise<BuildOutput>
export function runContainerOperation(operation: 'Push', input: PushInput, ctx: ContainerOperationContext): Promise<PushOutput>
export function runContainerOperation(operation: string, input: unknown, ctx: ContainerOperationContext): Promise<BuildOutput | PushOutput>
export function runContainerOperation(operation: string, input: unknown, ctx: ContainerOperationContext): Promise<BuildOutput | PushOutput> {
  if (operation === 'Build') return buildImage(input as BuildInput, ctx)
  if (operation === 'Push') return pushImage(input as PushInput, ctx)
  throw new Error(`unknown container operation ${operation}`)
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
const placeholder = (v: unknown): string => (isRef(v) ? `<${(v as Ref).ref}.${(v as Ref).output}>` : String(v))

/** The runbook form of a local operation: the `docker` (and `aws`) command lines a person would type. */
export function containerRunbook(request: { operation: string; input: Record<string, unknown> }, region: string, refs?: RunbookRefs): string[] {
  if (request.operation === 'Build') {
    const input = request.input as BuildInput
    const docker = { kind: 'docker' as const, serverArch: archOf(input.platform) }
    if (input.layer) return layeredBuildScript(input, input.layer, docker)
    return [buildArgs(docker, input).reduce((line, a) => `${line} ${shellQuote(a)}`, 'docker')]
  }
  if (request.operation === 'Push') {
    const input = request.input as PushInput
    if (refs) return pushScript(input, refs)
    const uri = placeholder(input.repositoryUri)
    const registry = isRef(input.repositoryUri) ? `<registry of ${uri}>` : uri.split('/')[0]
    return [
      `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}`,
      `docker tag ${shellQuote(input.image)} ${uri}:${input.tag}`,
      `docker push ${uri}:${input.tag}`,
      `# the digest to pin: aws ecr describe-images --repository-name ${input.repositoryName} --image-ids imageTag=${input.tag} --query 'imageDetails[0].imageDigest' --output text --region ${region}`,
    ]
  }
  throw new Error(`unknown container operation ${request.operation}`)
}

/** The runbook of a build with a layer: the generated Dockerfile written in a private temporary directory by a heredoc, then built. */
function layeredBuildScript(input: BuildInput, layer: ImageLayer, docker: Pick<ReadyContainerCli, 'kind' | 'serverArch'>): string[] {
  const dir = '$SHIPIT_BUILD_DIR'
  const args = buildArgs(docker, input, { dir, dockerfile: `${dir}/Dockerfile` })
  const quote = (a: string) => (a.startsWith(dir) ? `"${a}"` : shellQuote(a))
  const lines = layer.from ? generatedDockerfile(layer).trimEnd().split('\n') : [...(input.target ? [`FROM ${input.target}`] : []), ...layer.lines]
  return [
    '# the generated Dockerfile: the image, then the Lambda Web Adapter (written outside your tree)',
    'SHIPIT_BUILD_DIR=$(mktemp -d)',
    `{ ${layer.from || !input.dockerfile ? '' : `cat ${shellQuote(input.dockerfile)}; echo; `}cat <<'SHIPIT_DOCKERFILE'`,
    ...lines,
    'SHIPIT_DOCKERFILE',
    `} > "${dir}/Dockerfile"`,
    args.reduce((line, a) => `${line} ${quote(a)}`, 'docker'),
    `rm -rf "${dir}"`,
  ]
}

/** The push in a runnable script: the repository URI from the variable that captured it, the digest pinned for the steps after it. */
function pushScript(input: PushInput, refs: RunbookRefs): string[] {
  const uri = refs.text(input.repositoryUri)
  const lines = [
    `aws ecr get-login-password --region ${refs.region} | docker login --username AWS --password-stdin "$(printf %s ${uri} | cut -d/ -f1)"`,
    `docker tag ${shellQuote(input.image)} ${uri}:${shellQuote(input.tag)}`,
    `docker push ${uri}:${shellQuote(input.tag)}`,
    `IMAGE_DIGEST=$(aws ecr describe-images --repository-name ${shellQuote(input.repositoryName)} --image-ids imageTag=${shellQuote(input.tag)} --query 'imageDetails[0].imageDigest' --output text --region ${refs.region})`,
  ]
  const pinned = refs.variable('imageUri')
  if (pinned) lines.push(`${pinned}=${uri}@"$IMAGE_DIGEST"`)
  const digest = refs.variable('imageDigest')
  if (digest) lines.push(`${digest}="$IMAGE_DIGEST"`)
  return lines
}

/**
 * The platform a plan builds for, when it builds: the executor then runs checkContainerCli({crossBuildTo})
 * before the plan's first AWS change, so a missing CLI or a stopped daemon changes nothing.
 */
export function buildPlatformOf(steps: { request: { service: string; operation: string; input: Record<string, unknown> } }[]): Platform | undefined {
  const build = steps.find((s) => s.request.service === 'container' && s.request.operation === 'Build')
  return build ? (build.request.input as BuildInput).platform : undefined
}
