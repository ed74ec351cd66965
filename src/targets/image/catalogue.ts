import { awsOperation, type Catalogue, localOperation } from '../../plan/catalogue.js'
import { anyResource, localPermission, type Need, on, type Permission, type PolicyUse, permission, READ, regional } from '../../plan/permissions.js'
import { BEFORE_2020 } from '../cli-versions.js'
import { DELETE, OLD_COMMAND, TAG, UPDATE } from '../shared-catalogue.js'
import { type BuildInput, containerRunbook, type PushInput } from './operations.js'

/**
 * The operations of an image built from source: the ECR repository and the two local steps (build and
 * push), shared by every target that deploys images. An image is addressed by the content hash of its
 * build context, so building and pushing it again changes nothing.
 */

export const Ecr = {
  CreateRepository: awsOperation('ecr', 'CreateRepository', {
    idempotency: { kind: 'single', why: 'a second create answers RepositoryAlreadyExistsException instead of making another' },
    runbook: OLD_COMMAND,
  }),
  PutLifecyclePolicy: awsOperation('ecr', 'PutLifecyclePolicy', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  PutImageScanningConfiguration: awsOperation('ecr', 'PutImageScanningConfiguration', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  PutImageTagMutability: awsOperation('ecr', 'PutImageTagMutability', { idempotency: UPDATE, runbook: OLD_COMMAND }),
  TagResource: awsOperation('ecr', 'TagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  UntagResource: awsOperation('ecr', 'UntagResource', { idempotency: TAG, runbook: OLD_COMMAND }),
  DeleteRepository: awsOperation('ecr', 'DeleteRepository', { idempotency: DELETE, runbook: OLD_COMMAND }),
}

/** The local steps: `docker build`, and `docker push` with `aws ecr get-login-password` and `describe-images`. */
export const Image = {
  Build: localOperation<BuildInput>('container', 'Build', {
    idempotency: { kind: 'natural', why: 'the image is tagged by the hash of its build context' },
    script: (step, refs) => containerRunbook(step.request, refs.region, refs),
  }),
  Push: localOperation<PushInput>('container', 'Push', {
    idempotency: { kind: 'natural', why: 'pushing an image the registry has changes nothing' },
    script: (step, refs) => containerRunbook(step.request, refs.region, refs),
    scriptCli: BEFORE_2020,
  }),
}

/** The reads of the repository and its images, and the token of `docker login`. */
const EcrReads = {
  DescribeRepositories: awsOperation('ecr', 'DescribeRepositories', { read: true }),
  DescribeImages: awsOperation('ecr', 'DescribeImages', { read: true }),
  GetLifecyclePolicy: awsOperation('ecr', 'GetLifecyclePolicy', { read: true }),
  ListTagsForResource: awsOperation('ecr', 'ListTagsForResource', { read: true }),
  GetAuthorizationToken: awsOperation('ecr', 'GetAuthorizationToken', { read: true }),
}

/** The app's repository, `shipit/<app>`. */
const REPOSITORY = regional(
  'ecr',
  (name) => `repository/${name}`,
  (scope) => [`shipit/${scope.app}`],
)
const repo = (i: { repositoryName?: string }) => i.repositoryName
const DEPLOY: PolicyUse[] = ['deploy']

const IMAGE_PERMISSIONS: Permission[] = [
  // a create with tags needs ecr:TagResource too
  permission(Ecr.CreateRepository, DEPLOY, on(REPOSITORY, 'ecr:CreateRepository', repo), on(REPOSITORY, 'ecr:TagResource', repo)),
  permission(Ecr.PutLifecyclePolicy, DEPLOY, on(REPOSITORY, 'ecr:PutLifecyclePolicy', repo)),
  permission(Ecr.PutImageScanningConfiguration, DEPLOY, on(REPOSITORY, 'ecr:PutImageScanningConfiguration', repo)),
  permission(Ecr.PutImageTagMutability, DEPLOY, on(REPOSITORY, 'ecr:PutImageTagMutability', repo)),
  permission(
    Ecr.TagResource,
    ['deploy', 'destroy'],
    on(REPOSITORY, 'ecr:TagResource', (i) => i.resourceArn),
  ),
  permission(
    Ecr.UntagResource,
    ['deploy', 'destroy'],
    on(REPOSITORY, 'ecr:UntagResource', (i) => i.resourceArn),
  ),
  permission(Ecr.DeleteRepository, ['destroy'], on(REPOSITORY, 'ecr:DeleteRepository', repo)),
  permission(
    EcrReads.DescribeRepositories,
    READ,
    on(REPOSITORY, 'ecr:DescribeRepositories', (i) => i.repositoryNames?.[0]),
  ),
  permission(EcrReads.DescribeImages, READ, on(REPOSITORY, 'ecr:DescribeImages', repo)),
  permission(EcrReads.GetLifecyclePolicy, READ, on(REPOSITORY, 'ecr:GetLifecyclePolicy', repo)),
  permission(
    EcrReads.ListTagsForResource,
    READ,
    on(REPOSITORY, 'ecr:ListTagsForResource', (i) => i.resourceArn),
  ),
  // the registry's token is not for one repository
  permission(EcrReads.GetAuthorizationToken, DEPLOY, anyResource('ecr:GetAuthorizationToken')),
  // docker push: the registry API's actions on the repository (docker build sends nothing to AWS)
  localPermission<PushInput>(
    Image.Push,
    DEPLOY,
    anyResource('ecr:GetAuthorizationToken'),
    ...[
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
      'ecr:BatchGetImage',
    ].map((action) => on(REPOSITORY, action, (i: PushInput) => i.repositoryName)),
  ),
  localPermission<BuildInput>(Image.Build, DEPLOY),
]

/** `<account>.dkr.ecr.<region>.amazonaws.com/shipit/<app>@sha256:…` → `shipit/<app>`. */
const repositoryOfUri = (uri: unknown): string | undefined => (typeof uri === 'string' ? /^[^/]+\/([^@:]+)/.exec(uri)?.[1] : undefined)

/**
 * What a Lambda image function's create or code update needs of the deployer besides the Lambda action:
 * Lambda reads the image from ECR with the caller's permissions (ecr:BatchGetImage,
 * ecr:GetDownloadUrlForLayer on the repository), and, when the repository's policy does not yet let
 * the Lambda service pull, adds that statement itself, with the caller's ecr:GetRepositoryPolicy and
 * ecr:SetRepositoryPolicy (Lambda developer guide, "Amazon ECR permissions" of container images). The
 * execution role needs none of them for an image in the same account.
 */
export function lambdaImagePull<I extends { Code?: { ImageUri?: string }; ImageUri?: string }>(): Need<I>[] {
  const uri = (i: I) => i.Code?.ImageUri ?? i.ImageUri
  return ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetRepositoryPolicy', 'ecr:SetRepositoryPolicy'].map((action) => ({
    ...on(REPOSITORY, action, (i: I) => repositoryOfUri(uri(i))),
    when: (i: I) => Boolean(uri(i)),
  }))
}

export const IMAGE_CATALOGUE: Partial<Catalogue> = {
  operations: [...Object.values(Ecr), ...Object.values(Image), ...Object.values(EcrReads)],
  permissions: IMAGE_PERMISSIONS,
}
