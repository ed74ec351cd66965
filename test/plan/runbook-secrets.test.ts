import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makePlan } from '../../src/engine/plan.js'
import { openSession } from '../../src/engine/session.js'
import { renderRunbook } from '../../src/plan/runbook.js'
import { writeRunbook } from '../../src/plan/runbook-files.js'
import type { Plan, Step } from '../../src/plan/types.js'
import { LAMBDA_CATALOGUE } from '../../src/targets/lambda/catalogue.js'
import { FAKE_AWS_ANSWERS } from '../helpers/fake-aws.js'

/**
 * Issue 18, item 5: the runbook must never put a secret value on a command line, where `ps` and
 * /proc/PID/cmdline show it to every user of the machine. A fake `aws` and a `jq` that wraps the real
 * one record their own argv, their parent's, and the command line of every process they can see; the
 * secret must reach AWS (the fake reads the `file://` arguments) and be in none of them.
 */

const EXAMPLES = resolve(import.meta.dirname, '../../examples')
const SECRET = `s3cr3t-c4nary p"a's $HOME \`x\` \\n {}`

/** Every command line the process can read now: its own, its parent's, every /proc entry. */
const SCAN = `
const fs = require('node:fs')
function cmdlines() {
  const seen = []
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) {
    try { seen.push({ pid, argv: fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0') }) } catch {}
  }
  return seen
}
function record(tool, argv) {
  const parent = fs.readFileSync('/proc/' + process.ppid + '/cmdline', 'utf8').split('\\0')
  const leaked = cmdlines().filter((c) => c.argv.join(' ').includes(process.env.CANARY)).map((c) => c.argv)
  fs.appendFileSync(process.env.ARGV_LOG, JSON.stringify({ tool, argv, parent, leaked, seen: cmdlines().length }) + '\\n')
}
`

/** The fake aws: records as above, reads every file:// argument back (mode and content), answers captures with fake(<query>). */
const FAKE_AWS = `#!/usr/bin/env node
${SCAN}
const argv = process.argv.slice(2)
record('aws', argv)
const files = {}
for (const a of argv) if (a.startsWith('file://')) {
  const path = a.slice('file://'.length)
  files[path] = { content: fs.readFileSync(path, 'utf8'), mode: fs.statSync(path).mode & 0o777, dirMode: fs.statSync(require('node:path').dirname(path)).mode & 0o777 }
}
fs.appendFileSync(process.env.FILES_LOG, JSON.stringify({ argv, files }) + '\\n')
if (argv[0] === '--version') { console.log('aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64'); process.exit(0) }
if (argv[1] === process.env.FAIL_OP) { console.error('An error occurred (AccessDeniedException) when calling the X operation: no'); process.exit(254) }
${FAKE_AWS_ANSWERS}`

/** jq: records as above, then runs the real jq with the same arguments and streams. */
const JQ_WRAPPER = (realJq: string) => `#!/usr/bin/env node
${SCAN}
record('jq', process.argv.slice(2))
const r = require('node:child_process').spawnSync(${JSON.stringify(realJq)}, process.argv.slice(2), { stdio: 'inherit' })
process.exit(r.status ?? 1)
`

/** The real jq on PATH, if installed. */
function findJq(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'jq')
    if (dir && existsSync(candidate)) return candidate
  }
  return undefined
}
const REAL_JQ = findJq()

interface Recorded {
  tool: string
  argv: string[]
  parent: string[]
  leaked: string[][]
  seen: number
}

let bin: string

function runScript(script: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-argv-'))
  const argvLog = join(dir, 'argv.jsonl')
  const filesLog = join(dir, 'files.jsonl')
  writeFileSync(argvLog, '')
  writeFileSync(filesLog, '')
  const r = spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: '/nonexistent-home', ARGV_LOG: argvLog, FILES_LOG: filesLog, CANARY: 's3cr3t-c4nary', ...env },
  })
  const lines = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  const recorded = lines(argvLog) as Recorded[]
  const calls = lines(filesLog) as { argv: string[]; files: Record<string, { content: string; mode: number; dirMode: number }> }[]
  return { code: r.status, stderr: r.stderr, recorded, calls }
}

/** The secret is on no command line any recorder saw, and the recorders did run. */
function expectNoArgvHoldsTheSecret(run: ReturnType<typeof runScript>) {
  const tools = new Set(run.recorded.map((r) => r.tool))
  expect(tools).toContain('aws')
  expect(tools).toContain('jq')
  for (const r of run.recorded) {
    expect(r.argv.join(' '), r.tool).not.toContain('s3cr3t-c4nary')
    expect(r.parent.join(' '), `parent of ${r.tool}`).not.toContain('s3cr3t-c4nary')
    expect(r.leaked, `processes seen by ${r.tool}`).toEqual([])
    // it could see more than itself: the scan is not vacuous
    expect(r.seen).toBeGreaterThan(2)
  }
}

/** The content of the file an option names (`file://…`), as the aws CLI read it. */
function fileOption(run: ReturnType<typeof runScript>, op: string, flag: string) {
  const call = run.calls.find((c) => c.argv[1] === op)
  const value = call ? call.argv[call.argv.indexOf(flag) + 1] : undefined
  expect(value, `${op} ${flag}`).toMatch(/^file:\/\//)
  const file = call?.files[(value ?? '').slice('file://'.length)]
  expect(file?.mode, 'file mode').toBe(0o600)
  expect(file?.dirMode, 'directory mode').toBe(0o700)
  return { path: (value ?? '').slice('file://'.length), content: file?.content ?? '' }
}

function appWithSecret(example: string, target: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-app-'))
  cpSync(join(EXAMPLES, example), dir, { recursive: true })
  const file = join(dir, 'app.yaml')
  const yaml = readFileSync(file, 'utf8')
  const withSecret = /^env:\n/m.test(yaml)
    ? yaml.replace(/^env:\n/m, 'env:\n  API_KEY: { value: "${env:API_KEY}", secret: true }\n')
    : yaml.replace(/^(target: .*\n|name: .*\n)/m, `$1env:\n  API_KEY: { value: "\${env:API_KEY}", secret: true }\n`)
  writeFileSync(file, withSecret)
  expect(withSecret, target).toContain('API_KEY')
  return file
}

async function offlinePlan(file: string, target: 'lambda' | 'fargate' | 'ecs'): Promise<{ plan: Plan; dir: string }> {
  const session = await openSession({ file, target, mutates: false, vars: { API_KEY: 'planned-value' }, offline: true })
  const planned = await makePlan(session, { command: 'deploy' })
  const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
  await writeRunbook(dir, planned.plan, planned.prepared.artifacts, session.target.catalogue)
  return { plan: planned.plan, dir }
}

describe.skipIf(!REAL_JQ)('the runbook never puts a secret on a command line (real jq and a fake aws that record every argv)', () => {
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'shipit-argv-bin-'))
    writeFileSync(join(bin, 'aws'), FAKE_AWS, { mode: 0o755 })
    writeFileSync(join(bin, 'jq'), JQ_WRAPPER(REAL_JQ ?? 'jq'), { mode: 0o755 })
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
  })

  it('lambda create-function: --environment is a file only the user can read, with the secret unchanged, removed on exit', async () => {
    const { dir } = await offlinePlan(appWithSecret('hello-lambda', 'lambda'), 'lambda')
    const script = readFileSync(join(dir, 'deploy.sh'), 'utf8')
    expect(script).not.toMatch(/--arg API_KEY/)
    const run = runScript(join(dir, 'deploy.sh'), { API_KEY: SECRET })
    expect(run.code, run.stderr).toBe(0)
    expectNoArgvHoldsTheSecret(run)
    const environment = fileOption(run, 'create-function', '--environment')
    expect(JSON.parse(environment.content).Variables).toEqual({
      API_KEY: SECRET,
      LOG_LEVEL: 'info',
      GREETING: 'world',
      // the names of the secret values (never the values), recorded with the function
      SHIPIT_SENSITIVE_KEYS: 'API_KEY',
    })
    expect(existsSync(environment.path)).toBe(false)
  })

  it('ecs and fargate register-task-definition: --container-definitions the same', async () => {
    for (const [example, target] of [
      ['hello-fargate', 'fargate'],
      ['hello-ecs', 'ecs'],
    ] as const) {
      const { dir } = await offlinePlan(appWithSecret(example, target), target)
      const run = runScript(join(dir, 'deploy.sh'), { API_KEY: SECRET })
      expect(run.code, `${target}: ${run.stderr}`).toBe(0)
      expectNoArgvHoldsTheSecret(run)
      const definitions = fileOption(run, 'register-task-definition', '--container-definitions')
      const environment = JSON.parse(definitions.content)[0].environment as { name: string; value: string }[]
      expect(environment.find((e) => e.name === 'API_KEY')?.value).toBe(SECRET)
      expect(existsSync(definitions.path)).toBe(false)
    }
  })

  it('update-function-configuration, and a secret that is a whole string argument (written raw), with captured values beside it', async () => {
    const { plan } = await offlinePlan(appWithSecret('hello-lambda', 'lambda'), 'lambda')
    const update: Step = {
      id: 'function-config',
      action: 'update',
      resource: { type: 'lambda:function', name: 'hello-dev' },
      request: {
        service: 'lambda',
        operation: 'UpdateFunctionConfiguration',
        input: {
          FunctionName: 'hello-dev',
          Description: { sensitive: 'API_KEY', sha256: '' },
          Role: { ref: 'role', output: 'Role.Arn' },
          Environment: { Variables: { API_KEY: { sensitive: 'API_KEY', sha256: '' }, ROLE: { ref: 'role', output: 'Role.Arn' } } },
        },
      },
      dependsOn: ['role'],
    }
    const role = plan.steps.find((s) => s.id === 'role') as Step
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), renderRunbook({ ...plan, steps: [role, update] }, { catalogue: LAMBDA_CATALOGUE }))
    const run = runScript(join(dir, 'deploy.sh'), { API_KEY: SECRET })
    expect(run.code, run.stderr).toBe(0)
    expectNoArgvHoldsTheSecret(run)
    expect(fileOption(run, 'update-function-configuration', '--description').content).toBe(SECRET)
    expect(JSON.parse(fileOption(run, 'update-function-configuration', '--environment').content).Variables).toEqual({
      API_KEY: SECRET,
      ROLE: 'fake(Role.Arn)',
    })
  })

  it('a failing call still removes the secret files', async () => {
    const { dir } = await offlinePlan(appWithSecret('hello-lambda', 'lambda'), 'lambda')
    const run = runScript(join(dir, 'deploy.sh'), { API_KEY: SECRET, FAIL_OP: 'create-function' })
    expect(run.code).toBe(1)
    const call = run.calls.find((c) => c.argv[1] === 'create-function')
    const paths = Object.keys(call?.files ?? {})
    expect(paths.length).toBeGreaterThan(0)
    for (const path of paths) expect(existsSync(path)).toBe(false)
  })
})

describe.runIf(!REAL_JQ)('without jq installed', () => {
  it('the argv test above needs the real jq, which is not installed here', () => {
    expect(REAL_JQ).toBeUndefined()
  })
})
