/**
 * The region chain, as the aws CLI resolves it (app.yaml's `region:` comes right after the flag):
 * --region > app.yaml > AWS_REGION > AWS_DEFAULT_REGION > the profile's `region` in the config file.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveRegion } from '../../src/aws/region.js'
import { parseIni } from '../../src/aws/shared-config.js'

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

  it('--region wins over everything', () => {
    expect(resolveRegion({ flag: 'us-west-1', manifest: 'us-west-2' }, env(ALL))).toEqual({ region: 'us-west-1', from: '--region' })
  })
  it("then app.yaml's region:", () => {
    expect(resolveRegion({ manifest: 'us-west-2' }, env(ALL))).toEqual({ region: 'us-west-2', from: 'app.yaml' })
  })
  it('then AWS_REGION', () => {
    expect(resolveRegion({}, env(ALL))).toEqual({ region: 'ap-south-1', from: 'AWS_REGION' })
  })
  it('then AWS_DEFAULT_REGION (which the SDK alone ignores)', () => {
    expect(resolveRegion({}, env({ AWS_DEFAULT_REGION: 'sa-east-1', AWS_PROFILE: 'ci' }))).toEqual({ region: 'sa-east-1', from: 'AWS_DEFAULT_REGION' })
  })
  it('then the region of the profile named by --profile, in AWS_CONFIG_FILE', () => {
    expect(resolveRegion({ profile: 'ci' }, env({ AWS_PROFILE: 'noregion' }))).toEqual({ region: 'eu-central-1', from: `profile ci in ${CONFIG}` })
  })
  it('or by AWS_PROFILE', () => {
    expect(resolveRegion({}, env({ AWS_PROFILE: 'ci' }))?.region).toBe('eu-central-1')
  })
  it('or of [default] when no profile is named', () => {
    expect(resolveRegion({}, env())).toEqual({ region: 'us-east-2', from: `profile default in ${CONFIG}` })
  })
  it('~/.aws/config when AWS_CONFIG_FILE is not set', () => {
    const home = mkdtempSync(join(tmpdir(), 'shipit-region-home-'))
    const aws = join(home, '.aws')
    mkdirSync(aws)
    writeFileSync(join(aws, 'config'), '[profile p]\nregion = ca-central-1\n')
    expect(resolveRegion({ profile: 'p' }, { HOME: home })?.region).toBe('ca-central-1')
  })
  it('undefined when nothing names a region (a profile without one, or no config file)', () => {
    expect(resolveRegion({ profile: 'noregion' }, env())).toBeUndefined()
    expect(resolveRegion({}, { HOME, AWS_CONFIG_FILE: join(HOME, 'missing') })).toBeUndefined()
  })
})

describe('the shared config file format', () => {
  it('sections, comments, and nested settings skipped', () => {
    expect(parseIni('[profile a]\n# c\nregion=x # note\n  nested = y\n[ default ]\nregion = z\n')).toEqual({
      'profile a': { region: 'x' },
      default: { region: 'z' },
    })
  })
})
