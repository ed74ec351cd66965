/**
 * Region and credentials as a user and a CI pipeline meet them, through the built CLI: a configured
 * source that fails exits 1 with its cause and fix and never prints an offline plan; the region comes
 * from AWS_DEFAULT_REGION or the profile when nothing else names one, and reaches every request.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { awsHome, EXPIRED_TOKEN, SSO_CONFIG } from '../helpers/aws-home.js'
import { cleanEnv, type Run, shipit } from '../helpers/cli.js'
import { awsError, emptyAccount, type LoopbackStub, STUB_ACCOUNT, startStub } from '../helpers/loopback.js'
import { project } from '../helpers/session.js'

const MANIFEST = `name: hello
target: lambda
function:
  handler: index.handler
  runtime: nodejs22.x
`

let stub: LoopbackStub
let sts: LoopbackStub
const runs: Record<string, Promise<Run>> = {}

function cli(args: string[], vars: Record<string, string>, options: { home?: string } = {}): Promise<Run> {
  const dir = project(MANIFEST)
  const env = cleanEnv(vars)
  if (options.home) env.HOME = options.home
  return shipit([...args, '-f', join(dir, 'app.yaml')], { cwd: dir, env, timeoutMs: 30_000 })
}

beforeAll(async () => {
  stub = await startStub(emptyAccount, { maxRequests: 200 })
  sts = await startStub((req) => awsError(req, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'))
  const sso = awsHome({ config: SSO_CONFIG, ssoCache: { corp: EXPIRED_TOKEN } })
  const oidc = mkdtempSync(join(tmpdir(), 'shipit-oidc-'))
  writeFileSync(join(oidc, 'token'), 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWYifQ.c2ln')
  const keys = awsHome({
    config: '[profile deployer]\nregion = ap-southeast-2\n',
    credentials: '[deployer]\naws_access_key_id = AKIDPROFILEKEY\naws_secret_access_key = profile/secret/key\n',
  })
  const envKeys = { AWS_ACCESS_KEY_ID: 'AKIDENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'environment/secret' }
  runs.noProfile = cli(['plan', '--profile', 'nope', '--detailed-exitcode'], {}, { home: sso.home })
  runs.expiredSso = cli(['plan', '--detailed-exitcode'], { AWS_PROFILE: 'dev' }, { home: sso.home })
  runs.noTokenFile = cli(['plan', '--json'], { AWS_WEB_IDENTITY_TOKEN_FILE: join(oidc, 'missing'), AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci' })
  runs.stsRefused = cli(['deploy', '--yes', '--endpoint-url', stub.url], {
    AWS_WEB_IDENTITY_TOKEN_FILE: join(oidc, 'token'),
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ci',
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_REGION: 'us-west-2',
  })
  runs.defaultRegion = cli(['plan', '--endpoint-url', stub.url], { ...envKeys, AWS_DEFAULT_REGION: 'eu-west-1' })
  runs.profileRegion = cli(['plan', '--endpoint-url', stub.url, '--profile', 'deployer'], {
    AWS_CONFIG_FILE: keys.config,
    AWS_SHARED_CREDENTIALS_FILE: keys.credentials,
  })
  runs.nothing = cli(['plan'], {})
  for (const r of Object.values(runs)) r.catch(() => {})
}, 60_000)

afterAll(async () => {
  await stub.close()
  await sts.close()
})

/** Neither a plan nor the word offline: a failing source must never look like "nothing exists". */
function noOfflinePlan(run: Run): void {
  expect(run.stdout).not.toMatch(/Plan: \d+ to create/)
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/offline/)
  expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
}

describe('a configured credential source that fails: exit 1, cause and fix, no offline plan', () => {
  it('--profile nope (not in the config file): names the profile and the file, and `aws configure --profile nope`', async () => {
    const run = await runs.noProfile
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/^Error: profile nope is not in \S+\/\.aws\/config \(nor in \S+\/\.aws\/credentials\)/)
    expect(run.stderr).toContain('→ create it: aws configure --profile nope')
    noOfflinePlan(run)
  })

  it('AWS_PROFILE of an SSO profile whose session expired: `aws sso login --profile dev`', async () => {
    const run = await runs.expiredSso
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toContain('Error: the SSO session of profile dev has expired')
    expect(run.stderr).toContain('→ aws sso login --profile dev')
    noOfflinePlan(run)
  })

  it('a web identity token file that does not exist (a broken OIDC set-up in CI), with --json', async () => {
    const run = await runs.noTokenFile
    expect(run.code, run.stdout).toBe(1)
    const { error } = JSON.parse(run.stdout)
    expect(error.code).toBe('WebIdentityTokenUnreadable')
    expect(error.message).toMatch(/\(AWS_WEB_IDENTITY_TOKEN_FILE\) does not exist$/)
    expect(error.suggestions.join('\n')).toContain('id-token: write')
    noOfflinePlan(run)
  })

  it('deploy with a web identity token that STS refuses: exit 1 in STS words, and nothing is sent to the services', async () => {
    const run = await runs.stsRefused
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toMatch(
      /AWS STS refused the web identity token in \S+ for role arn:aws:iam::123456789012:role\/ci: Not authorized to perform sts:AssumeRoleWithWebIdentity/,
    )
    expect(sts.requests.map((r) => r.operation)).toContain('AssumeRoleWithWebIdentity')
    // the services' endpoint is shared with the region tests, whose requests carry their own keys: none came from this run
    expect(stub.requests.every((r) => /Credential=(AKIDENVIRONMENT|AKIDPROFILEKEY)\//.test(String(r.headers.authorization)))).toBe(true)
    noOfflinePlan(run)
  })
})

describe('the region reaches every request', () => {
  /** the regions of the credential scopes of every request signed with this key */
  const scopes = (keyId: string) =>
    new Set(
      stub.requests
        .filter((r) => String(r.headers.authorization).includes(`Credential=${keyId}/`))
        .map((r) => /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(r.headers.authorization))?.[1]),
    )

  it('with only AWS_DEFAULT_REGION set, plan works and every call is signed for that region; the header names region and account', async () => {
    const run = await runs.defaultRegion
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).not.toContain('Region is missing')
    expect(scopes('AKIDENVIRONMENT')).toEqual(new Set(['eu-west-1']))
    expect(run.stdout).toMatch(
      new RegExp(`^shipit deploy plan — app hello · env dev · target lambda · eu-west-1 · account ${STUB_ACCOUNT} · from app\\.yaml$`, 'm'),
    )
  })

  it('with a profile holding a region and static keys (temporary AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE), its keys sign for its region', async () => {
    const run = await runs.profileRegion
    expect(run.code, run.stderr).toBe(0)
    expect(scopes('AKIDPROFILEKEY')).toEqual(new Set(['ap-southeast-2']))
    expect(run.stdout).toContain('· ap-southeast-2 · account')
  })
})

describe('nothing configured at all', () => {
  it('plans offline, and says so on stderr', async () => {
    const run = await runs.nothing
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('no AWS credentials configured: planning offline, everything is planned as new')
    expect(run.stdout).toContain('offline: AWS was not read')
  })
})
