import { createHash } from 'node:crypto'
import { canonicalJson } from '../../digest.js'
import { imageTag } from './context.js'

/**
 * The AWS Lambda Web Adapter (github.com/awslabs/aws-lambda-web-adapter): a Lambda extension that
 * turns each invocation into an HTTP request to the app's own server, so an unchanged web app runs as
 * a Lambda image function. Added to the image as its README says: one COPY of `/lambda-adapter` into
 * `/opt/extensions/`, with AWS_LWA_PORT (where the server listens) and AWS_LWA_READINESS_CHECK_PATH
 * (what must answer before the first request is sent).
 *
 * Pinned by version AND digest: a tag can be moved, a digest cannot.
 *
 * !!! THE DIGEST WAS NOT READ FROM THE ADAPTER'S OWN REPOSITORY OR REGISTRY. !!!
 * The version is the latest stable release of awslabs/aws-lambda-web-adapter (tag v0.9.1, 2025-04-23;
 * v1.0.0-rc1 is a release candidate). The repository publishes no digest. The digest below is the
 * one that independent public Dockerfiles pin for `aws-lambda-adapter:0.9.1` (the multi-arch index;
 * the same value in several unrelated projects); this machine cannot reach the registry to check it.
 * Before relying on it, check it with:
 *   docker buildx imagetools inspect public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1
 * A wrong digest fails the build ("not found"), it cannot pull other bytes.
 */
export const LAMBDA_WEB_ADAPTER = {
  repository: 'public.ecr.aws/awsguru/aws-lambda-adapter',
  version: '0.9.1',
  digest: 'sha256:46d6625e68cbbdd2efab4a20245977664513f13ffef47915b000d431adcea0b4',
} as const

/** `public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1@sha256:…`: what the generated Dockerfile copies from. */
const adapterImage = (adapter = LAMBDA_WEB_ADAPTER): string => `${adapter.repository}:${adapter.version}@${adapter.digest}`

/** A value of a Dockerfile ENV instruction, double-quoted (a path may hold spaces, quotes or `$`). */
const envValue = (value: string): string => `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`

/**
 * The lines shipit adds on top of the app's image for Lambda: the adapter extension and where it
 * finds the server. The image's own ENTRYPOINT/CMD still start the server.
 */
export function adapterLines(port: number, healthPath: string, adapter = LAMBDA_WEB_ADAPTER): string[] {
  return [
    `# shipit: the AWS Lambda Web Adapter ${adapter.version}, which hands each request to the server on port ${port}`,
    `COPY --from=${adapterImage(adapter)} /lambda-adapter /opt/extensions/lambda-adapter`,
    `ENV AWS_LWA_PORT=${envValue(String(port))} AWS_LWA_READINESS_CHECK_PATH=${envValue(healthPath)}`,
  ]
}

/** Version of the hash's input layout: bumping it rebuilds every Lambda image once. */
const LAMBDA_IMAGE_LAYOUT = 'shipit-lambda-image/1'

/**
 * The tag of a Lambda image: a hash of what it is made of — the user's image reference or the hash of
 * the build context, the adapter (version and digest), the port, the readiness path and the platform.
 * Unchanged input finds its image in ECR: no build, no push.
 */
export function lambdaImageHash(input: { base: { image: string } | { contextSha256: string }; port: number; healthPath: string; platform: string }): {
  sha256: string
  tag: string
} {
  const sha256 = createHash('sha256')
    .update(canonicalJson({ layout: LAMBDA_IMAGE_LAYOUT, ...input, adapter: { version: LAMBDA_WEB_ADAPTER.version, digest: LAMBDA_WEB_ADAPTER.digest } }))
    .digest('hex')
  return { sha256, tag: `lambda-${imageTag(sha256)}` }
}
