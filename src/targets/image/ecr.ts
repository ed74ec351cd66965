import type { AwsClients } from '../../aws/clients.js'
import { awsErrorName, orNullIfMissing } from '../../aws/errors.js'
import { canonicalJson } from '../../digest.js'
import { TAG_APP } from '../../manifest/names.js'
import type { Desired } from '../../manifest/resolve.js'
import type { ContainerSpec } from '../../manifest/schema.js'
import type { Ref, Step } from '../../plan/types.js'
import type { PartBuilder } from '../part.js'
import { tagList, tagMap } from '../target.js'
import { Ecr, Image } from './catalogue.js'
import type { BuildInput, PushInput } from './operations.js'
import { type PreparedImage, repositoryName } from './prepare.js'

/**
 * The app's ECR repository `shipit/<name>` and the image built from source in it.
 *
 * One repository per app, shared by its environments (an image built for dev is the same bytes prod
 * runs, and is not pushed twice). So the repository does not carry one `shipit:env` tag: it carries
 * `shipit:app` (ownership: without it shipit changes nothing) and one `shipit:env:<env>` tag per
 * environment that deployed from it. Destroying an env removes its tag; the repository, with its
 * images, is deleted (force) by the destroy of the last env that used it.
 *
 * Tags are IMMUTABLE: an image tag is the content hash of its source, so a tag must never be moved to
 * other bytes. That makes "the tag is in ECR" a safe proof that the source is built and pushed, and
 * a concurrent push of the same source fails instead of replacing the image a task definition pins.
 */

/**
 * `shipit:env:<env>`: this environment's containers deploy images from the shared repository;
 * `shipit:env:<env>:lambda`: its image function does. Apart, so that removing one target of an env
 * (`shipit move`) never deletes the images the other runs.
 */
const ENV_USES_PREFIX = 'shipit:env:'
const USES = 'uses'
const usesKey = (desired: Pick<Desired, 'env' | 'target'>) => `${ENV_USES_PREFIX}${desired.env}${desired.target === 'lambda' ? ':lambda' : ''}`

interface ObservedRepository {
  name: string
  arn: string
  uri: string
  tags: Record<string, string>
  scanOnPush: boolean
  tagMutability: string
  /** the lifecycle policy's JSON text, null when there is none */
  lifecyclePolicy: string | null
}

export interface ObservedEcr {
  repository: ObservedRepository | null
  /** the image tagged with the context hash, when ECR has it (its size as ECR counts it: compressed layers) */
  image: { tag: string; digest: string; sizeBytes?: number } | null
}

export const nothingEcr = (): ObservedEcr => ({ repository: null, image: null })

const missing =
  (...names: string[]) =>
  (err: unknown) =>
    names.includes(awsErrorName(err) ?? '')

/** Reads the repository, its tags and lifecycle policy, and whether the hash tag is in it. Reads only. */
export async function observeEcr(clients: Pick<AwsClients, 'send'>, app: string, prepared: PreparedImage | null): Promise<ObservedEcr> {
  const name = repositoryName(app)
  const described = await orNullIfMissing(clients.send('ecr', 'DescribeRepositories', { repositoryNames: [name] }), missing('RepositoryNotFoundException'))
  const repo = described?.repositories?.[0]
  if (!repo) return nothingEcr()
  const [tags, policy, images] = await Promise.all([
    clients.send('ecr', 'ListTagsForResource', { resourceArn: repo.repositoryArn }),
    orNullIfMissing(clients.send('ecr', 'GetLifecyclePolicy', { repositoryName: name }), missing('LifecyclePolicyNotFoundException')),
    prepared
      ? orNullIfMissing(
          clients.send('ecr', 'DescribeImages', { repositoryName: name, imageIds: [{ imageTag: prepared.tag }] }),
          missing('ImageNotFoundException'),
        )
      : Promise.resolve(null),
  ])
  const digest: string | undefined = images?.imageDetails?.[0]?.imageDigest
  const sizeBytes = images?.imageDetails?.[0]?.imageSizeInBytes
  return {
    repository: {
      name,
      arn: repo.repositoryArn ?? '',
      uri: repo.repositoryUri ?? '',
      tags: tagMap(tags.tags),
      scanOnPush: Boolean(repo.imageScanningConfiguration?.scanOnPush),
      tagMutability: repo.imageTagMutability ?? 'MUTABLE',
      lifecyclePolicy: policy?.lifecyclePolicyText ?? null,
    },
    image: prepared && digest ? { tag: prepared.tag, digest, ...(sizeBytes !== undefined ? { sizeBytes } : {}) } : null,
  }
}

/** ECR's lifecycle policy that expires all but the newest `keep` images, tagged or not. */
export function lifecyclePolicy(keep: number): Record<string, unknown> {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `keep the last ${keep} images (shipit)`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  }
}

const sameJson = (text: string | null, wanted: unknown): boolean => {
  if (text === null) return false
  try {
    return canonicalJson(JSON.parse(text)) === canonicalJson(wanted)
  } catch {
    return false
  }
}

const ownsRepository = (tags: Record<string, string> | undefined, app: string): boolean => tags?.[TAG_APP] === app
/** The environments whose tag the repository carries. */
const repositoryEnvs = (tags: Record<string, string>): string[] =>
  Object.keys(tags)
    .filter((k) => k.startsWith(ENV_USES_PREFIX))
    .map((k) => k.slice(ENV_USES_PREFIX.length).replace(/:lambda$/, ' (lambda)'))
    .sort()

/** A build or push as a plan step's request: its input as plain data. */

const REPOSITORY = 'ecr:repository'

/** The repository, created or brought in line; its URI (a reference while it is created) and the steps a push waits for. */
export function planRepository(b: PartBuilder<Desired>, observed: ObservedEcr, keepImages: number): { uri: string | Ref; deps: string[]; refused: boolean } {
  const { app, env } = b.desired
  const name = repositoryName(app)
  const repo = observed.repository
  const wantTags = { [TAG_APP]: app, [usesKey(b.desired)]: USES }
  const policy = lifecyclePolicy(keepImages)
  const lifecycleStep = (after: string[], before?: string | null): Step => ({
    id: 'ecr-lifecycle',
    action: before ? 'update' : 'create',
    resource: { type: 'ecr:lifecycle-policy', name },
    reason: `keep the last ${keepImages} images`,
    changes: [{ path: 'selection.countNumber', ...(before ? { before: countOf(before) } : {}), after: keepImages }],
    request: Ecr.PutLifecyclePolicy.request({ repositoryName: name, lifecyclePolicyText: JSON.stringify(policy) }),
    dependsOn: after,
  })
  if (!repo) {
    const id = b.add({
      id: 'ecr-repository',
      action: 'create',
      resource: { type: REPOSITORY, name },
      reason: 'images built from source are pushed here (one repository per app, shared by its environments)',
      changes: [
        { path: 'imageTagMutability', after: 'IMMUTABLE' },
        { path: 'imageScanningConfiguration.scanOnPush', after: true },
      ],
      request: Ecr.CreateRepository.request({
        repositoryName: name,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: tagList(wantTags),
      }),
      dependsOn: [],
    })
    b.add(lifecycleStep([id]))
    return { uri: { ref: id, output: 'repository.repositoryUri' }, deps: [id], refused: false }
  }
  const ours = ownsRepository(repo.tags, app)
  if (!ours && b.refuse(REPOSITORY, name)) return { uri: repo.uri, deps: [], refused: true }
  const deps: string[] = []
  const missingTags = Object.fromEntries(Object.entries(wantTags).filter(([k, v]) => repo.tags[k] !== v))
  if (Object.keys(missingTags).length) {
    deps.push(
      b.add({
        id: 'ecr-repository-tags',
        action: 'update',
        resource: { type: REPOSITORY, name },
        reason: ours ? `environment ${env} deploys from it` : 'adopt: add shipit tags',
        changes: Object.entries(missingTags).map(([k, v]) => ({ path: `tags.${k}`, after: v })),
        request: Ecr.TagResource.request({ resourceArn: repo.arn, tags: tagList(missingTags) }),
        dependsOn: [],
      }),
    )
  }
  if (!repo.scanOnPush) {
    b.add({
      id: 'ecr-scanning',
      action: 'update',
      resource: { type: REPOSITORY, name },
      changes: [{ path: 'imageScanningConfiguration.scanOnPush', before: false, after: true }],
      request: Ecr.PutImageScanningConfiguration.request({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }),
      dependsOn: [],
    })
  }
  if (repo.tagMutability !== 'IMMUTABLE') {
    // before the push: the hash tag must not be movable once it is there
    deps.push(
      b.add({
        id: 'ecr-tag-mutability',
        action: 'update',
        resource: { type: REPOSITORY, name },
        reason: 'tags are content hashes and must never move',
        changes: [{ path: 'imageTagMutability', before: repo.tagMutability, after: 'IMMUTABLE' }],
        request: Ecr.PutImageTagMutability.request({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }),
        dependsOn: [],
      }),
    )
  }
  if (!sameJson(repo.lifecyclePolicy, policy)) b.add(lifecycleStep([], repo.lifecyclePolicy))
  if (!b.present('ecr-repository-tags', 'ecr-scanning', 'ecr-tag-mutability', 'ecr-lifecycle').length) b.keep(REPOSITORY, name)
  return { uri: repo.uri, deps, refused: false }
}

function countOf(policyText: string): unknown {
  try {
    return JSON.parse(policyText)?.rules?.[0]?.selection?.countNumber
  } catch {
    return undefined
  }
}

/**
 * The image the task definition runs. With container.image: that image. With container.build: the
 * repository planned, and either the hash tag's image already in ECR pinned by digest (no build, no
 * push), or a build and a push, and a reference to the pushed `repo@sha256:…`. `deps` are the steps the
 * task definition must wait for.
 */
export function planImage(
  b: PartBuilder<Desired>,
  observed: ObservedEcr,
  prepared: PreparedImage | null,
  spec: Pick<ContainerSpec, 'image' | 'build' | 'keepImages'>,
): { image: string | Ref; deps: string[] } {
  // a Lambda image is always built (the adapter on top), even FROM a registry image
  if (!prepared || (!spec.build && !prepared.layer)) {
    if (!spec.image) throw new Error('container section without image or build')
    return { image: spec.image, deps: [] }
  }
  const repo = planRepository(b, observed, spec.keepImages)
  const name = prepared.repositoryName
  if (repo.refused) return { image: `${repo.uri}:${prepared.tag}`, deps: [] }
  if (observed.image && typeof repo.uri === 'string') {
    b.keep('ecr:image', `${name}:${prepared.tag}`, `source unchanged (${observed.image.digest.slice(0, 19)}…): no build, no push`)
    return { image: `${repo.uri}@${observed.image.digest}`, deps: [] }
  }
  const build: BuildInput = {
    ...prepared.build,
    image: prepared.localImage,
    ...(prepared.contextSha256 ? { contextSha256: prepared.contextSha256 } : {}),
    ...(prepared.layer ? { layer: prepared.layer } : {}),
    ...(prepared.maxBytes !== undefined ? { maxBytes: prepared.maxBytes } : {}),
  }
  const buildId = b.add({
    id: 'image-build',
    action: 'create',
    resource: { type: 'container:image', name: prepared.localImage },
    reason: `no image tagged ${prepared.tag} (the hash of ${prepared.layer ? 'the image, the Lambda Web Adapter, port and readiness path' : 'the build context'}) in ECR`,
    changes: [
      { path: 'platform', after: prepared.build.platform },
      prepared.layer?.from ? { path: 'from', after: prepared.layer.from } : { path: 'context', after: `${prepared.contextLabel} (${prepared.files} files)` },
      ...(prepared.build.target ? [{ path: 'target', after: prepared.build.target }] : []),
      ...(prepared.layer ? [{ path: 'layer', after: prepared.layer.lines.filter((l) => !l.startsWith('#')).join(' · ') }] : []),
    ],
    request: Image.Build.request(build),
    dependsOn: [],
  })
  const push: PushInput = { image: prepared.localImage, repositoryUri: repo.uri as string, repositoryName: name, tag: prepared.tag }
  const pushId = b.add({
    id: 'image-push',
    action: 'create',
    resource: { type: 'ecr:image', name: `${name}:${prepared.tag}` },
    reason: 'pushed and pinned by digest',
    request: Image.Push.request(push),
    dependsOn: [buildId, ...repo.deps],
  })
  return { image: { ref: pushId, output: 'imageUri' }, deps: [pushId] }
}

/**
 * Destroy: this environment's tag is removed; the repository and its images are deleted when no other
 * environment's tag remains, and only when shipit made it (shipit:app).
 */
export function planImageDestroy(b: PartBuilder<Desired>, observed: ObservedEcr): void {
  const repo = observed.repository
  if (!repo) return
  const { app } = b.desired
  const env = b.desired.env + (b.desired.target === 'lambda' ? ' (lambda)' : '')
  if (!ownsRepository(repo.tags, app)) {
    b.keep(REPOSITORY, repo.name, 'not created by shipit (no shipit:app tag): kept')
    return
  }
  const others = repositoryEnvs(repo.tags).filter((e) => e !== env)
  if (others.length) {
    const key = usesKey(b.desired)
    if (key in repo.tags) {
      b.add({
        id: 'ecr-repository-tags',
        action: 'update',
        resource: { type: REPOSITORY, name: repo.name },
        reason: `environment ${env} no longer deploys from it`,
        changes: [{ path: `tags.${key}`, before: repo.tags[key] }],
        request: Ecr.UntagResource.request({ resourceArn: repo.arn, tagKeys: [key] }),
        dependsOn: [],
      })
    }
    b.keep(
      REPOSITORY,
      repo.name,
      `kept: environment${others.length === 1 ? '' : 's'} ${others.join(', ')} still deploy${others.length === 1 ? 's' : ''} from it`,
    )
    return
  }
  b.add({
    id: 'ecr-repository',
    action: 'delete',
    resource: { type: REPOSITORY, name: repo.name },
    reason: 'with its images (no other environment deploys from it)',
    request: Ecr.DeleteRepository.request({ repositoryName: repo.name, force: true }),
    dependsOn: [],
    okErrors: ['RepositoryNotFoundException'],
  })
}
