import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../../src/errors.js'
import { ManifestError, parseManifest } from '../../../src/manifest/load.js'
import { resolveDesired } from '../../../src/manifest/resolve.js'
import { type BuildInputs, contextHash, TAG_LENGTH } from '../../../src/targets/image/context.js'
import { prepareImage } from '../../../src/targets/image/prepare.js'
import { refusal } from '../../helpers/package-tree.js'
import { asContainer } from '../../helpers/plan.js'

/** A build context with these files (path → content), and the build inputs that point at it. */
function context(files: Record<string, string>, extra: Partial<BuildInputs> = {}): BuildInputs {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-context-'))
  for (const [path, content] of Object.entries({ Dockerfile: 'FROM node:20-alpine\nCOPY . .\n', ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return { context: dir, dockerfile: join(dir, 'Dockerfile'), args: {}, platform: 'linux/amd64', ...extra }
}

const APP = { 'server.js': 'require("http").createServer((q, s) => s.end("hi")).listen(8080)\n', 'package.json': '{"name":"web"}\n' }

describe('contextHash', () => {
  it('is stable: the same files give the same hash, and the tag is its first 16 hex characters', async () => {
    const a = await contextHash(context(APP))
    const b = await contextHash(context(APP))
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(a.sha256).toBe(b.sha256)
    expect(a.tag).toBe(a.sha256.slice(0, TAG_LENGTH))
    expect(a.files).toBe(3)
  })

  it('changes with a file, the Dockerfile, a build arg, the target and the platform', async () => {
    const base = (await contextHash(context(APP))).sha256
    const variants = [
      context({ ...APP, 'server.js': 'changed' }),
      context({ ...APP, 'lib/extra.js': '' }),
      context({ ...APP, Dockerfile: 'FROM node:22-alpine\nCOPY . .\n' }),
      context(APP, { args: { NODE_ENV: 'production' } }),
      context(APP, { target: 'runtime' }),
      context(APP, { platform: 'linux/arm64' }),
    ]
    const hashes = await Promise.all(variants.map(async (v) => (await contextHash(v)).sha256))
    for (const h of hashes) expect(h).not.toBe(base)
    expect(new Set(hashes).size).toBe(hashes.length)
  })

  it('changes with the executable bit, which COPY keeps', async () => {
    const plain = context(APP)
    const before = (await contextHash(plain)).sha256
    chmodSync(join(plain.context, 'server.js'), 0o755)
    expect((await contextHash(plain)).sha256).not.toBe(before)
  })

  it('leaves out what .dockerignore excludes, anchored at the context root as docker does', async () => {
    const ignoreFile = { '.dockerignore': 'node_modules\n*.log\n' }
    const clean = context({ ...APP, ...ignoreFile })
    const noisy = context({ ...APP, ...ignoreFile, 'node_modules/left-pad/index.js': 'x', 'debug.log': 'y' })
    expect((await contextHash(noisy)).sha256).toBe((await contextHash(clean)).sha256)
    // docker's patterns are anchored: `node_modules` does not exclude lib/node_modules
    const nested = context({ ...APP, ...ignoreFile, 'lib/node_modules/x.js': 'z' })
    expect((await contextHash(nested)).sha256).not.toBe((await contextHash(clean)).sha256)
  })

  it('changes when .dockerignore lets a file in', async () => {
    const files = { ...APP, 'notes.md': 'draft' }
    const excluded = await contextHash(context({ ...files, '.dockerignore': '*.md\n' }))
    const included = await contextHash(context({ ...files, '.dockerignore': '*.md\n!notes.md\n' }))
    expect(included.sha256).not.toBe(excluded.sha256)
    expect(included.files).toBe(excluded.files + 1)
  })

  it('prefers <Dockerfile>.dockerignore next to the Dockerfile, as BuildKit does', async () => {
    const own = context({ ...APP, 'Dockerfile.dockerignore': 'secret.txt\n', 'secret.txt': 'a' })
    const other = context({ ...APP, 'Dockerfile.dockerignore': 'secret.txt\n', 'secret.txt': 'b' })
    expect((await contextHash(own)).sha256).toBe((await contextHash(other)).sha256)
  })

  it('hashes a link inside the context as a link, and refuses one that leaves it (exit 3)', async () => {
    const inside = context(APP)
    symlinkSync('server.js', join(inside.context, 'main.js'))
    expect((await contextHash(inside)).files).toBe(4)

    const outside = context(APP)
    symlinkSync('/etc/passwd', join(outside.context, 'passwd'))
    const err = await refusal(contextHash(outside))
    expect(err.exitCode).toBe(ExitCode.Invalid)
    expect(err.message).toBe('passwd in the build context links to /etc/passwd, outside the context')

    const upward = context(APP)
    mkdirSync(join(upward.context, 'lib'))
    symlinkSync('../../x', join(upward.context, 'lib', 'up'))
    expect((await refusal(contextHash(upward))).code).toBe('BuildContextLink')
  })

  it('refuses a missing context or Dockerfile with what to do (exit 3)', async () => {
    const gone = await refusal(contextHash({ ...context(APP), context: '/nonexistent/shipit' }))
    expect(gone.exitCode).toBe(ExitCode.Invalid)
    expect(gone.suggestions[0]).toMatch(/build\.context/)
    const c = context(APP)
    const noDockerfile = await refusal(contextHash({ ...c, dockerfile: join(c.context, 'Containerfile') }))
    expect(noDockerfile.code).toBe('MissingDockerfile')
  })
})

describe('container.build in app.yaml', () => {
  const yaml = (container: string) => `name: web\nregion: us-west-2\ncontainer:\n${container}`

  it('resolves build (context relative to app.yaml, dockerfile relative to the context) and keepImages defaults to 20', async () => {
    const c = context({ ...APP, 'docker/Web.Dockerfile': 'FROM scratch\n' })
    const loaded = parseManifest(
      yaml('  build:\n    context: .\n    dockerfile: docker/Web.Dockerfile\n    args: { NODE_ENV: production }\n  architecture: arm64\n'),
      'app.yaml',
      {},
      c.context,
    )
    const desired = asContainer(resolveDesired(loaded, { target: 'fargate' }))
    expect(desired.container?.keepImages).toBe(20)
    const prepared = await prepareImage(desired)
    expect(prepared).toMatchObject({
      repositoryName: 'shipit/web',
      localImage: `shipit/web:${prepared?.tag}`,
      contextLabel: '.',
      build: { context: c.context, dockerfile: join(c.context, 'docker/Web.Dockerfile'), args: { NODE_ENV: 'production' }, platform: 'linux/arm64' },
    })
  })

  it('needs exactly one of image and build, and says so where', () => {
    const both = () => parseManifest(yaml('  image: nginx\n  build: { context: . }\n'), 'app.yaml', {}, '/app')
    expect(both).toThrow(ManifestError)
    expect(both).toThrow(/^app\.yaml:5:3: container has both image and build: give exactly one of them — keep image:/)
    const neither = () => parseManifest(yaml('  port: 80\n'), 'app.yaml', {}, '/app')
    expect(neither).toThrow(/container needs image or build: give exactly one of them/)
  })

  it('has no image to build without build', async () => {
    const desired = asContainer(resolveDesired(parseManifest(yaml('  image: nginx\n'), 'app.yaml', {}, '/app'), { target: 'fargate' }))
    expect(await prepareImage(desired)).toBeNull()
  })
})
