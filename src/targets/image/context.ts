import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import ignore from 'ignore'
import { canonicalJson } from '../../digest.js'
import { invalid } from '../../errors.js'
import { type CredentialCheck, credentialCheck, credentialReason, describeCredentials } from '../../package/credentials.js'

/**
 * The content hash of a build: what the container CLI would be given (the context files that
 * .dockerignore lets through, the Dockerfile, the build args, the target stage, the platform). The
 * image tag is its first TAG_LENGTH hex characters, so an unchanged source finds its image in ECR
 * and is neither built nor pushed again. While listing it, files that look like credentials are refused
 * (src/package/credentials.ts): `COPY . .` would put them in the image.
 */

/** 16 hex characters = 64 bits: collisions within one repository's images are not a concern. */
export const TAG_LENGTH = 16
/** Bounds of a context shipit hashes (docker sends the whole context to the builder on every build too). */
const MAX_CONTEXT_FILES = 100_000
const MAX_CONTEXT_BYTES = 4 * 1024 ** 3
/** Version of the hash's input layout: bumping it rebuilds every image once. */
const HASH_LAYOUT = 'shipit-image-context/1'

export type Platform = 'linux/amd64' | 'linux/arm64'

export interface BuildInputs {
  /** absolute context directory */
  context: string
  /** absolute Dockerfile path (it may lie outside the context, as docker allows) */
  dockerfile: string
  args: Record<string, string>
  target?: string
  platform: Platform
}

interface ContextHash {
  /** full hex sha256 */
  sha256: string
  /** the image tag: the first TAG_LENGTH hex characters */
  tag: string
  files: number
  bytes: number
}

interface ContextOptions {
  /** container.build.allowFiles: files that look like credentials and are meant to go in (gitignore syntax) */
  allowFiles?: string[]
  /** where HOME and AWS_SHARED_CREDENTIALS_FILE are read, to know the deployer's credential files */
  env?: NodeJS.ProcessEnv
}

export const platformFor = (architecture: 'x86_64' | 'arm64'): Platform => (architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64')
export const imageTag = (sha256: string): string => sha256.slice(0, TAG_LENGTH)

interface ContextEntry {
  path: string
  kind: 'file' | 'link'
  /** file: only the executable bit (git records no other; hashing the umask would rebuild on every clone) */
  executable?: boolean
  /** link: where it points, as written */
  target?: string
  abs: string
  size: number
}

/** What a build would send, listed and checked: the context's entries and the Dockerfile's bytes. */
export interface ContextListing {
  entries: ContextEntry[]
  dockerfileText: Buffer
}

/**
 * List the context as the builder would get it (.dockerignore applied) and refuse, exit 3, what must
 * not be sent: links out of it, special files, too much, and files that look like credentials. Reads
 * the first bytes of small files only; the hash (contextHash) reads the rest.
 */
export async function listBuildContext(inputs: BuildInputs, options: ContextOptions = {}): Promise<ContextListing> {
  const { context, dockerfile } = inputs
  const top = await stat(context).catch(() => null)
  if (!top?.isDirectory()) {
    throw invalid('MissingBuildContext', `container.build.context ${context} is not a directory`, [
      'point build.context (relative to app.yaml) at the directory with your Dockerfile',
    ])
  }
  const dockerfileText = await readFile(dockerfile).catch(() => null)
  if (!dockerfileText) {
    throw invalid('MissingDockerfile', `no Dockerfile at ${dockerfile}`, ['write one there, or set container.build.dockerfile (relative to the build context)'])
  }
  const ignored = await dockerIgnore(context, dockerfile)
  const check = credentialCheck(options.allowFiles, options.env)
  const { entries, credentials } = await listContext(context, ignored, check)
  const dockerfileInfo = await stat(dockerfile)
  const dockerfileLabel = relative(context, dockerfile)
  const dockerfileSecret = await credentialReason(check, dockerfileLabel, dockerfile, dockerfileInfo)
  if (dockerfileSecret) credentials.unshift(`${dockerfileLabel} (the Dockerfile: ${dockerfileSecret})`)
  if (credentials.length) throw credentialsInContext(context, credentials)
  return { entries, dockerfileText }
}

/** sha256 over the sorted context entries (path, kind, exec bit, content), the Dockerfile, args, target and platform. */
export async function contextHash(inputs: BuildInputs, options: ContextOptions = {}, listed?: ContextListing): Promise<ContextHash> {
  const { entries, dockerfileText } = listed ?? (await listBuildContext(inputs, options))
  const hash = createHash('sha256')
  const line = (value: unknown) => hash.update(`${canonicalJson(value)}\n`)
  line({
    layout: HASH_LAYOUT,
    platform: inputs.platform,
    target: inputs.target ?? null,
    args: Object.fromEntries(Object.entries(inputs.args).sort(([a], [b]) => (a < b ? -1 : 1))),
    dockerfile: createHash('sha256').update(dockerfileText).digest('hex'),
  })
  let bytes = 0
  for (const e of entries) {
    bytes += e.size
    if (e.kind === 'link') line({ path: e.path, link: e.target })
    else line({ path: e.path, exec: e.executable, sha256: await fileSha256(e.abs) })
  }
  const sha256 = hash.digest('hex')
  return { sha256, tag: imageTag(sha256), files: entries.length, bytes }
}

function fileSha256(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256')
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', fail)
      .on('end', () => ok(h.digest('hex')))
  })
}

/**
 * The .dockerignore matcher. BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile first, else
 * `.dockerignore` at the context root. Docker anchors every pattern at the context root (`node_modules`
 * is only the top one), unlike .gitignore: each pattern is given to `ignore` with a leading `/`.
 * Not modelled: re-including a file below an excluded directory (`!dir/keep` after `dir`).
 */
async function dockerIgnore(context: string, dockerfile: string): Promise<(path: string, isDir: boolean) => boolean> {
  const text =
    (await readFile(`${dockerfile}.dockerignore`, 'utf8').catch(() => null)) ?? (await readFile(join(context, '.dockerignore'), 'utf8').catch(() => ''))
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!')
      const body = (negate ? l.slice(1) : l).replace(/^(\.\/|\/)+/, '')
      return body ? `${negate ? '!' : ''}/${body}` : ''
    })
    .filter(Boolean)
  const matcher = ignore().add(patterns)
  return (path, isDir) => matcher.ignores(isDir ? `${path}/` : path)
}

function credentialsInContext(context: string, found: string[]) {
  return invalid(
    'CredentialsInBuildContext',
    `the build context ${context} holds files that look like credentials; the builder would get them, and COPY would put them in the image:\n${describeCredentials(found)}`,
    [
      'take them out of the context, or list them in .dockerignore (the task gets AWS access from its task role, secrets from secrets: in app.yaml)',
      'if a file is meant to go in (a test key, a fixture), list it in container.build.allowFiles',
    ],
    { credentials: found },
  )
}

async function listContext(
  root: string,
  ignored: (path: string, isDir: boolean) => boolean,
  check: CredentialCheck,
): Promise<{ entries: ContextEntry[]; credentials: string[] }> {
  const out: ContextEntry[] = []
  const credentials: string[] = []
  let bytes = 0
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort()
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name
      const abs = join(root, path)
      const info = await lstat(abs)
      if (ignored(path, info.isDirectory())) continue
      if (info.isDirectory()) {
        await walk(path)
        continue
      }
      if (info.isSymbolicLink()) {
        const target = await readlink(abs)
        const resolved = isAbsolute(target) ? target : resolve(dirname(abs), target)
        const inside = relative(root, resolved)
        if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
          throw invalid('BuildContextLink', `${path} in the build context links to ${target}, outside the context`, [
            'the builder cannot follow it: copy the file into the context, or list the link in .dockerignore',
          ])
        }
        out.push({ path, kind: 'link', target, abs, size: 0 })
      } else if (info.isFile()) {
        const secret = await credentialReason(check, path, abs, info)
        if (secret) {
          credentials.push(`${path} (${secret})`)
          continue
        }
        bytes += info.size
        out.push({ path, kind: 'file', executable: (info.mode & 0o111) !== 0, abs, size: info.size })
      } else {
        throw invalid('BuildContextSpecialFile', `${path} in the build context is not a regular file, directory or link (a socket, pipe or device)`, [
          'list it in .dockerignore',
        ])
      }
      if (out.length > MAX_CONTEXT_FILES || bytes > MAX_CONTEXT_BYTES) {
        throw invalid(
          'BuildContextTooLarge',
          `the build context ${root} has more than ${out.length > MAX_CONTEXT_FILES ? `${MAX_CONTEXT_FILES} files` : `${MAX_CONTEXT_BYTES / 1024 ** 3} GiB`}`,
          ['list what the image does not need (node_modules, .git, build output) in .dockerignore'],
        )
      }
    }
  }
  await walk('')
  return { entries: out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), credentials }
}
