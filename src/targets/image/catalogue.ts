import { awsOperation, type Catalogue, localOperation } from '../../plan/catalogue.js'
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

export const IMAGE_CATALOGUE: Partial<Catalogue> = { operations: [...Object.values(Ecr), ...Object.values(Image)] }
