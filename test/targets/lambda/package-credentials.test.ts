import { linkSync, mkdirSync, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listPackage } from '../../../src/targets/lambda/walk.js'
import { zipDirectory } from '../../../src/targets/lambda/zip.js'
import { refusal, tree } from '../../helpers/package-tree.js'

// Issue 18 items 2 and 8 for the Lambda package: files that look like credentials, and hard links.

const HANDLER = { 'index.mjs': 'export const handler = async () => ({ statusCode: 200 })\n' }
const FAKE_CREDENTIALS = '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n'
const FAKE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz'}\n-----END OPENSSH PRIVATE KEY-----\n`

/** A deployer's home with the review's fake ~/.aws/credentials, and an env that points HOME at it. */
function home(): { home: string; env: NodeJS.ProcessEnv; credentials: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-cred-home-'))
  const credentials = join(dir, '.aws', 'credentials')
  tree({ '.aws/credentials': FAKE_CREDENTIALS }, dir)
  return { home: dir, env: { HOME: dir }, credentials }
}

describe('function.source: files that look like credentials are refused with their paths', () => {
  it('a copied credentials file, an SSH key, a private key and a .env with a secret, all named in one refusal', async () => {
    const { env } = home()
    const src = tree({
      ...HANDLER,
      '.aws/credentials': FAKE_CREDENTIALS,
      '.ssh/id_ed25519': FAKE_KEY,
      'certs/deploy.key': FAKE_KEY,
      '.env': 'PORT=8080\nSTRIPE_SECRET=sk_test_fakevalue\n',
      'lib/util.js': 'export const x = 1\n',
    })
    const err = await refusal(listPackage(src, { env }))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('UnsafeSource')
    expect(err.message).toContain('files that look like credentials')
    expect(err.message).toContain('.aws/credentials (under .aws/)')
    expect(err.message).toContain('.ssh/id_ed25519 (under .ssh/)')
    expect(err.message).toContain('certs/deploy.key (a private key)')
    expect(err.message).toContain('.env (a .env file with a value for STRIPE_SECRET)')
    expect(err.message).not.toContain('lib/util.js')
    // the values are never shown
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.suggestions })).not.toMatch(/fake-outside-secret|sk_test_fakevalue|b3BlbnNzaC1rZXkt/)
    expect(err.suggestions.join('\n')).toMatch(/\.shipitignore[\s\S]*function\.allowFiles/)
  })

  it('passes what .shipitignore leaves out and what function.allowFiles names', async () => {
    const { env } = home()
    const src = tree({ ...HANDLER, '.shipitignore': '.env\n', '.env': 'API_KEY=abc\n', 'test/fixtures/key.pem': FAKE_KEY })
    const listing = await listPackage(src, { env, allowFiles: ['test/fixtures/*.pem'] })
    expect(listing.files.map((f) => f.path)).toEqual(['index.mjs', 'test/fixtures/key.pem'])
  })

  it('a .env without secret values, and code that names credential settings, are packed', async () => {
    const { env } = home()
    const src = tree({
      ...HANDLER,
      '.env': 'LOG_LEVEL=debug\nAPI_KEY=\n',
      'node_modules/@aws-sdk/core/index.js': 'const k = profile.aws_secret_access_key ?? profile.aws_session_token;\n',
    })
    const listing = await listPackage(src, { env })
    expect(listing.files).toHaveLength(3)
  })
})

describe('hard links in function.source (issue 18 item 8)', () => {
  it('the attack: a hard link to ~/.aws/credentials, under any name, is refused naming the file it is', async () => {
    const { env, credentials } = home()
    const src = tree(HANDLER)
    linkSync(credentials, join(src, 'config.ini'))
    expect(statSync(join(src, 'config.ini')).nlink).toBe(2)
    const err = await refusal(zipDirectory(src, { env }))
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain(`config.ini (a hard link to ${credentials})`)
    expect(err.message).not.toContain('fake-outside-secret')
  })

  it('even allowFiles does not let a hard link to the deployer’s credentials through', async () => {
    const { env, credentials } = home()
    const src = tree(HANDLER)
    linkSync(credentials, join(src, 'settings.txt'))
    const err = await refusal(listPackage(src, { env, allowFiles: ['settings.txt'] }))
    expect(err.message).toContain(`settings.txt (a hard link to ${credentials})`)
  })

  it('a hard link to a fake credentials file elsewhere (not a known one) is refused by its content', async () => {
    const { env } = home()
    const outside = tree({ 'old-creds': FAKE_CREDENTIALS, id_rsa: FAKE_KEY })
    const src = tree(HANDLER)
    linkSync(join(outside, 'old-creds'), join(src, 'settings.ini'))
    linkSync(join(outside, 'id_rsa'), join(src, 'banner.txt'))
    const err = await refusal(listPackage(src, { env }))
    expect(err.message).toContain('settings.ini (an AWS credentials file)')
    expect(err.message).toContain('banner.txt (a private key)')
  })

  it('a pnpm-like tree (every file a hard link into a store outside the source) is packed', async () => {
    const { env } = home()
    const store = tree({
      'v3/files/00/aaa': 'module.exports = function leftPad(s, n) { return String(s).padStart(n) }\n',
      'v3/files/01/bbb': '{ "name": "left-pad", "version": "1.3.0", "main": "index.js" }\n',
      'v3/files/02/ccc': "'use strict'\nconst crypto = require('crypto')\nexports.secretAccessKeyName = 'aws_secret_access_key'\n",
    })
    const src = tree({ ...HANDLER, 'package.json': '{"type":"module"}\n' })
    const links: [string, string][] = [
      ['v3/files/00/aaa', 'node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/index.js'],
      ['v3/files/01/bbb', 'node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/package.json'],
      ['v3/files/02/ccc', 'node_modules/.pnpm/sigv4@1.0.0/node_modules/sigv4/index.js'],
    ]
    for (const [from, to] of links) {
      mkdirSync(dirname(join(src, to)), { recursive: true })
      linkSync(join(store, from), join(src, to))
    }
    // a second project sharing the store: nlink 3
    const other = tree({})
    mkdirSync(join(other, 'x'), { recursive: true })
    linkSync(join(store, 'v3/files/00/aaa'), join(other, 'x', 'index.js'))
    const listing = await listPackage(src, { env })
    expect(listing.files.map((f) => f.path)).toEqual(['index.mjs', 'package.json', ...links.map(([, to]) => to)].sort())
    expect(statSync(join(src, links[0][1])).nlink).toBe(3)
    const zip = await zipDirectory(src, { env })
    expect(zip.files).toBe(5)
  })
})

describe('the opt-in for a source outside the app never reaches home or above', () => {
  it('function.source that is $HOME, / or a parent of $HOME is refused even with allowSourceOutsideApp', async () => {
    const { home: dir, env } = home()
    tree(HANDLER, dir)
    const app = tree({ 'app.yaml': 'name: t\n' })
    for (const source of [dir, '/', dirname(dir)]) {
      const err = await refusal(listPackage(source, { appDir: app, allowOutsideApp: true, env }))
      expect(err.exitCode).toBe(3)
      expect(err.code).toBe('SourceTooWide')
      expect(err.message).toMatch(/your home directory|root of the filesystem|holds your home directory/)
    }
  })
})
