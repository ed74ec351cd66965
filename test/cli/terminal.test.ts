import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, expectNoNoise, expectOneClearError, hasEscapeCodes, ROOT, shipit, shipitOnTerminal } from '../helpers/cli.js'
import { emptyAccount, jsonOk, type LoopbackStub, startStub } from '../helpers/loopback.js'

/** Colour, prompts and "nothing there" answers, on a real pseudo-terminal where one is needed. */

const READ = /^(Get|List|Describe|Filter)/
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'terminal-test-key-id', AWS_SECRET_ACCESS_KEY: 'terminal-test-secret', AWS_REGION: 'us-west-2' }

let project: string
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'shipit-terminal-'))
  cpSync(join(ROOT, 'examples', 'hello-lambda'), project, { recursive: true })
})

/** cleanEnv sets NO_COLOR=1 for every other test; these decide colour themselves. */
function colourEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra)
  if (!('NO_COLOR' in extra)) delete env.NO_COLOR
  return env
}

const PLAN = ['plan', '--target', 'lambda']

describe('colour is decided per stream', () => {
  it('on a terminal the plan is coloured (the baseline the other cases are measured against)', async () => {
    const r = await shipitOnTerminal(PLAN, { cwd: project, env: colourEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Plan: 12 to create')
    expect(hasEscapeCodes(r.stdout)).toBe(true)
  })

  it('stdout redirected to a file has no escape codes, while stderr stays a terminal', async () => {
    const file = join(project, 'plan.txt')
    const r = await shipitOnTerminal(PLAN, { cwd: project, env: colourEnv(), stdoutTo: file })
    expect(r.code).toBe(0)
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('Plan: 12 to create')
    expect(hasEscapeCodes(text)).toBe(false)
  })

  it('NO_COLOR=1 on a terminal: no escape codes at all', async () => {
    const r = await shipitOnTerminal(PLAN, { cwd: project, env: colourEnv({ NO_COLOR: '1' }) })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Plan: 12 to create')
    expect(hasEscapeCodes(r.stdout)).toBe(false)
  })

  it('--no-color on a terminal: no escape codes at all', async () => {
    const r = await shipitOnTerminal([...PLAN, '--no-color'], { cwd: project, env: colourEnv() })
    expect(r.code).toBe(0)
    expect(hasEscapeCodes(r.stdout)).toBe(false)
  })

  it('FORCE_COLOR=1 into a pipe: coloured', async () => {
    const r = await shipit(PLAN, { cwd: project, env: colourEnv({ FORCE_COLOR: '1' }) })
    expect(r.code).toBe(0)
    expect(hasEscapeCodes(r.stdout)).toBe(true)
  })

  it('--json on a terminal, even with FORCE_COLOR: nothing but the plain document on stdout', async () => {
    const r = await shipitOnTerminal([...PLAN, '--json'], { cwd: project, env: colourEnv({ FORCE_COLOR: '1' }) })
    expect(r.code).toBe(0)
    expect(hasEscapeCodes(r.stdout)).toBe(false)
    expect(JSON.parse(r.stdout.replace(/\r\n/g, '\n'))).toMatchObject({ app: 'hello', target: 'lambda' })
  })
})

describe('against an account where the app does not exist (a loopback AWS)', () => {
  let stub: LoopbackStub | undefined
  afterEach(async () => stub?.close())

  it('Ctrl-C at the confirmation prompt: exit 130, "interrupted: nothing was changed", no write sent', async () => {
    stub = await startStub((req) => emptyAccount(req))
    let pressed = false
    const r = await shipitOnTerminal(['deploy', '--target', 'lambda', '--endpoint-url', stub.url], {
      cwd: project,
      env: cleanEnv(CREDENTIALS),
      onOutput: (soFar, write) => {
        if (!pressed && soFar.includes('Only "yes" is accepted')) {
          pressed = true
          write('\x03')
        }
      },
    })
    expect(pressed).toBe(true)
    expect(r.code).toBe(130)
    expect(r.stdout).toContain('interrupted: nothing was changed')
    expect(r.stdout).not.toContain('looks like a bug')
    expectNoNoise(r.stdout)
    // no write of the app's; the deploy lock it took while asking was released
    expect(stub.requests.filter((q) => !READ.test(q.operation) && q.operation !== 'GetCallerIdentity' && q.service !== 'dynamodb')).toEqual([])
    expect(stub.requests.filter((q) => q.service === 'dynamodb').map((q) => q.operation)).toEqual(['PutItem', 'DeleteItem'])
  })

  it('answering anything but "yes" cancels: exit 1, nothing changed', async () => {
    stub = await startStub((req) => emptyAccount(req))
    let answered = false
    const r = await shipitOnTerminal(['deploy', '--target', 'lambda', '--endpoint-url', stub.url], {
      cwd: project,
      env: cleanEnv(CREDENTIALS),
      onOutput: (soFar, write) => {
        if (!answered && soFar.includes('Only "yes" is accepted')) {
          answered = true
          write('y\r')
        }
      },
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('cancelled; nothing was changed')
    // no write of the app's; the deploy lock it took while asking was released
    expect(stub.requests.filter((q) => !READ.test(q.operation) && q.operation !== 'GetCallerIdentity' && q.service !== 'dynamodb')).toEqual([])
    expect(stub.requests.filter((q) => q.service === 'dynamodb').map((q) => q.operation)).toEqual(['PutItem', 'DeleteItem'])
  })

  it('status of an app never deployed: exit 1 and "hello (dev) is not deployed on lambda"', async () => {
    stub = await startStub((req) => emptyAccount(req))
    const r = await shipit(['status', '--target', 'lambda', '--endpoint-url', stub.url], { cwd: project, env: cleanEnv(CREDENTIALS) })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('hello (dev) is not deployed on lambda')
    expectOneClearError(r.stderr)
    expect(r.stdout).toBe('')
  })

  it('logs with nothing to show: exit 0, stdout empty, one line on stderr', async () => {
    stub = await startStub((req) => (req.operation === 'FilterLogEvents' ? jsonOk(req, { events: [] }) : emptyAccount(req)))
    const r = await shipit(['logs', '--target', 'lambda', '--endpoint-url', stub.url], { cwd: project, env: cleanEnv(CREDENTIALS) })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim()).toBe('no log events for hello (dev) on lambda in the last 10m')
  })
})
