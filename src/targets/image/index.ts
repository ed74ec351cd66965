/** Container images built from source (container.build): hashed, built, pushed to ECR, pinned by digest. */
export { type ContainerCli, checkContainerCli, detectContainerCli, type ReadyContainerCli } from './cli.js'
export { contextHash, imageTag, type Platform, platformFor, TAG_LENGTH } from './context.js'
export { nothingEcr, type ObservedEcr, observeEcr, planImage, planImageDestroy, planRepository } from './ecr.js'
export {
  type BuildInput,
  type BuildOutput,
  buildImage,
  buildPlatformOf,
  type ContainerOperationContext,
  containerRunbook,
  loginToEcr,
  type PushInput,
  type PushOutput,
  pushImage,
  runContainerOperation,
} from './operations.js'
export { type PreparedImage, prepareImage, repositoryName } from './prepare.js'
