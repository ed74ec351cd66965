/**
 * Credentials: a configured source that fails is an error with its cause and its fix, never an
 * offline plan. In-process, the real SDK providers run against temporary config files, a temporary
 * HOME (with its SSO token cache) and, for web identity, a loopback STS; nothing reaches AWS.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { configuredCredentialSource, needsCredentials } from '../../src/aws/credentials.js'
import type { ShipitError } from '../../src/errors.js'
import { type AwsHome, awsHome, EXPIRED_TOKEN, SSO_CONFIG } from '../helpers/aws-home.js'
import { awsError, type LoopbackStub, queryOk, startStub } from '../helpers/loopback.js'

const KEYS = [
  'HOME',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ENDPOINT_URL_STS',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_EC2_METADATA_DISABLED',
]
const saved: Record<string, string | undefined> = {}
beforeAll(() => {
  for (const k of KEYS) saved[k] = process.env[k]
})
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

/** Only these variables (and a HOME), as on a fresh machine. */
function environment(home: AwsHome, vars: Record<string, string> = {}): void {
  for (const k of KEYS) delete process.env[k]
  process.env.HOME = home.home
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  Object.assign(process.env, vars)
}

async function status(profile?: string): Promise<string | ShipitError> {
  const clients = new AwsClients({ region: 'eu-west-1', profile })
  try {
    return await clients.credentialStatus()
  } catch (err) {
    return err as ShipitError
  } finally {
    clients.destroy()
  }
}

describe('nothing configured: the only case that may plan offline', () => {
  it("no variables, no files → 'none'", async () => {
    environment(awsHome())
    expect(await status()).toBe('none')
  })
  it("a config file with only a region in [default] → 'none' (it holds no credentials)", async () => {
    environment(awsHome({ config: '[default]\nregion = eu-west-1\n' }))
    expect(await status()).toBe('none')
  })
  it('the one "needs credentials" error says how to provide them, exit 1', () => {
    const err = needsCredentials('status reads what is live in AWS')
    expect(err.message).toBe('no AWS credentials found: status reads what is live in AWS')
    expect(err.exitCode).toBe(1)
    expect(err.suggestions.join('\n')).toContain('--profile')
  })
})

describe('a configured source that works', () => {
  it("static keys of a profile in AWS_SHARED_CREDENTIALS_FILE → 'ok'", async () => {
    const home = awsHome({ config: '[profile ci]\nregion = eu-west-1\n', credentials: '[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = secretci\n' })
    environment(awsHome(), { AWS_CONFIG_FILE: home.config, AWS_SHARED_CREDENTIALS_FILE: home.credentials })
    expect(await status('ci')).toBe('ok')
  })
  it("keys in the environment → 'ok'", async () => {
    environment(awsHome(), { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secretenv' })
    expect(await status()).toBe('ok')
  })
})

describe('a configured source that fails: exit 1, the cause and its fix', () => {
  it('a profile that is in neither file names itself, the file, and `aws configure --profile`', async () => {
    const home = awsHome({ config: SSO_CONFIG })
    environment(home)
    const err = (await status('nope')) as ShipitError
    expect(err.code).toBe('ProfileNotFound')
    expect(err.exitCode).toBe(1)
    expect(err.message).toBe(`profile nope is not in ${home.config} (nor in ${home.credentials})`)
    expect(err.suggestions[0]).toContain('aws configure --profile nope')
  })

  it('AWS_PROFILE counts as naming a profile, as --profile does', async () => {
    environment(awsHome({ config: SSO_CONFIG }), { AWS_PROFILE: 'nope' })
    expect(((await status()) as ShipitError).code).toBe('ProfileNotFound')
  })

  it('an SSO profile (sso_session) whose cached token expired → "has expired" and `aws sso login --profile dev`', async () => {
    environment(awsHome({ config: SSO_CONFIG, ssoCache: { corp: EXPIRED_TOKEN } }))
    const err = (await status('dev')) as ShipitError
    expect(err.code).toBe('SsoSessionExpired')
    expect(err.exitCode).toBe(1)
    expect(err.message).toBe('the SSO session of profile dev has expired')
    expect(err.suggestions[0]).toMatch(/^aws sso login --profile dev\b/)
    // the SDK's own words, matched by the translation (token-providers: "…Cannot refresh. To refresh this SSO session run 'aws sso login'…")
    expect(String((err.cause as Error).message)).toMatch(/aws sso login/)
  })

  it('a legacy SSO profile (sso_start_url) whose cached token expired → the same', async () => {
    environment(awsHome({ config: SSO_CONFIG, ssoCache: { 'https://legacy.awsapps.com/start': EXPIRED_TOKEN } }))
    const err = (await status('legacy')) as ShipitError
    expect(err.code).toBe('SsoSessionExpired')
    expect(err.suggestions[0]).toMatch(/^aws sso login --profile legacy\b/)
  })

  it('an SSO profile never logged in on this machine (no cached token) → `aws sso login`', async () => {
    environment(awsHome({ config: SSO_CONFIG }))
    const err = (await status('dev')) as ShipitError
    expect(err.code).toBe('SsoNotLoggedIn')
    expect(err.message).toMatch(/^profile dev has no SSO session on this machine/)
    expect(err.suggestions).toEqual(['aws sso login --profile dev'])
  })

  it('a profile that holds no credentials (only a region) says so', async () => {
    const home = awsHome({ config: SSO_CONFIG })
    environment(home)
    const err = (await status('regiononly')) as ShipitError
    expect(err.code).toBe('ProfileWithoutCredentials')
    expect(err.message).toContain(`profile regiononly in ${home.config} holds no credentials`)
  })

  it('AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY', async () => {
    environment(awsHome(), { AWS_ACCESS_KEY_ID: 'AKIDHALF' })
    const err = (await status()) as ShipitError
    expect(err.code).toBe('IncompleteKeys')
    expect(err.message).toBe('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not')
  })

  it('a web identity token file that does not exist', async () => {
    environment(awsHome(), { AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/oidc-token', AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci' })
    const err = (await status()) as ShipitError
    expect(err.code).toBe('WebIdentityTokenUnreadable')
    expect(err.message).toBe('the web identity token file /nonexistent/oidc-token (AWS_WEB_IDENTITY_TOKEN_FILE) does not exist')
    expect(err.suggestions[0]).toContain('id-token: write')
  })

  it('a web identity token file that is empty, or no AWS_ROLE_ARN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-oidc-'))
    writeFileSync(join(dir, 'empty'), '')
    writeFileSync(join(dir, 'token'), 'eyJ.token.sig')
    environment(awsHome(), { AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'empty'), AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci' })
    expect(((await status()) as ShipitError).code).toBe('WebIdentityTokenEmpty')
    environment(awsHome(), { AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token') })
    expect(((await status()) as ShipitError).code).toBe('WebIdentityNoRole')
  })

  describe('a web identity token that AWS STS refuses', () => {
    let sts: LoopbackStub
    beforeAll(async () => {
      sts = await startStub((req) =>
        req.operation === 'AssumeRoleWithWebIdentity'
          ? awsError(req, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')
          : queryOk(req, ''),
      )
    })
    afterAll(() => sts.close())

    it("names the token file and the role, in STS's words, with the trust policy to check", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shipit-oidc-'))
      writeFileSync(join(dir, 'token'), 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWYifQ.c2ln')
      environment(awsHome(), {
        AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
        AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci',
        AWS_ENDPOINT_URL_STS: sts.url,
      })
      const err = (await status()) as ShipitError
      expect(sts.requests.map((r) => r.operation)).toContain('AssumeRoleWithWebIdentity')
      expect(err.code).toBe('WebIdentityRefused')
      expect(err.message).toBe(
        `AWS STS refused the web identity token in ${join(dir, 'token')} for role arn:aws:iam::123456789012:role/ci: Not authorized to perform sts:AssumeRoleWithWebIdentity`,
      )
      expect(err.suggestions[0]).toContain('trust policy')
    })
  })
})

describe('which source the SDK would use', () => {
  it('a named profile first, then keys, then a [default] with credentials, then web identity, then container', async () => {
    const home = awsHome({ config: '[default]\nregion = x\n', credentials: '[default]\naws_access_key_id = A\naws_secret_access_key = B\n' })
    const base = { HOME: home.home }
    const all = {
      ...base,
      AWS_PROFILE: 'p',
      AWS_ACCESS_KEY_ID: 'A',
      AWS_SECRET_ACCESS_KEY: 'B',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/t',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/c',
    }
    expect((await configuredCredentialSource(undefined, all))?.kind).toBe('profile')
    expect((await configuredCredentialSource(undefined, { ...all, AWS_PROFILE: '' }))?.kind).toBe('environment')
    expect(await configuredCredentialSource(undefined, { ...base, AWS_WEB_IDENTITY_TOKEN_FILE: '/t' })).toMatchObject({ kind: 'profile', profile: 'default' })
    const bare = { HOME: awsHome().home }
    expect(
      (await configuredCredentialSource(undefined, { ...bare, AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/c' }))?.kind,
    ).toBe('web-identity')
    expect((await configuredCredentialSource(undefined, { ...bare, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/c' }))?.kind).toBe('container')
    expect(await configuredCredentialSource(undefined, bare)).toBeUndefined()
  })
})
