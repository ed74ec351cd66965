import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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

describe('shipit deploy refuses a build context outside the app or holding credentials (exit 3, no AWS call, no build)', () => {
  for (const [what, build, extra] of [
    ['context: ..', '    context: ..\n', {}],
    ['dockerfile: ~/.aws/credentials', '    context: .\n    dockerfile: ~/.aws/credentials\n', {}],
    ['a copy of ~/.aws and a .env with a secret in the context', '    context: .\n', { '.aws/credentials': 'COPY', '.env': 'DB_PASSWORD=fake-db-password\n' }],
  ] as const) {
    it(what, async () => {
      const base = mkdtempSync(join(tmpdir(), 'shipit-fence-cli-'))
      const home = join(base, 'home')
      mkdirSync(join(home, '.aws'), { recursive: true })
      writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAFAKEOUTSIDE0000\naws_secret_access_key = fake-outside-secret\n')
      const app = join(home, 'app')
      mkdirSync(app)
      writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\nCOPY . .\n')
      // enough files that listing them takes longer than the first AWS request would to leave
      if (Object.keys(extra).length) for (let i = 0; i < 3000; i++) writeFileSync(join(app, `asset-${i}.txt`), `asset ${i}\n`)
      for (const [path, content] of Object.entries(extra)) {
        mkdirSync(join(app, path, '..'), { recursive: true })
        writeFileSync(join(app, path), content === 'COPY' ? readFileSync(join(home, '.aws', 'credentials')) : content)
      }
      writeFileSync(join(app, 'app.yaml'), `name: web\nregion: us-west-2\ncontainer:\n  port: 8080\n  build:\n${build}`)
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
      const expected = {
        'context: ..': /app\.yaml:6:14: container\.build\.context is /,
        'dockerfile: ~/.aws/credentials': /app\.yaml:7:17: container\.build\.dockerfile is /,
        'a copy of ~/.aws and a .env with a secret in the context':
          /look like credentials[\s\S]*\.aws\/credentials \(under \.aws\/\)[\s\S]*\.env \(a \.env file with a value for DB_PASSWORD\)/,
      }[what]
      expect(r.stderr).toMatch(expected)
      expect(r.stderr).not.toMatch(/fake-outside-secret|fake-db-password/)
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    })
  }
})
