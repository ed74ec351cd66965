import { ExitCode, ShipitError } from '../errors.js'

/** The fields shipit reads from an SDK v3 service exception. */
interface AwsErrorLike {
  name?: string
  message?: string
  $metadata?: { httpStatusCode?: number; requestId?: string }
  $fault?: 'client' | 'server'
}

export function awsErrorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? ((err as AwsErrorLike).name ?? undefined) : undefined
}

export function isNotFound(err: unknown): boolean {
  const name = awsErrorName(err) ?? ''
  return (
    [
      'ResourceNotFoundException',
      'NoSuchEntityException',
      'NotFoundException',
      'NoSuchEntity',
      'ClusterNotFoundException',
      'ServiceNotFoundException',
    ].includes(name) || (err as AwsErrorLike)?.$metadata?.httpStatusCode === 404
  )
}

/** A read whose "not found" answer means absence: resolves to null then (or also for `alsoAbsent` errors). */
export async function orNullIfMissing<T>(read: Promise<T>, alsoAbsent: (err: unknown) => boolean = () => false): Promise<T | null> {
  try {
    return await read
  } catch (err) {
    if (isNotFound(err) || alsoAbsent(err)) return null
    throw err
  }
}

const CREDENTIAL_ERRORS = [
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]

const SUGGESTIONS: Record<string, string> = {
  AccessDenied: 'the credentials in use lack this permission: grant it to the role or user, or use --profile',
  AccessDeniedException: 'the credentials in use lack this permission: grant it to the role or user, or use --profile',
  ThrottlingException: 'AWS is throttling this account: run again in a minute',
  TooManyRequestsException: 'AWS is throttling this account: run again in a minute',
  ResourceConflictException: 'another change to this resource is in progress (a concurrent deploy?): run again when it is done',
  PreconditionFailedException: 'someone changed this resource since shipit read it (a concurrent deploy?): run again to plan from what is live now',
  TimeoutError: 'AWS did not answer in time: check the network or --endpoint-url, then run again',
}

export const NO_CREDENTIALS_HINTS = [
  'set AWS_PROFILE or pass --profile NAME (see `aws configure sso` or `aws configure`)',
  'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment',
  'in CI, use OIDC (e.g. aws-actions/configure-aws-credentials) rather than long-lived keys',
  'to only see a plan without AWS, run `shipit plan --offline`',
]

/** Turn an SDK error into a ShipitError that says what AWS said, in AWS's words, and what to do. */
export function translateAwsError(err: unknown, doing: string): ShipitError {
  if (err instanceof ShipitError) return err
  const e = (err ?? {}) as AwsErrorLike
  const name = e.name ?? 'Error'
  const message = (e.message ?? String(err)).trim()
  if (CREDENTIAL_ERRORS.includes(name)) {
    return new ShipitError('NoCredentials', `${doing}: AWS credentials are missing or not valid (${name}: ${firstLine(message)})`, {
      exitCode: ExitCode.Failure,
      source: 'user',
      suggestions: NO_CREDENTIALS_HINTS,
      cause: err,
    })
  }
  const status = e.$metadata?.httpStatusCode
  // a 200 with an error is an answer cut short (a timeout while reading it): its status says nothing
  const shownStatus = status && status >= 300 ? ` (HTTP ${status})` : ''
  return new ShipitError(name, `${doing}: ${name}${shownStatus}: ${firstLine(message)}`, {
    exitCode: ExitCode.Failure,
    source: 'aws',
    suggestions: SUGGESTIONS[name] ? [SUGGESTIONS[name]] : [],
    details: { awsError: name, httpStatus: status, requestId: e.$metadata?.requestId },
    cause: err,
  })
}

/** The first line, without the SDK's internal package prefix ("@smithy/node-http-handler - …"). */
function firstLine(s: string): string {
  return s.split('\n')[0].replace(/^@(smithy|aws-sdk)\/[\w-]+ - /, '')
}
