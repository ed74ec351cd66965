/**
 * The region chain, as the aws CLI resolves it (app.yaml's `region:` comes right after the flag):
 * --region > app.yaml > AWS_REGION > AWS_DEFAULT_REGION > the profile's `region` in the config file.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveRegion } from '../../src/aws/region.js'
import { readProfile } from '../../src/aws/shared-config.js'

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-region-'))
  writeFileSync(join(dir, 'config'), text)
  return join(dir, 'config')
}

const CONFIG = configFile(`# written by aws configure
[default]
region = us-east-2

[profile ci]
region = eu-central-1   ; the CI account
s3 =
    max_concurrent_requests = 20
[profile noregion]
output = json
`)
const HOME = mkdtempSync(join(tmpdir(), 'shipit-region-home-'))

describe('the region chain', () => {
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME, AWS_CONFIG_FILE: CONFIG, ...extra })
  const ALL = { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'sa-east-1', AWS_PROFILE: 'ci' }

  it('--region wins over everything', async () => {
    expect(await resolveRegion({ flag: 'us-west-1', manifest: 'us-west-2' }, env(ALL))).toEqual({ region: 'us-west-1', from: '--region' })
  })
  it("then app.yaml's region:", async () => {
    expect(await resolveRegion({ manifest: 'us-west-2' }, env(ALL))).toEqual({ region: 'us-west-2', from: 'app.yaml' })
  })
  it('then AWS_REGION', async () => {
    expect(await resolveRegion({}, env(ALL))).toEqual({ region: 'ap-south-1', from: 'AWS_REGION' })
  })
  it('then AWS_DEFAULT_REGION (which the SDK alone ignores)', async () => {
    expect(await resolveRegion({}, env({ AWS_DEFAULT_REGION: 'sa-east-1', AWS_PROFILE: 'ci' }))).toEqual({ region: 'sa-east-1', from: 'AWS_DEFAULT_REGION' })
  })
  it('then the region of the profile named by --profile, in AWS_CONFIG_FILE', async () => {
    expect(await resolveRegion({ profile: 'ci' }, env({ AWS_PROFILE: 'noregion' }))).toEqual({ region: 'eu-central-1', from: `profile ci in ${CONFIG}` })
  })
  it('or by AWS_PROFILE', async () => {
    expect((await resolveRegion({}, env({ AWS_PROFILE: 'ci' })))?.region).toBe('eu-central-1')
  })
  it('or of [default] when no profile is named', async () => {
    expect(await resolveRegion({}, env())).toEqual({ region: 'us-east-2', from: `profile default in ${CONFIG}` })
  })
  it('~/.aws/config when AWS_CONFIG_FILE is not set', async () => {
    const home = mkdtempSync(join(tmpdir(), 'shipit-region-home-'))
    const aws = join(home, '.aws')
    mkdirSync(aws)
    writeFileSync(join(aws, 'config'), '[profile p]\nregion = ca-central-1\n')
    expect((await resolveRegion({ profile: 'p' }, { HOME: home }))?.region).toBe('ca-central-1')
  })
  it('undefined when nothing names a region (a profile without one, or no config file)', async () => {
    expect(await resolveRegion({ profile: 'noregion' }, env())).toBeUndefined()
    expect(await resolveRegion({}, { HOME, AWS_CONFIG_FILE: join(HOME, 'missing') })).toBeUndefined()
  })
})

describe("the shared files, read by the SDK's own reader", () => {
  it('sections, comments and sub-sections; [profile default] is the default profile; credentials over config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-ini-'))
    writeFileSync(join(dir, 'config'), '[profile a]\n# c\nregion=x # note\ns3 =\n  nested = y\n[profile default]\nregion = z\noutput = json\n')
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = A\nregion = w\n')
    const files = { configFile: join(dir, 'config'), credentialsFile: join(dir, 'credentials') }
    expect(await readProfile('a', files)).toEqual({ region: 'x', 's3.nested': 'y' })
    expect(await readProfile('default', files)).toEqual({ region: 'w', output: 'json', aws_access_key_id: 'A' })
    expect(await readProfile('b', files)).toBeUndefined()
  })

  it('reads the files again on each call (a file changed between two reads is seen)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-ini-'))
    const files = { configFile: join(dir, 'config'), credentialsFile: join(dir, 'credentials') }
    writeFileSync(files.configFile, '[profile a]\nregion = x\n')
    expect((await readProfile('a', files))?.region).toBe('x')
    writeFileSync(files.configFile, '[profile a]\nregion = y\n')
    expect((await readProfile('a', files))?.region).toBe('y')
  })
})
