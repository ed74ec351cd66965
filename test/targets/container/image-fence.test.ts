import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateManifest } from '../../../src/engine/validate.js'
import { checkBuildContext } from '../../../src/manifest/build-context.js'
import { ManifestError, parseManifest } from '../../../src/manifest/load.js'
import { resolveDesired } from '../../../src/manifest/resolve.js'
import { contextHash } from '../../../src/targets/image/context.js'
import { prepareImage } from '../../../src/targets/image/prepare.js'
import { loadTarget } from '../../../src/targets/index.js'
import { refusal } from '../../helpers/package-tree.js'
import { asContainer } from '../../helpers/plan.js'

// Issue 18 item 4: the container build context and Dockerfile lie under the app's directory; item 2
// for the build context: files that look like credentials are refused.

const DOCKERFILE = 'FROM public.ecr.aws/docker/library/node:20-alpine\nCOPY . .\nCMD ["node", "server.js"]\n'
const FAKE_CREDENTIALS = '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n'

function files(root: string, all: Record<string, string>): string {
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

/**
 * A deployer's machine in a temp dir: home (with the review's fake ~/.aws/credentials and a project
 * in it) and the app, app.yaml with `build` as given (YAML lines under `build:`, 4 spaces in).
 */
function machine(build: string) {
  const base = mkdtempSync(join(tmpdir(), 'shipit-fence-'))
  const home = join(base, 'home')
  files(home, { '.aws/credentials': FAKE_CREDENTIALS, 'project/Dockerfile': DOCKERFILE })
  const app = join(home, 'work', 'web')
  const yaml = `name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n${build}`
  files(app, { 'app.yaml': yaml, Dockerfile: DOCKERFILE, 'server.js': 'require("http").createServer().listen(8080)\n' })
  const env: NodeJS.ProcessEnv = { HOME: home }
  const loaded = parseManifest(yaml, 'app.yaml', {}, app)
  const desired = (envName?: string) => asContainer(resolveDesired(loaded, { target: 'fargate', env: envName }))
  return { base, home, app, env, loaded, desired }
}

describe('the build context lies under the directory of app.yaml (file:line:col of context or dockerfile)', () => {
  it('context: .. is refused at the line of context', () => {
    const m = machine('    context: ..\n')
    const [p, ...rest] = checkBuildContext(m.loaded, m.desired(), m.env)
    expect(rest).toEqual([])
    expect(p).toMatchObject({ file: 'app.yaml', line: 6, col: 14 })
    expect(p.message).toBe(
      `container.build.context is ${join(m.home, 'work')}, outside the app's directory ${m.app}: the whole context goes to the builder, and COPY . . puts it in the image`,
    )
    expect(p.hint).toContain('container.build.allowContextOutsideApp: true')
  })

  it('an absolute path into $HOME, and a symlink to $HOME, are judged where they lead', () => {
    const abs = machine(`    context: ${join(mkdtempSync(join(tmpdir(), 'x')), '..', '..')}\n`)
    expect(checkBuildContext(abs.loaded, abs.desired(), abs.env)[0].message).toContain('outside the app')
    const m = machine('    context: ./home\n')
    symlinkSync(m.home, join(m.app, 'home'))
    const [p] = checkBuildContext(m.loaded, m.desired(), m.env)
    expect(p).toMatchObject({ line: 6, col: 14 })
    expect(p.message).toContain(`context is ${m.home}, outside the app's directory`)
    const intoHome = machine('    context: /placeholder\n')
    const project = join(intoHome.home, 'project')
    const loaded = parseManifest(`name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n    context: ${project}\n`, 'app.yaml', {}, intoHome.app)
    expect(checkBuildContext(loaded, asContainer(resolveDesired(loaded, { target: 'fargate' })), intoHome.env)[0].message).toContain(
      `context is ${project}, outside`,
    )
  })

  it('dockerfile: ~/.aws/credentials (absolute, or through a symlink named Dockerfile) is refused at the line of dockerfile', () => {
    const m = machine('    context: .\n    dockerfile: /placeholder\n')
    const creds = join(m.home, '.aws', 'credentials')
    const loaded = parseManifest(
      `name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n    context: .\n    dockerfile: ${creds}\n`,
      'app.yaml',
      {},
      m.app,
    )
    const [p] = checkBuildContext(loaded, asContainer(resolveDesired(loaded, { target: 'fargate' })), m.env)
    expect(p).toMatchObject({ line: 7, col: 17, message: `container.build.dockerfile is ${creds}, outside the app's directory and the build context` })
    // as the review wrote it: ~ is the home directory, as a shell reads it
    const tilde = machine('    context: .\n    dockerfile: ~/.aws/credentials\n')
    expect(checkBuildContext(tilde.loaded, tilde.desired(), tilde.env)[0]).toMatchObject({
      line: 7,
      col: 17,
      message: `container.build.dockerfile is ${join(tilde.home, '.aws', 'credentials')}, outside the app's directory and the build context`,
    })
    const linked = machine('    context: .\n    dockerfile: docker/Dockerfile\n')
    mkdirSync(join(linked.app, 'docker'))
    symlinkSync(join(linked.home, '.aws', 'credentials'), join(linked.app, 'docker', 'Dockerfile'))
    expect(checkBuildContext(linked.loaded, linked.desired(), linked.env)[0]).toMatchObject({ line: 7, col: 17 })
  })

  it('an environment overlay that moves the context out is reported at its own line', () => {
    const m = machine('    context: .\nenvironments:\n  prod:\n    container:\n      build:\n        context: ../..\n')
    expect(checkBuildContext(m.loaded, m.desired(), m.env)).toEqual([])
    const [p] = checkBuildContext(m.loaded, m.desired('prod'), m.env)
    expect(p).toMatchObject({ line: 11, col: 18 })
    expect(p.message).toMatch(/outside the app's directory .* \(in environment prod\)$/)
  })

  it('allowContextOutsideApp lets a shared directory in, never $HOME, / or a parent of $HOME', () => {
    const shared = files(mkdtempSync(join(tmpdir(), 'shipit-shared-')), { Dockerfile: DOCKERFILE })
    const m = machine('    context: .\n')
    const judge = (context: string) => {
      const loaded = parseManifest(
        `name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n    context: ${context}\n    allowContextOutsideApp: true\n`,
        'app.yaml',
        {},
        m.app,
      )
      return checkBuildContext(loaded, asContainer(resolveDesired(loaded, { target: 'fargate' })), m.env)
    }
    expect(judge(shared)).toEqual([])
    expect(judge(m.home)[0].message).toBe(
      `container.build.context: ${m.home} is your home directory, which is never a build context (it holds ~/.aws and ~/.ssh)`,
    )
    expect(judge('/')[0].message).toContain('/ is the root of the filesystem')
    expect(judge(m.base)[0].message).toContain(`${m.base} holds your home directory ${m.home}`)
  })

  it('validate reports it as app.yaml:LINE:COL (exit 3)', async () => {
    const m = machine('    context: ../..\n')
    const saved = process.env.HOME
    process.env.HOME = m.home
    try {
      const err = await refusal(validateManifest(join(m.app, 'app.yaml'), 'fargate'))
      expect(err).toBeInstanceOf(ManifestError)
      expect(err.exitCode).toBe(3)
      expect(err.message).toMatch(/app\.yaml:6:14: container\.build\.context is .*, outside the app's directory/)
    } finally {
      process.env.HOME = saved
    }
  })

  it('prepareImage refuses it too, before reading any file of the context', async () => {
    const m = machine('    context: ..\n')
    const err = await refusal(prepareImage(m.desired(), m.env))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('BuildContextOutsideApp')
  })
})

describe('the build context: files that look like credentials are refused with their paths', () => {
  it('a copied ~/.aws, a .env with a secret, a private key and a hard link to ~/.aws/credentials', async () => {
    const m = machine('    context: .\n')
    files(m.app, {
      '.aws/credentials': FAKE_CREDENTIALS,
      '.env': 'DATABASE_PASSWORD=fake-db-password\n',
      'deploy/id_rsa': `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw'}\n-----END RSA PRIVATE KEY-----\n`,
    })
    linkSync(join(m.home, '.aws', 'credentials'), join(m.app, 'settings.ini'))
    const err = await refusal(prepareImage(m.desired(), m.env))
    expect(err.exitCode).toBe(3)
    expect(err.code).toBe('CredentialsInBuildContext')
    for (const line of [
      '.aws/credentials (under .aws/)',
      '.env (a .env file with a value for DATABASE_PASSWORD)',
      'deploy/id_rsa (a private key)',
      `settings.ini (a hard link to ${join(m.home, '.aws', 'credentials')})`,
    ])
      expect(err.message).toContain(line)
    expect(JSON.stringify([err.message, err.details])).not.toMatch(/fake-outside-secret|fake-db-password|MIIEow/)
    expect(err.suggestions.join('\n')).toMatch(/\.dockerignore[\s\S]*container\.build\.allowFiles/)
  })

  it('the target refuses them in prepare, which the engine awaits before observe sends anything', async () => {
    const m = machine('    context: .\n')
    files(m.app, { '.env': 'SESSION_SECRET=fake\n' })
    const target = await loadTarget('fargate')
    const saved = process.env.HOME
    process.env.HOME = m.home
    try {
      const err = await refusal(target.prepare(m.desired()))
      expect(err.code).toBe('CredentialsInBuildContext')
    } finally {
      process.env.HOME = saved
    }
  })

  it('passes what .dockerignore leaves out and what build.allowFiles names; the hash sees neither change', async () => {
    const m = machine('    context: .\n    allowFiles: ["test/*.pem"]\n')
    const before = await prepareImage(m.desired(), m.env)
    files(m.app, {
      '.dockerignore': '.env\n',
      '.env': 'API_TOKEN=fake\n',
      'test/client.pem': `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj'}\n-----END PRIVATE KEY-----\n`,
    })
    const after = await prepareImage(m.desired(), m.env)
    expect(after?.files).toBe((before?.files ?? 0) + 2) // .dockerignore and the allowed key
  })

  it('a Dockerfile that is a hard link to a credentials file is refused', async () => {
    const m = machine('    context: .\n    dockerfile: build.Dockerfile\n')
    linkSync(join(m.home, '.aws', 'credentials'), join(m.app, 'build.Dockerfile'))
    const err = await refusal(contextHash({ context: m.app, dockerfile: join(m.app, 'build.Dockerfile'), args: {}, platform: 'linux/amd64' }, { env: m.env }))
    expect(err.message).toContain(`build.Dockerfile (the Dockerfile: a hard link to ${join(m.home, '.aws', 'credentials')})`)
  })
})
