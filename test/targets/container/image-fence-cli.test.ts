import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanEnv, shipit } from '../../helpers/cli.js'
import { emptyAccount, type LoopbackStub, startStub } from '../../helpers/loopback.js'
import { fakeCli } from './image-helpers.js'

// Issue 18 item 4 as the review met it: `shipit deploy --target fargate` with `context: ..` built the
// deployer's home into an image. Now: exit 3 at app.yaml's line, no AWS request (an endpoint that
// records every request), and no call to the container CLI. Needs the built CLI (`npm run build`).

let stub: LoopbackStub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

describe('shipit deploy refuses a build context outside the app (exit 3, file:line:col, no AWS call, no build)', () => {
  for (const [what, build] of [
    ['context: ..', '    context: ..\n'],
    ['dockerfile: ~/.aws/credentials', '    context: .\n    dockerfile: HOME/.aws/credentials\n'],
  ] as const) {
    it(what, async () => {
      const base = mkdtempSync(join(tmpdir(), 'shipit-fence-cli-'))
      const home = join(base, 'home')
      mkdirSync(join(home, '.aws'), { recursive: true })
      writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n')
      const app = join(home, 'app')
      mkdirSync(app)
      writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\nCOPY . .\n')
      writeFileSync(join(app, 'app.yaml'), `name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n${build.replace('HOME', home)}`)
      const cli = fakeCli()
      stub = await startStub((req) => emptyAccount(req))
      const env = cleanEnv({
        ...cli.env,
        HOME: home,
        AWS_ACCESS_KEY_ID: 'fence-test-key-id',
        AWS_SECRET_ACCESS_KEY: 'fence-test-secret',
        AWS_REGION: 'us-west-2',
      })
      const r = await shipit(['deploy', '--target', 'fargate', '--yes', '-f', join(app, 'app.yaml'), '--endpoint-url', stub.url], { env, timeoutMs: 30_000 })
      expect(r.code).toBe(3)
      expect(stub.requests.length).toBe(0)
      expect(cli.calls()).toEqual([])
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(what === 'context: ..' ? /app\.yaml:6:14: container\.build\.context is / : /app\.yaml:7:17: container\.build\.dockerfile is /)
      expect(r.stderr).not.toContain('fake-outside-secret')
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    })
  }
})
