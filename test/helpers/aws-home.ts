/** Temporary aws CLI homes for credential and region tests: config, credentials and the SSO token cache. */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface AwsHome {
  home: string
  config: string
  credentials: string
}

/** A HOME with ~/.aws/config, ~/.aws/credentials and SSO cache entries (file name: sha1 of the session name or start URL). */
export function awsHome(files: { config?: string; credentials?: string; ssoCache?: Record<string, object> } = {}): AwsHome {
  const home = mkdtempSync(join(tmpdir(), 'shipit-aws-home-'))
  const aws = join(home, '.aws')
  mkdirSync(join(aws, 'sso', 'cache'), { recursive: true })
  const config = join(aws, 'config')
  const credentials = join(aws, 'credentials')
  if (files.config !== undefined) writeFileSync(config, files.config)
  if (files.credentials !== undefined) writeFileSync(credentials, files.credentials)
  for (const [key, token] of Object.entries(files.ssoCache ?? {})) {
    writeFileSync(join(aws, 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`), JSON.stringify(token))
  }
  return { home, config, credentials }
}

export const SSO_CONFIG = `[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Deployer
region = eu-west-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = Deployer

[profile regiononly]
region = eu-west-1
`

/** What `aws sso login` leaves in the cache, an hour after it expired. */
export const EXPIRED_TOKEN = { accessToken: 'expired-access-token', expiresAt: new Date(Date.now() - 3600_000).toISOString(), region: 'eu-west-1' }
