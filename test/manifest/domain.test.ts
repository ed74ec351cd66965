import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateManifest } from '../../src/engine/validate.js'
import { ExitCode } from '../../src/errors.js'
import { ManifestError } from '../../src/manifest/load.js'

/** http.domain and http.certificate are checked offline, each problem at its line and column. */

function app(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-domain-'))
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = () => 1\n')
  writeFileSync(join(dir, 'app.yaml'), yaml)
  return join(dir, 'app.yaml')
}

const BASE = `name: shop
region: us-west-2
container: { image: public.ecr.aws/nginx/nginx:1.27, port: 80 }
function: { handler: index.handler, runtime: nodejs22.x }
`

async function problemsOf(yaml: string, target: string) {
  const error = await validateManifest(app(yaml), target).catch((err: unknown) => err)
  expect(error).toBeInstanceOf(ManifestError)
  expect((error as ManifestError).exitCode).toBe(ExitCode.Invalid)
  return (error as ManifestError).problems.map((p) => `${p.line}:${p.col} ${p.message}`)
}

describe('http.domain in app.yaml', () => {
  it('one name or a list is valid on lambda and fargate', async () => {
    for (const target of ['lambda', 'fargate']) {
      await expect(validateManifest(app(`${BASE}http:\n  domain: api.example.com\n`), target)).resolves.toBeDefined()
      await expect(validateManifest(app(`${BASE}http:\n  domain: [example.com, www.example.com]\n`), target)).resolves.toBeDefined()
    }
  })

  it('refuses wildcards, names that are not DNS names, duplicates, and more than a certificate holds, each at its place', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `n${i}.example.com`).join(', ')
    expect(await problemsOf(`${BASE}http:\n  domain: ["*.example.com", "Bad_Name", "a.example.com", "a.example.com"]\n`, 'lambda')).toEqual([
      '6:12 domain "*.example.com" is a wildcard: shipit points one name at one app',
      '6:29 domain "Bad_Name" is not a DNS name',
      '6:58 domain "a.example.com" is listed twice',
    ])
    expect(await problemsOf(`${BASE}http:\n  domain: [${names}]\n`, 'lambda')).toEqual([
      '6:11 http.domain lists 11 names; one ACM certificate covers at most 10',
    ])
  })

  it('refuses a certificate that is not an ACM ARN, is of another region, or comes without a domain', async () => {
    const arn = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/12345678-1234-1234-1234-123456789012`
    expect(await problemsOf(`${BASE}http:\n  domain: api.example.com\n  certificate: arn:aws:iam::123456789012:role/x\n`, 'lambda')).toEqual([
      '7:16 certificate "arn:aws:iam::123456789012:role/x" is not an ACM certificate ARN',
    ])
    expect(await problemsOf(`${BASE}http:\n  domain: api.example.com\n  certificate: ${arn('eu-west-1')}\n`, 'fargate')).toEqual([
      '7:16 certificate is in eu-west-1, but the app is in us-west-2: API Gateway and load balancers use certificates of their own region',
    ])
    expect(await problemsOf(`${BASE}http:\n  certificate: ${arn('us-west-2')}\n`, 'lambda')).toEqual(['6:3 http.certificate is given without http.domain'])
  })

  it('refuses a domain on target ecs, which has no URL', async () => {
    expect(await problemsOf(`${BASE}http:\n  domain: api.example.com\n`, 'ecs')).toContainEqual(
      '6:3 http.domain needs a URL to point at, and target ecs has none',
    )
  })
})
