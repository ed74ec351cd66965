/**
 * In-memory ECR: repositories, their tags, lifecycle policies and images, with the errors AWS words.
 *
 * Images get in the way they do on AWS, by a push of the container CLI: the fake CLI
 * (test/fakes/bin/docker) appends each push to a JSON-lines file, and the fake ECR reads the new
 * lines of the file named by `state.ecr.pushLog` (FakeAws.watchContainerPushes) before each call.
 */
import { readFileSync } from 'node:fs'
import type { FakeContext } from './context.js'
import { awsError, type Handlers } from './core.js'

export interface EcrImageRecord {
  imageDigest: string
  imageTags: string[]
  imageSizeInBytes: number
  imagePushedAt: Date
}

export interface EcrRepositoryRecord {
  repositoryName: string
  repositoryArn: string
  repositoryUri: string
  createdAt: Date
  imageTagMutability: string
  scanOnPush: boolean
  tags: Record<string, string>
  lifecyclePolicyText?: string
  images: EcrImageRecord[]
}

export interface EcrState {
  repositories: Map<string, EcrRepositoryRecord>
  /** JSON-lines file of pushes written by the fake container CLI */
  pushLog?: string
  /** lines of pushLog already read */
  pushLogLines: number
  /** the password inside the last GetAuthorizationToken answer (tests check it never leaks) */
  password?: string
}

export function createEcrState(): EcrState {
  return { repositories: new Map(), pushLogLines: 0 }
}

/** One line of the push log the fake CLI writes. */
export interface PushedImage {
  registry: string
  repository: string
  tag: string
  digest: string
  size: number
}

const NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/

/** Registers the images the fake CLI pushed since the last call. */
export function syncContainerPushes(ctx: FakeContext): void {
  const state = () => ctx.state.ecr
  const registry = `${ctx.account}.dkr.ecr.${ctx.region}.amazonaws.com`
  const file = state().pushLog
  if (!file) return
  let lines: string[]
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return
  }
  for (const line of lines.slice(state().pushLogLines)) {
    const p = JSON.parse(line) as PushedImage
    const r = p.registry === registry ? state().repositories.get(p.repository) : undefined
    if (!r) continue // the push would have failed with "name unknown"
    const tagged = r.images.find((i) => i.imageTags.includes(p.tag))
    if (tagged && tagged.imageDigest !== p.digest && r.imageTagMutability === 'IMMUTABLE') continue
    for (const i of r.images) i.imageTags = i.imageTags.filter((t) => t !== p.tag)
    const same = r.images.find((i) => i.imageDigest === p.digest)
    if (same) same.imageTags.push(p.tag)
    else r.images.push({ imageDigest: p.digest, imageTags: [p.tag], imageSizeInBytes: p.size, imagePushedAt: ctx.now() })
  }
  state().pushLogLines = lines.length
}

/**
 * The image an ECR image URI names in this account and region (`<registry>/<repo>@sha256:…` or
 * `…:<tag>`): what Lambda looks up for an image function. `invalid`: not a URI of this account's ECR.
 */
export function findEcrImage(ctx: FakeContext, uri: string): { image: EcrImageRecord; digest: string } | 'invalid' | undefined {
  syncContainerPushes(ctx)
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^@:]+)(?:@(sha256:[0-9a-f]{64})|:([\w][\w.-]{0,127}))$/.exec(uri)
  if (!m) return 'invalid'
  const [, account, region, repository, digest, tag] = m
  if (account !== ctx.account || region !== ctx.region) return undefined
  const image = ctx.state.ecr.repositories.get(repository)?.images.find((i) => (digest ? i.imageDigest === digest : i.imageTags.includes(tag)))
  return image ? { image, digest: image.imageDigest } : undefined
}

export function ecrHandlers(ctx: FakeContext): Handlers {
  const state = () => ctx.state.ecr
  const err = (name: string, message: string) => awsError('ecr', name, message)
  const registry = `${ctx.account}.dkr.ecr.${ctx.region}.amazonaws.com`
  const notFound = (name: string) =>
    err('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ctx.account}'`)
  const repo = (name: string | undefined): EcrRepositoryRecord => {
    syncPushes()
    const r = name ? state().repositories.get(name) : undefined
    if (!r) throw notFound(name ?? '')
    return r
  }
  const byArn = (arn: string | undefined): EcrRepositoryRecord => {
    const m = /^arn:aws[a-z-]*:ecr:([^:]+):(\d{12}):repository\/(.+)$/.exec(arn ?? '')
    if (!m) throw err('InvalidParameterException', `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`)
    if (m[1] !== ctx.region || m[2] !== ctx.account) throw notFound(m[3])
    return repo(m[3])
  }
  const describeRepo = (r: EcrRepositoryRecord) => ({
    repositoryArn: r.repositoryArn,
    registryId: ctx.account,
    repositoryName: r.repositoryName,
    repositoryUri: r.repositoryUri,
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: 'AES256' },
  })
  const tagsIn = (tags: { Key?: string; Value?: string }[] | undefined, r: EcrRepositoryRecord) => {
    for (const t of tags ?? []) {
      if (!t.Key) throw err('InvalidTagParameterException', 'Tag key must not be empty')
      r.tags[t.Key] = t.Value ?? ''
    }
    if (Object.keys(r.tags).length > 50) throw err('TooManyTagsException', 'A repository may have at most 50 tags')
  }

  const syncPushes = () => syncContainerPushes(ctx)

  return {
    CreateRepository: (input) => {
      syncPushes()
      const name: string = input.repositoryName ?? ''
      if (name.length < 2 || name.length > 256 || !NAME.test(name)) {
        throw err(
          'InvalidParameterException',
          `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`,
        )
      }
      if (state().repositories.has(name)) {
        throw err('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${ctx.account}'`)
      }
      const r: EcrRepositoryRecord = {
        repositoryName: name,
        repositoryArn: `arn:aws:ecr:${ctx.region}:${ctx.account}:repository/${name}`,
        repositoryUri: `${registry}/${name}`,
        createdAt: ctx.now(),
        imageTagMutability: input.imageTagMutability ?? 'MUTABLE',
        scanOnPush: Boolean(input.imageScanningConfiguration?.scanOnPush),
        tags: {},
        images: [],
      }
      tagsIn(input.tags, r)
      state().repositories.set(name, r)
      return { repository: describeRepo(r) }
    },
    DescribeRepositories: (input) => {
      syncPushes()
      const names: string[] | undefined = input.repositoryNames
      const list = names ? names.map((n) => repo(n)) : [...state().repositories.values()]
      return { repositories: list.map(describeRepo) }
    },
    DeleteRepository: (input) => {
      const r = repo(input.repositoryName)
      if (r.images.length && !input.force) {
        throw err(
          'RepositoryNotEmptyException',
          `The repository with name '${r.repositoryName}' in registry with id '${ctx.account}' cannot be deleted because it still contains images`,
        )
      }
      state().repositories.delete(r.repositoryName)
      return { repository: describeRepo(r) }
    },
    ListTagsForResource: (input) => ({ tags: Object.entries(byArn(input.resourceArn).tags).map(([Key, Value]) => ({ Key, Value })) }),
    TagResource: (input) => {
      tagsIn(input.tags, byArn(input.resourceArn))
      return {}
    },
    UntagResource: (input) => {
      const r = byArn(input.resourceArn)
      for (const k of input.tagKeys ?? []) delete r.tags[k]
      return {}
    },
    PutImageScanningConfiguration: (input) => {
      const r = repo(input.repositoryName)
      r.scanOnPush = Boolean(input.imageScanningConfiguration?.scanOnPush)
      return { registryId: ctx.account, repositoryName: r.repositoryName, imageScanningConfiguration: { scanOnPush: r.scanOnPush } }
    },
    PutImageTagMutability: (input) => {
      const r = repo(input.repositoryName)
      if (!['MUTABLE', 'IMMUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'].includes(input.imageTagMutability)) {
        throw err('InvalidParameterException', `Invalid parameter at 'imageTagMutability' failed to satisfy constraint`)
      }
      r.imageTagMutability = input.imageTagMutability
      return { registryId: ctx.account, repositoryName: r.repositoryName, imageTagMutability: r.imageTagMutability }
    },
    PutLifecyclePolicy: (input) => {
      const r = repo(input.repositoryName)
      checkLifecyclePolicy(input.lifecyclePolicyText, err)
      r.lifecyclePolicyText = input.lifecyclePolicyText
      return { registryId: ctx.account, repositoryName: r.repositoryName, lifecyclePolicyText: r.lifecyclePolicyText }
    },
    GetLifecyclePolicy: (input) => {
      const r = repo(input.repositoryName)
      if (!r.lifecyclePolicyText) {
        throw err(
          'LifecyclePolicyNotFoundException',
          `Lifecycle policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${ctx.account}'`,
        )
      }
      return { registryId: ctx.account, repositoryName: r.repositoryName, lifecyclePolicyText: r.lifecyclePolicyText, lastEvaluatedAt: ctx.now() }
    },
    DescribeImages: (input) => {
      const r = repo(input.repositoryName)
      const ids: { imageTag?: string; imageDigest?: string }[] | undefined = input.imageIds
      const found = ids
        ? ids.map((id) => {
            const image = r.images.find((i) => (id.imageDigest ? i.imageDigest === id.imageDigest : i.imageTags.includes(id.imageTag ?? '')))
            if (!image) {
              throw err(
                'ImageNotFoundException',
                `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${r.repositoryName}' in the registry with id '${ctx.account}'`,
              )
            }
            return image
          })
        : r.images
      return {
        imageDetails: found.map((i) => ({
          registryId: ctx.account,
          repositoryName: r.repositoryName,
          imageDigest: i.imageDigest,
          imageTags: [...i.imageTags],
          imageSizeInBytes: i.imageSizeInBytes,
          imagePushedAt: i.imagePushedAt,
          imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        })),
      }
    },
    GetAuthorizationToken: () => {
      // real passwords are base64 JSON; this one is recognisable in any output it leaks into
      const password = `eyJwYXlsb2FkIjoiZmFrZS${ctx.ids.upperAlnum(40)}`
      state().password = password
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
            expiresAt: new Date(ctx.now().getTime() + 12 * 3600 * 1000),
            proxyEndpoint: `https://${registry}`,
          },
        ],
      }
    },
  }
}

/** The rule shape ECR's lifecycle policy reference documents; anything else is refused like AWS does. */
function checkLifecyclePolicy(text: unknown, err: (name: string, message: string) => Error): void {
  const fail = (why: string) => err('InvalidParameterException', `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '${why}'`)
  let policy: { rules?: Record<string, any>[] }
  try {
    policy = JSON.parse(String(text))
  } catch {
    throw fail('Lifecycle policy validation failure: could not parse JSON')
  }
  if (!Array.isArray(policy.rules) || policy.rules.length === 0) throw fail('Lifecycle policy validation failure: rules are required')
  for (const rule of policy.rules) {
    const s = rule.selection ?? {}
    const ok =
      Number.isInteger(rule.rulePriority) &&
      ['tagged', 'untagged', 'any'].includes(s.tagStatus) &&
      ['imageCountMoreThan', 'sinceImagePushed'].includes(s.countType) &&
      Number.isInteger(s.countNumber) &&
      s.countNumber > 0 &&
      rule.action?.type === 'expire'
    if (!ok) throw fail('Lifecycle policy validation failure: invalid rule')
  }
}
