import { closeSync, openSync, readdirSync, readSync, type Stats, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import ignore from 'ignore'
import { realHome } from './fence.js'

/**
 * Files that look like credentials, refused by both packagers (the Lambda zip and the container build
 * context) unless ignored or allowed by name. Three kinds of evidence, cheapest first:
 * - the path: anything under a `.aws/` or `.ssh/` directory;
 * - the content of small text files (at most SNIFF_MAX_FILE bytes, of which only the first SNIFF_BYTES
 *   are read; a NUL byte there means binary, not looked at): private keys in PEM, AWS access keys
 *   with a secret, a credentials file's `aws_secret_access_key =`, and `.env` files holding a secret;
 * - a hard link (nlink > 1) that is one of the deployer's own credential files (~/.aws/credentials,
 *   ~/.ssh/*, …), whatever its name and size in the source. See `KnownSecretFiles`.
 * A value found is never kept or shown: only the path and the kind of secret.
 */

/** Larger files are not sniffed: a key file is small, and bundles and assets are not worth reading twice. */
export const SNIFF_MAX_FILE = 64 * 1024
/** What is read of a small file: credential files put their secrets at the top. */
const SNIFF_BYTES = 16 * 1024

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----\r?\n(?:[A-Za-z-]+: .*\r?\n)*\r?\n?[A-Za-z0-9+/=]{40,}/
const ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g
const SECRET_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/
const SECRET_ASSIGNED = /(?:aws_secret_access_key|secret_?access_?key)["']?\s*[=:]\s*["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/i
const INI_SECTION = /^[ \t]*\[[^\]\n]+\][ \t]*\r?$/m
const INI_SECRET = /^[ \t]*aws_(?:secret_access_key|session_token)[ \t]*=[ \t]*\S/im
const ENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(.*)$/gm
const SECRET_NAME = /SECRET|(?:^|_)KEY$|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i

/** Why the file at `path` (package-relative, `/`-separated) is refused by its name alone, or undefined. */
export function credentialByPath(path: string): string | undefined {
  const dirs = path.split('/').slice(0, -1)
  if (dirs.includes('.aws')) return 'under .aws/'
  if (dirs.includes('.ssh')) return 'under .ssh/'
  return undefined
}

/** A dotenv file by its name: `.env`, `.env.production`, `prod.env`. */
const isEnvFile = (name: string) => name === '.env' || name.startsWith('.env.') || name.endsWith('.env')

/**
 * Byte strings one of which every credential the rules below find contains: most files hold none, and
 * are passed over without being decoded (`ecret` covers secret, Secret and SECRET with `ECRET`).
 */
const MARKERS = ['PRIVATE KEY', 'AKIA', 'ASIA', 'ecret', 'ECRET'].map((m) => Buffer.from(m, 'latin1'))

/** Why the first bytes of a file look like a credential, or undefined (binary content is not judged). */
export function credentialByContent(path: string, head: Buffer): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const env = isEnvFile(name)
  if (!env && !MARKERS.some((m) => head.includes(m))) return undefined
  if (head.includes(0)) return undefined
  const text = head.toString('latin1')
  if (text.includes('PRIVATE KEY') && PRIVATE_KEY.test(text)) return 'a private key'
  if (/secret_?access_?key/i.test(text)) {
    if (SECRET_ASSIGNED.test(text)) return 'an AWS secret access key'
    if (INI_SECTION.test(text) && INI_SECRET.test(text)) return 'an AWS credentials file'
  }
  if (text.includes('AKIA') || text.includes('ASIA')) {
    // AWS's documentation keys (the access key id ending in EXAMPLE) are in many SDK READMEs: not secrets
    const ids = [...text.matchAll(ACCESS_KEY_ID)].filter((m) => !m[0].endsWith('EXAMPLE'))
    if (ids.length && SECRET_SHAPE.test(text)) return 'an AWS access key with its secret'
  }
  if (env) {
    for (const m of text.matchAll(ENV_LINE)) {
      const value = m[2]
        .replace(/\s+#.*$/, '')
        .trim()
        .replace(/^(["'])(.*)\1$/, '$2')
      if (value && SECRET_NAME.test(m[1])) return `a .env file with a value for ${m[1]}`
    }
  }
  return undefined
}

/** Whether a file of this size is read at all. */
const sniffed = (size: number) => size > 0 && size <= SNIFF_MAX_FILE

/** One buffer for the synchronous reads: the Lambda walk reads one file at a time. */
const syncBuffer = Buffer.allocUnsafe(SNIFF_BYTES)

function headSync(abs: string, size: number): Buffer | undefined {
  let fd: number | undefined
  try {
    fd = openSync(abs, 'r')
    return syncBuffer.subarray(0, readSync(fd, syncBuffer, 0, Math.min(size, SNIFF_BYTES), 0))
  } catch {
    return undefined // unreadable now: the zip reports it when it reads the file
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

async function head(abs: string, size: number): Promise<Buffer | undefined> {
  const file = await open(abs, 'r').catch(() => undefined)
  if (!file) return undefined
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, SNIFF_BYTES))
    const { bytesRead } = await file.read(buf, 0, buf.length, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

/**
 * The deployer's own credential files, by identity (dev:inode): a hard link to one of them inside a
 * package is the same file under another name. Hard links are otherwise normal (pnpm hard-links every
 * file of node_modules from its store), so nlink > 1 alone refuses nothing; and a link's other names
 * cannot be found without searching the whole filesystem. What can be checked cheaply is whether the
 * file is one of the few that hold the deployer's secrets: these are stat-ed once per package.
 */
export class KnownSecretFiles {
  private readonly ids = new Map<string, string>()

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const home = realHome(env)
    const candidates = [env.AWS_SHARED_CREDENTIALS_FILE, env.AWS_CONFIG_FILE]
    if (home) {
      candidates.push(
        ...['.aws/credentials', '.aws/config', '.netrc', '.git-credentials', '.npmrc', '.pgpass', '.docker/config.json', '.kube/config'].map((f) =>
          join(home, f),
        ),
      )
      candidates.push(...listDir(join(home, '.ssh')), ...listDir(join(home, '.aws', 'sso', 'cache')), ...listDir(join(home, '.aws', 'cli', 'cache')))
    }
    for (const path of candidates) {
      if (!path) continue
      try {
        const info = statSync(path)
        if (info.isFile()) this.ids.set(`${info.dev}:${info.ino}`, path)
      } catch {
        // not there: nothing to guard
      }
    }
  }

  /** The credential file this file is (through a hard link), or undefined. */
  of(info: Stats): string | undefined {
    return info.nlink > 1 ? this.ids.get(`${info.dev}:${info.ino}`) : undefined
  }
}

/** At most this many files of a directory such as ~/.ssh are guarded: a bound on the stat calls. */
const MAX_LISTED = 200

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
      .slice(0, MAX_LISTED)
      .map((f) => join(dir, f))
  } catch {
    return []
  }
}

export interface CredentialCheck {
  /** files the manifest allows by name (function.allowFiles / container.build.allowFiles), gitignore syntax */
  allowed: (path: string) => boolean
  known: KnownSecretFiles
}

export function credentialCheck(allowFiles: string[] | undefined, env: NodeJS.ProcessEnv = process.env): CredentialCheck {
  const matcher = allowFiles?.length ? ignore({ allowRelativePaths: true }).add(allowFiles) : undefined
  return { allowed: (path) => matcher?.ignores(path) ?? false, known: new KnownSecretFiles(env) }
}

/** The content of the file decides (it is small enough to read and nothing else decided first). */
const READ = Symbol('read')

/**
 * What can be told of a file without reading it. A hard link to the deployer's own credential file is
 * refused even when allowed by name: allowFiles is for test keys and fixtures, not the real thing.
 */
function withoutReading(check: CredentialCheck, path: string, info: Stats): string | undefined | typeof READ {
  const known = check.known.of(info)
  if (known) return `a hard link to ${known}`
  if (check.allowed(path)) return undefined
  return credentialByPath(path) ?? (sniffed(info.size) ? READ : undefined)
}

/**
 * Why a regular file of a package looks like a credential, or undefined. `path` is its path in the
 * package, `abs` what is read, `info` its stat.
 */
export function credentialReasonSync(check: CredentialCheck, path: string, abs: string, info: Stats): string | undefined {
  const found = withoutReading(check, path, info)
  if (found !== READ) return found
  const bytes = headSync(abs, info.size)
  return bytes ? credentialByContent(path, bytes) : undefined
}

/** credentialReasonSync, reading with the promise API (the container context walk is async). */
export async function credentialReason(check: CredentialCheck, path: string, abs: string, info: Stats): Promise<string | undefined> {
  const found = withoutReading(check, path, info)
  if (found !== READ) return found
  const bytes = await head(abs, info.size).catch(() => undefined)
  return bytes ? credentialByContent(path, bytes) : undefined
}

/** How many refused files a message names before "and N more". */
const NAMED_CREDENTIALS = 10

/** The lines of a refusal: each file and why, never the value. */
export function describeCredentials(found: string[]): string {
  const shown = found.slice(0, NAMED_CREDENTIALS).map((f) => `    ${f}`)
  if (found.length > NAMED_CREDENTIALS) shown.push(`    and ${found.length - NAMED_CREDENTIALS} more`)
  return shown.join('\n')
}
