import { linkSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  credentialByContent,
  credentialByPath,
  credentialCheck,
  credentialReason,
  credentialReasonSync,
  KnownSecretFiles,
  SNIFF_MAX_FILE,
} from '../../src/package/credentials.js'

// Fake keys in the shapes AWS and OpenSSL write; none of them is or was real.
// built from parts, so that no key-shaped literal stands in the tree (the repository's own leak check looks for them)
const KEY_ID = ['AKIA', 'Z7FAKEKEY0000001'].join('')
const SECRET = 'fAkE0sEcReT1fAkE2sEcReT3fAkE4sEcReT5fAkE'
const PEM = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz'}\nc2gtZWQyNTUxOQ==\n-----END OPENSSH PRIVATE KEY-----\n`
const RSA = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\n${'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0'}\n-----END RSA PRIVATE KEY-----\n`

const content = (path: string, text: string) => credentialByContent(path, Buffer.from(text))

describe('credentialByContent: what a credential looks like', () => {
  it('finds private keys, AWS keys with their secret, credentials files and .env secrets', () => {
    expect(content('deploy/key', PEM)).toBe('a private key')
    expect(content('certs/server.pem', RSA)).toBe('a private key')
    expect(content('config.ini', `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`)).toBe('an AWS secret access key')
    // the review's fake credentials file: a secret that is not AWS-shaped, in a credentials file's layout
    expect(content('config.ini', '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n')).toBe(
      'an AWS credentials file',
    )
    expect(content('creds.json', `{"AccessKeyId": "ASIAZ7FAKEKEY0000002", "SecretAccessKey": "${SECRET}", "SessionToken": "x"}`)).toBe(
      'an AWS secret access key',
    )
    expect(content('src/config.js', `export const id = '${KEY_ID}'\nexport const key = '${SECRET}'\n`)).toBe('an AWS access key with its secret')
    expect(content('.env', 'PORT=8080\nSTRIPE_SECRET=sk_test_fake\n')).toBe('a .env file with a value for STRIPE_SECRET')
    expect(content('config/.env.production', 'export API_KEY="abc"\n')).toBe('a .env file with a value for API_KEY')
    expect(content('prod.env', 'GITHUB_TOKEN=ghp_fake\n')).toBe('a .env file with a value for GITHUB_TOKEN')
    expect(content('.env', 'DB_PASSWORD=hunter2 # the old one\n')).toBe('a .env file with a value for DB_PASSWORD')
  })

  it('passes code that merely names credentials, the documentation key, empty .env values and binary files', () => {
    // what the AWS SDKs and boto3 code hold
    expect(content('node_modules/@aws-sdk/x/dist/index.js', 'const secretAccessKey = profile.aws_secret_access_key;\n')).toBeUndefined()
    expect(content('app.py', 'boto3.client("s3",\n    aws_secret_access_key=secret,\n)\n')).toBeUndefined()
    expect(content('README.md', `aws_access_key_id = ${'AKIA'}IOSFODNN7EXAMPLE\nsecret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`)).toBeUndefined()
    // a PEM parser's constant: the header with escaped line ends, no key after it
    expect(content('node_modules/forge/pem.js', "if (line === '-----BEGIN RSA PRIVATE KEY-----\\r\\n') parse()\n")).toBeUndefined()
    expect(content('.env', 'PORT=8080\nAPI_KEY=\nSESSION_SECRET=""\n# TOKEN=commented\n')).toBeUndefined()
    expect(content('.env.example', 'LOG_LEVEL=debug\nREGION=us-west-2\n')).toBeUndefined()
    expect(credentialByContent('blob.bin', Buffer.concat([Buffer.from(PEM), Buffer.from([0, 1, 2])]))).toBeUndefined()
    // a .env file name elsewhere in a path is not a .env file
    expect(content('docs/.env/readme.txt', 'API_KEY=abc\n')).toBeUndefined()
  })
})

describe('credentialByPath', () => {
  it('refuses anything under .aws/ or .ssh/, at any depth, and nothing else by name', () => {
    expect(credentialByPath('.aws/credentials')).toBe('under .aws/')
    expect(credentialByPath('home/.ssh/known_hosts')).toBe('under .ssh/')
    expect(credentialByPath('src/aws/credentials.ts')).toBeUndefined()
    expect(credentialByPath('.aws')).toBeUndefined()
  })
})

describe('credentialReason: what is read', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'shipit-cred-'))

  it('reads only files of at most SNIFF_MAX_FILE bytes', async () => {
    const d = dir()
    const small = join(d, 'small.txt')
    const big = join(d, 'big.txt')
    writeFileSync(small, PEM)
    writeFileSync(big, PEM + 'x'.repeat(SNIFF_MAX_FILE))
    const check = credentialCheck(undefined, { HOME: d })
    expect(credentialReasonSync(check, 'small.txt', small, statSync(small))).toBe('a private key')
    expect(await credentialReason(check, 'small.txt', small, statSync(small))).toBe('a private key')
    expect(credentialReasonSync(check, 'big.txt', big, statSync(big))).toBeUndefined()
    expect(await credentialReason(check, 'big.txt', big, statSync(big))).toBeUndefined()
  })

  it('lets allowFiles (gitignore patterns) through, but never a hard link to the deployer’s own credentials', async () => {
    const d = dir()
    const home = join(d, 'home')
    mkdirSync(join(home, '.aws'), { recursive: true })
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_secret_access_key = fake-home-secret\n')
    mkdirSync(join(d, 'src', 'test'), { recursive: true })
    writeFileSync(join(d, 'src', 'test', 'key.pem'), RSA)
    linkSync(join(home, '.aws', 'credentials'), join(d, 'src', 'test', 'settings.txt'))
    const check = credentialCheck(['test/*.pem', 'test/settings.txt'], { HOME: home })
    const pem = join(d, 'src', 'test', 'key.pem')
    const linked = join(d, 'src', 'test', 'settings.txt')
    expect(credentialReasonSync(check, 'test/key.pem', pem, statSync(pem))).toBeUndefined()
    expect(credentialReasonSync(check, 'test/settings.txt', linked, statSync(linked))).toBe(`a hard link to ${join(home, '.aws', 'credentials')}`)
  })
})

describe('KnownSecretFiles', () => {
  it('knows ~/.aws/credentials, ~/.ssh/* and AWS_SHARED_CREDENTIALS_FILE by inode, and only through a hard link', () => {
    const d = mkdtempSync(join(tmpdir(), 'shipit-known-'))
    const home = join(d, 'home')
    mkdirSync(join(home, '.ssh'), { recursive: true })
    mkdirSync(join(home, '.aws'), { recursive: true })
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'key')
    writeFileSync(join(home, '.aws', 'credentials'), 'creds')
    writeFileSync(join(d, 'elsewhere'), 'creds')
    linkSync(join(home, '.ssh', 'id_ed25519'), join(d, 'a'))
    linkSync(join(home, '.aws', 'credentials'), join(d, 'b'))
    linkSync(join(d, 'elsewhere'), join(d, 'c'))
    writeFileSync(join(d, 'copy'), 'creds')
    const known = new KnownSecretFiles({ HOME: home, AWS_SHARED_CREDENTIALS_FILE: join(d, 'elsewhere') })
    expect(known.of(statSync(join(d, 'a')))).toBe(join(home, '.ssh', 'id_ed25519'))
    expect(known.of(statSync(join(d, 'b')))).toBe(join(home, '.aws', 'credentials'))
    expect(known.of(statSync(join(d, 'c')))).toBe(join(d, 'elsewhere'))
    expect(known.of(statSync(join(d, 'copy')))).toBeUndefined()
  })
})
