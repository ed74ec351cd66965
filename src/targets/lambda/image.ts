import type { LambdaDesired, LambdaImageDesired } from '../../manifest/resolve.js'
import type { Ref } from '../../plan/types.js'
import { platformFor } from '../image/context.js'
import { type ObservedEcr, planImage } from '../image/ecr.js'
import { adapterLines, lambdaImageHash } from '../image/lambda-adapter.js'
import { hashBuild, type ListedBuild, listBuild, type PreparedImage, repositoryName } from '../image/prepare.js'
import type { PartBuilder } from '../part.js'

/**
 * The image of a Lambda image function: the app's image (built from container.build, or
 * container.image from a registry) with the Lambda Web Adapter on top, built by the container CLI into
 * the app's ECR repository and tagged with the hash of what it is made of (lambdaImageHash). The image
 * pipeline of the container targets does the work (src/targets/image/): the same fence and listing
 * of the build context, the same repository, build and push steps; only the layer is added.
 */

/** Lambda refuses an image above 10 GB (uncompressed, all layers). */
const LAMBDA_MAX_IMAGE_BYTES = 10 * 1024 ** 3

type ImageFunction = LambdaDesired & { image: LambdaImageDesired }

const listed = new WeakMap<LambdaDesired, Promise<ListedBuild | null>>()
const prepared = new WeakMap<LambdaDesired, Promise<PreparedImage>>()

const sourceOf = (desired: ImageFunction) => ({ app: desired.app, dir: desired.dir, container: desired.image.container })

/** The build context listed and fenced (exit 3 before any AWS call), once per resolved app; null for container.image. */
export function listedLambdaBuild(desired: ImageFunction): Promise<ListedBuild | null> {
  let found = listed.get(desired)
  if (!found) {
    found = listBuild(sourceOf(desired))
    listed.set(desired, found)
  }
  return found
}

/** What the plan builds, and the tag observe looks up in ECR: computed once per resolved app, shared by prepare and observe. */
export function lambdaImageOf(desired: ImageFunction): Promise<PreparedImage> {
  let found = prepared.get(desired)
  if (!found) {
    found = listedLambdaBuild(desired).then((build) => prepareLambdaImage(desired, build))
    prepared.set(desired, found)
  }
  return found
}

async function prepareLambdaImage(desired: ImageFunction, build: ListedBuild | null): Promise<PreparedImage> {
  const { container, port, healthPath } = desired.image
  const platform = platformFor(container.architecture)
  const lines = adapterLines(port, healthPath)
  const name = repositoryName(desired.app)
  if (build) {
    const source = await hashBuild(sourceOf(desired), build)
    const { tag } = lambdaImageHash({ base: { contextSha256: source.contextSha256 ?? '' }, port, healthPath, platform })
    return { ...source, tag, localImage: `${name}:${tag}`, layer: { lines }, maxBytes: LAMBDA_MAX_IMAGE_BYTES }
  }
  const from = container.image
  if (!from) throw new Error('an image function without container.image or container.build')
  const { tag } = lambdaImageHash({ base: { image: from }, port, healthPath, platform })
  return {
    repositoryName: name,
    tag,
    localImage: `${name}:${tag}`,
    build: { args: {}, platform },
    layer: { from, lines },
    maxBytes: LAMBDA_MAX_IMAGE_BYTES,
    contextLabel: from,
    files: 0,
    bytes: 0,
  }
}

/**
 * The repository, and the image pinned by digest: already in ECR (no build, no push), or built and
 * pushed by this plan (a reference to the push's `repo@sha256:…`). An image ECR says is above Lambda's
 * 10 GB is refused before any change.
 */
export function planLambdaImage(
  b: PartBuilder<LambdaDesired>,
  observed: ObservedEcr,
  image: PreparedImage,
  desired: ImageFunction,
): { imageUri: string | Ref; deps: string[] } {
  const size = observed.image?.sizeBytes
  if (size !== undefined && size > LAMBDA_MAX_IMAGE_BYTES) {
    b.blocked.push({
      resource: { type: 'ecr:image', name: `${image.repositoryName}:${image.tag}` },
      reason: `is ${(size / 1024 ** 3).toFixed(1)} GiB in ECR (compressed); Lambda runs images of at most 10 GB: make the image smaller, or stay on fargate`,
    })
  }
  const planned = planImage(b, observed, image, desired.image.container)
  return { imageUri: planned.image, deps: planned.deps }
}
