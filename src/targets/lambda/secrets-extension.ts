import { invalid } from '../../errors.js'
import type { TrackedSecret } from '../secret-versions.js'

/**
 * The AWS Parameters and Secrets Lambda Extension: a layer AWS publishes in each region, per
 * architecture, that serves the function its parameters and secrets over HTTP on localhost, read
 * with the function's own role when the function asks — shipit never holds a value.
 *
 * Layer ARNs pinned at version 11 of the layer (extension 1.0.x), from AWS's table "AWS Parameters
 * and Secrets Lambda Extension ARNs" in the Systems Manager User Guide
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html#ps-integration-lambda-extensions-add),
 * as read on 2026-12-05 and cross-checked against public infrastructure code that pins the same ARNs.
 * The layer is published by one AWS account per region, the same for both architectures (the arm64
 * layer's name ends in -Arm64). A region missing here is refused with a clear error: use
 * `function.secretsVia: arn` there, or add the region's row from AWS's table.
 */
const EXTENSION_TABLE_SOURCE = 'AWS Systems Manager User Guide, "AWS Parameters and Secrets Lambda Extension ARNs", read 2026-12-05'
const EXTENSION_LAYER_VERSION = 11

const PUBLISHERS: Record<string, { account: string; arm64: boolean }> = {
  'us-east-1': { account: '177933569100', arm64: true },
  'us-east-2': { account: '590474943231', arm64: true },
  'us-west-1': { account: '997803712105', arm64: true },
  'us-west-2': { account: '345057560386', arm64: true },
  'eu-west-1': { account: '015030872274', arm64: true },
  'eu-west-2': { account: '133256977650', arm64: true },
  'eu-west-3': { account: '780235371811', arm64: true },
  'eu-central-1': { account: '187925254637', arm64: true },
  'ap-northeast-1': { account: '133490724326', arm64: true },
  'ap-southeast-1': { account: '044395824272', arm64: true },
  'ap-southeast-2': { account: '665172237481', arm64: true },
  'sa-east-1': { account: '933737806257', arm64: true },
  'me-south-1': { account: '832021897121', arm64: true },
  'me-central-1': { account: '858974508948', arm64: true },
  'us-gov-east-1': { account: '129776340158', arm64: false },
  'us-gov-west-1': { account: '127562683043', arm64: false },
}

/** The port the extension listens on (its default, set explicitly so the function's code can read it). */
const EXTENSION_PORT = '2773'

/** The pinned layer for a region and architecture; a clear error (exit 3) where AWS's table has none in it. */
export function extensionLayerArn(region: string, architecture: string): string {
  const publisher = PUBLISHERS[region]
  if (!publisher || (architecture === 'arm64' && !publisher.arm64))
    throw invalid(
      'NoSecretsExtension',
      `shipit knows no AWS Parameters and Secrets Lambda Extension layer for ${region} (${architecture}): its table (${EXTENSION_TABLE_SOURCE}) lists ${Object.keys(PUBLISHERS).join(', ')}`,
      [
        'set function.secretsVia: arn — the function then gets each secret ARN in SHIPIT_SECRET_<NAME> and reads it with the AWS SDK',
        ...(architecture === 'arm64' && publisher ? ['or use function.architecture: x86_64'] : []),
      ],
    )
  const partition = region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
  const name = `AWS-Parameters-and-Secrets-Lambda-Extension${architecture === 'arm64' ? '-Arm64' : ''}`
  return `arn:${partition}:lambda:${region}:${publisher.account}:layer:${name}:${EXTENSION_LAYER_VERSION}`
}

/** The record of the versions the function was configured with: a rotation changes it, so a new version is published. */
export const SECRET_VERSIONS_VARIABLE = 'SHIPIT_SECRETS_VERSIONS'

/**
 * The variables that tell the function where each secret is (the contract its code sees):
 *   SHIPIT_SECRET_<NAME>           the ARN (every form, as before issue 24)
 *   SHIPIT_SECRET_<NAME>_JSON_KEY  the key of a JSON secret (secretsmanager:NAME#key)
 *   SHIPIT_SECRET_<NAME>_URL       with the extension: GET it with the header
 *                                  X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN; the answer is
 *                                  GetParameter's (Parameter.Value) or GetSecretValue's (SecretString) JSON
 *   PARAMETERS_SECRETS_EXTENSION_HTTP_PORT  the extension's port (2773)
 *   SHIPIT_SECRETS_VERSIONS        NAME=VERSION pairs: what was deployed, never a value
 */
export function secretVariables(tracked: TrackedSecret[], viaExtension: boolean): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const t of tracked) {
    vars[`SHIPIT_SECRET_${t.key}`] = t.arn
    if (t.jsonKey) vars[`SHIPIT_SECRET_${t.key}_JSON_KEY`] = t.jsonKey
    if (viaExtension) vars[`SHIPIT_SECRET_${t.key}_URL`] = extensionUrl(t)
  }
  if (viaExtension && tracked.length) vars.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = EXTENSION_PORT
  return vars
}

function extensionUrl(t: TrackedSecret): string {
  const base = `http://localhost:${EXTENSION_PORT}`
  if (t.store === 'ssm') return `${base}/systemsmanager/parameters/get?name=${encodeURIComponent(t.name)}&withDecryption=true`
  const version = t.versionId ? `&versionId=${encodeURIComponent(t.versionId)}` : t.versionStage ? `&versionStage=${encodeURIComponent(t.versionStage)}` : ''
  return `${base}/secretsmanager/get?secretId=${encodeURIComponent(t.arn)}${version}`
}

/** The extension's layers in a region (both architectures where published): what a deployer may add to its function. */
export function extensionLayerArns(region: string): string[] {
  const publisher = PUBLISHERS[region]
  if (!publisher) return []
  return [extensionLayerArn(region, 'x86_64'), ...(publisher.arm64 ? [extensionLayerArn(region, 'arm64')] : [])]
}
