import { readFileSync } from 'node:fs'
import { ExitCode, ShipitError } from '../errors.js'
import { timeoutError } from './bounds.js'
import { NO_CREDENTIALS_HINTS } from './errors.js'
import { type ProfileSettings, readProfile, type SharedFiles, sharedFiles } from './shared-config.js'

/**
 * The credential source the SDK's default chain would use, in the chain's order: a named profile
 * (--profile or AWS_PROFILE), keys in the environment, the default profile when it holds
 * credentials, a web identity token (OIDC in CI), container credentials. Instance roles are not
 * listed: an EC2 host without a role is not a configuration the user made.
 */
type CredentialSource =
  | { kind: 'profile'; profile: string; settings?: ProfileSettings; files: SharedFiles }
  | { kind: 'environment' }
  | { kind: 'web-identity'; tokenFile: string; roleArn?: string }
  | { kind: 'container'; variable: string; uri: string }

/** Profile keys by which a profile yields credentials (the aws CLI's own list). */
const PROFILE_CREDENTIAL_KEYS = [
  'aws_access_key_id',
  'sso_session',
  'sso_start_url',
  'role_arn',
  'credential_process',
  'web_identity_token_file',
  'login_session',
]

export async function configuredCredentialSource(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CredentialSource | undefined> {
  const files = sharedFiles(env)
  const named = profile || env.AWS_PROFILE
  if (named) return { kind: 'profile', profile: named, settings: await readProfile(named, files), files }
  if (env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY) return { kind: 'environment' }
  const defaults = await readProfile('default', files)
  if (defaults && PROFILE_CREDENTIAL_KEYS.some((k) => defaults[k])) return { kind: 'profile', profile: 'default', settings: defaults, files }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return { kind: 'web-identity', tokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE, roleArn: env.AWS_ROLE_ARN || undefined }
  for (const variable of ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
    const uri = env[variable]
    if (uri) return { kind: 'container', variable, uri }
  }
  return undefined
}

export type CredentialStatus = 'ok' | 'none'

/**
 * Whether AWS can be reached with credentials. 'none' only when no source is configured at all (and
 * the chain, which may still find an instance role, finds nothing); a configured source that fails
 * throws its cause and its fix (exit 1): it must never turn into an offline plan.
 */
export async function checkCredentials(
  profile: string | undefined,
  loadCredentials: () => Promise<unknown>,
  options: { env?: NodeJS.ProcessEnv; mayUseInstanceRole?: boolean; timeoutMs?: number } = {},
): Promise<CredentialStatus> {
  const env = options.env ?? process.env
  const source = await configuredCredentialSource(profile, env)
  if (!source && !options.mayUseInstanceRole) return 'none'
  if (source) {
    const wrong = precheck(source, env)
    if (wrong) throw wrong
  }
  let credentials: unknown
  let timer: NodeJS.Timeout | undefined
  try {
    const late = new Promise<never>((_, reject) => {
      if (options.timeoutMs)
        timer = setTimeout(() => reject(timeoutError(`no credentials after ${options.timeoutMs} ms`, 'CredentialsTimeout')), options.timeoutMs)
    })
    credentials = await Promise.race([loadCredentials(), late])
  } catch (err) {
    if (!source) return 'none'
    throw explainCredentialFailure(source, err)
  } finally {
    clearTimeout(timer)
  }
  if ((credentials as { accessKeyId?: string } | undefined)?.accessKeyId) return 'ok'
  if (!source) return 'none'
  throw explainCredentialFailure(source, new Error('the credential chain returned no access key'))
}

/** What can be told wrong without the SDK: a profile that is not there, a token file that cannot be read. */
function precheck(source: CredentialSource, env: NodeJS.ProcessEnv): ShipitError | undefined {
  switch (source.kind) {
    case 'profile': {
      const { profile, settings, files } = source
      if (!settings)
        return credentialsFailed('ProfileNotFound', `profile ${profile} is not in ${files.configFile} (nor in ${files.credentialsFile})`, [
          `create it: aws configure --profile ${profile}   (access keys)`,
          `or: aws configure sso --profile ${profile}   (IAM Identity Center)`,
          'or name another profile with --profile or AWS_PROFILE (`aws configure list-profiles` lists them)',
        ])
      if (!PROFILE_CREDENTIAL_KEYS.some((k) => settings[k]))
        return credentialsFailed(
          'ProfileWithoutCredentials',
          `profile ${profile} in ${files.configFile} holds no credentials (${PROFILE_CREDENTIAL_KEYS.join(', ')})`,
          [`add them: aws configure --profile ${profile}, or aws configure sso --profile ${profile}`],
        )
      return undefined
    }
    case 'environment':
      if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
        return credentialsFailed(
          'IncompleteKeys',
          `${env.AWS_ACCESS_KEY_ID ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set but ${env.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not`,
          ['set both (and AWS_SESSION_TOKEN for temporary keys), or unset them and use a profile'],
        )
      return undefined
    case 'web-identity': {
      let token = ''
      try {
        token = readFileSync(source.tokenFile, 'utf8').trim()
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`
        return credentialsFailed(
          'WebIdentityTokenUnreadable',
          `the web identity token file ${source.tokenFile} (AWS_WEB_IDENTITY_TOKEN_FILE) ${why}`,
          WEB_IDENTITY_HINTS,
        )
      }
      if (!token)
        return credentialsFailed(
          'WebIdentityTokenEmpty',
          `the web identity token file ${source.tokenFile} (AWS_WEB_IDENTITY_TOKEN_FILE) is empty`,
          WEB_IDENTITY_HINTS,
        )
      if (!source.roleArn)
        return credentialsFailed('WebIdentityNoRole', 'AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: there is no role to assume', [
          'set AWS_ROLE_ARN to the role that trusts this identity provider',
        ])
      return undefined
    }
    case 'container':
      return undefined
  }
}

const WEB_IDENTITY_HINTS = [
  'in GitHub Actions: give the job `permissions: id-token: write` and use aws-actions/configure-aws-credentials with role-to-assume',
  'elsewhere: point AWS_WEB_IDENTITY_TOKEN_FILE at the OIDC token your CI writes, or unset it',
]

/**
 * The SDK's SSO providers (@aws-sdk/credential-provider-sso, @aws-sdk/token-providers) end with
 * these messages when the cached login is missing or expired; all of them mean `aws sso login`.
 */
const SSO_EXPIRED = [
  /The SSO session associated with this profile has expired/,
  /Token is expired\. To refresh this SSO session/,
  /Value not present for '\w+' in SSO Token\. Cannot refresh/,
  /Session token not found or invalid/, // GetRoleCredentials: UnauthorizedException after a logout or revocation
]
const SSO_NOT_LOGGED_IN = [
  /The SSO session associated with this profile is invalid/,
  /The SSO session token associated with profile=\S+ was not found or is invalid/,
  /Value not present for '(accessToken|expiresAt)' in SSO Token/,
]

/** A configured source failed in the SDK: say which, why, and the command that fixes it. */
function explainCredentialFailure(source: CredentialSource, err: unknown): ShipitError {
  const message = firstLine(err)
  switch (source.kind) {
    case 'profile': {
      const { profile } = source
      const login = `aws sso login --profile ${profile}`
      if (SSO_NOT_LOGGED_IN.some((re) => re.test(message)))
        return credentialsFailed('SsoNotLoggedIn', `profile ${profile} has no SSO session on this machine (${message})`, [login], err)
      if (SSO_EXPIRED.some((re) => re.test(message)))
        return credentialsFailed('SsoSessionExpired', `the SSO session of profile ${profile} has expired`, [`${login}   then run the same command again`], err)
      return credentialsFailed(
        'ProfileFailed',
        `profile ${profile} gave no credentials: ${message}`,
        [`check it with: aws sts get-caller-identity --profile ${profile}`],
        err,
      )
    }
    case 'environment':
      return credentialsFailed(
        'EnvironmentKeysFailed',
        `the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY were not usable: ${message}`,
        ['check them with: aws sts get-caller-identity'],
        err,
      )
    case 'web-identity': {
      // an answer from STS has an HTTP status; without one, STS was never reached
      const answered = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode !== undefined
      if (!answered)
        return credentialsFailed(
          'WebIdentityUnreachable',
          `could not reach AWS STS to exchange the web identity token in ${source.tokenFile}: ${message}`,
          ['check the network (and AWS_ENDPOINT_URL_STS or AWS_STS_REGIONAL_ENDPOINTS if set)'],
          err,
        )
      return credentialsFailed(
        'WebIdentityRefused',
        `AWS STS refused the web identity token in ${source.tokenFile} for role ${source.roleArn}: ${message}`,
        [
          "the role's trust policy must name this identity provider, and its aud/sub conditions must match the token (in GitHub Actions: the repository, branch or environment)",
          ...WEB_IDENTITY_HINTS.slice(0, 1),
        ],
        err,
      )
    }
    case 'container':
      return credentialsFailed(
        'ContainerCredentialsFailed',
        `the container credentials endpoint (${source.variable}) gave no credentials: ${message}`,
        ['this variable is set by ECS, EKS or CodeBuild; outside them, unset it'],
        err,
      )
  }
}

/** The one "this command needs credentials" error: nothing is configured at all. */
export function needsCredentials(why: string): ShipitError {
  return new ShipitError('NoCredentials', `no AWS credentials found: ${why}`, { exitCode: ExitCode.Failure, source: 'user', suggestions: NO_CREDENTIALS_HINTS })
}

function credentialsFailed(code: string, message: string, suggestions: string[], cause?: unknown): ShipitError {
  return new ShipitError(code, message, { exitCode: ExitCode.Failure, source: 'user', suggestions, cause })
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0].trim()
}
