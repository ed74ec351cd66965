import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makePlan, type Planned } from '../../src/engine/plan.js'
import { openSession } from '../../src/engine/session.js'
import { renderRunbook } from '../../src/plan/runbook.js'
import { writeRunbook } from '../../src/plan/runbook-files.js'
import type { Plan, Step } from '../../src/plan/types.js'
import { CONTAINER_CATALOGUE } from '../../src/targets/container/catalogue.js'
import { DEFAULT_SUBNETS_PLACEHOLDER, DEFAULT_VPC_PLACEHOLDER } from '../../src/targets/container/network.js'
import { LAMBDA_CATALOGUE, S3 } from '../../src/targets/lambda/catalogue.js'
import { ACCOUNT_PLACEHOLDER } from '../../src/targets/target.js'
import { cleanEnv, shipit } from '../helpers/cli.js'
import { FAKE_AWS_ANSWERS } from '../helpers/fake-aws.js'

const EXAMPLES = resolve(import.meta.dirname, '../../examples')
const NASTY = `p a"s's $HOME \`x\` \\n {}`

/**
 * An `aws` that records its argv (one JSON line per call) and answers: `--version` with
 * FAKE_AWS_VERSION, a `--query` capture with `fake(<query>)` (as JSON when asked for JSON), and fails
 * the first FAKE_AWS_FAIL_TIMES calls of FAKE_AWS_FAIL_OP with FAKE_AWS_FAIL_ERROR, as the aws CLI does.
 */
const FAKE_AWS = `#!/usr/bin/env node
const fs = require('node:fs')
const argv = process.argv.slice(2)
fs.appendFileSync(process.env.FAKE_AWS_LOG, JSON.stringify(argv) + '\\n')
if (argv[0] === '--version') { console.log((process.env.FAKE_AWS_VERSION || 'aws-cli/2.15.0') + ' Python/3.11.6 Linux/6.1 exe/x86_64'); process.exit(0) }
if (argv[1] === process.env.FAKE_AWS_FAIL_OP) {
  const counter = process.env.FAKE_AWS_LOG + '.failed'
  const failed = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0
  if (failed < Number(process.env.FAKE_AWS_FAIL_TIMES || 0)) {
    fs.writeFileSync(counter, String(failed + 1))
    console.error('\\nAn error occurred (' + process.env.FAKE_AWS_FAIL_ERROR + ') when calling the X operation: ' + process.env.FAKE_AWS_FAIL_MESSAGE)
    process.exit(254)
  }
}
// an aws … wait lasts FAKE_AWS_WAIT_SECONDS of the script's (fake) sleep 1: it returns once the script slept that often meanwhile
if (argv[1] === 'wait' && process.env.FAKE_AWS_WAIT_SECONDS) {
  const slept = () => (fs.existsSync(process.env.FAKE_SLEEP_LOG) ? fs.readFileSync(process.env.FAKE_SLEEP_LOG, 'utf8').length : 0)
  const until = slept() + Number(process.env.FAKE_AWS_WAIT_SECONDS)
  const deadline = Date.now() + 20000
  while (slept() < until && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
}
${FAKE_AWS_ANSWERS}`

interface ScriptRun {
  code: number | null
  stderr: string
  calls: string[][]
}

let bin: string

/** Runs a runbook with the fake aws (and a `sleep` that returns at once) first on PATH. */
function runScript(script: string, env: Record<string, string> = {}): ScriptRun {
  const log = join(mkdtempSync(join(tmpdir(), 'shipit-fake-aws-')), 'calls.jsonl')
  writeFileSync(log, '')
  const r = spawnSync('bash', [script], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: '/nonexistent-home', FAKE_AWS_LOG: log, ...env },
  })
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[])
  return { code: r.status, stderr: r.stderr, calls }
}

const option = (call: string[] | undefined, flag: string) => (call ? call[call.indexOf(flag) + 1] : undefined)
const findCall = (calls: string[][], service: string, op: string) => calls.find((c) => c[0] === service && c[1] === op)
const kebabOp = (s: Step) => s.request.operation.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()

async function offlinePlan(file: string, target: 'lambda' | 'fargate' | 'ecs', env?: string, vars: Record<string, string> = {}): Promise<Planned> {
  const session = await openSession({ file, target, env, mutates: false, vars, offline: true })
  return makePlan(session, { command: 'deploy' })
}

/** The lambda example with a secret env value. */
function lambdaAppWithSecret(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-app-'))
  cpSync(join(EXAMPLES, 'hello-lambda', 'src'), join(dir, 'src'), { recursive: true })
  const yaml = readFileSync(join(EXAMPLES, 'hello-lambda', 'app.yaml'), 'utf8').replace(
    /^env:\n/m,
    'env:\n  API_KEY: { value: "${env:API_KEY}", secret: true }\n',
  )
  writeFileSync(join(dir, 'app.yaml'), yaml)
  return join(dir, 'app.yaml')
}

async function writtenRunbook(planned: Planned): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
  await writeRunbook(dir, planned.plan, planned.prepared.artifacts, catalogueOf(planned.plan))
  return join(dir, 'deploy.sh')
}

const catalogueOf = (plan: Plan) => (plan.target === 'lambda' ? LAMBDA_CATALOGUE : CONTAINER_CATALOGUE)
const render = (plan: Plan) => renderRunbook(plan, { catalogue: catalogueOf(plan) })

/** The aws calls that perform steps, in order: not the version check, the lookups or the waits. */
function stepCalls(calls: string[][]): string[] {
  return calls.filter((c) => c[0] !== '--version' && c[1] !== 'wait' && !/^(get|describe)-/.test(c[1])).map((c) => `${c[0]} ${c[1]}`)
}

describe('the runbook (plan --cli)', () => {
  let lambda: Planned
  let fargate: Planned
  let fargateTask: Planned
  let ecs: Planned

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'shipit-fake-bin-'))
    writeFileSync(join(bin, 'aws'), FAKE_AWS, { mode: 0o755 })
    // a sleep that returns at once, counting its calls in FAKE_SLEEP_LOG (one byte each)
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\n[ -z "$FAKE_SLEEP_LOG" ] || printf . >>"$FAKE_SLEEP_LOG"\nexit 0\n', { mode: 0o755 })
    // the image of an app built from source: a docker that builds and pushes nothing
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    lambda = await offlinePlan(lambdaAppWithSecret(), 'lambda', undefined, { API_KEY: 'planned-secret-value' })
    fargate = await offlinePlan(join(EXAMPLES, 'hello-fargate', 'app.yaml'), 'fargate')
    fargateTask = await offlinePlan(join(EXAMPLES, 'hello-fargate', 'app.yaml'), 'fargate', 'task')
    ecs = await offlinePlan(join(EXAMPLES, 'hello-ecs', 'app.yaml'), 'ecs')
  })

  it('the placeholders it looks up are the ones the planners write offline', () => {
    for (const p of [ACCOUNT_PLACEHOLDER, DEFAULT_VPC_PLACEHOLDER, DEFAULT_SUBNETS_PLACEHOLDER])
      expect(Object.keys(CONTAINER_CATALOGUE.placeholders)).toContain(p)
    expect(Object.keys(LAMBDA_CATALOGUE.placeholders)).toContain(ACCOUNT_PLACEHOLDER)
  })

  it('the script of each example app is valid bash', () => {
    for (const planned of [lambda, fargate, fargateTask, ecs]) {
      const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
      writeFileSync(join(dir, 'deploy.sh'), render(planned.plan))
      const r = spawnSync('bash', ['-n', join(dir, 'deploy.sh')], { encoding: 'utf8' })
      expect(r.stderr, planned.plan.app).toBe('')
      expect(r.status).toBe(0)
    }
  })

  it('lambda: runs every step in order, with the captured values in the later calls and the secret unchanged', async () => {
    const script = await writtenRunbook(lambda)
    const r = runScript(script, { API_KEY: NASTY })
    expect(r.stderr).toContain('==> + create lambda:permission')
    expect(r.code).toBe(0)
    expect(stepCalls(r.calls)).toEqual(lambda.plan.steps.map((s) => `${s.request.service} ${kebabOp(s)}`))

    const create = findCall(r.calls, 'lambda', 'create-function')
    expect(option(create, '--role')).toBe('fake(Role.Arn)')
    expect(option(create, '--zip-file')).toBe(`fileb://${join(script, '..')}/function.zip`)
    // an argument with a secret goes in a private file, never on the command line: its content is checked in runbook-secrets.test.ts
    expect(option(create, '--environment')).toMatch(/^file:\/\/.*\/1\.json$/)
    expect(JSON.stringify(r.calls)).not.toContain('p a')
    expect(option(findCall(r.calls, 'lambda', 'create-alias'), '--function-version')).toBe('fake(Version)')
    expect(option(findCall(r.calls, 'apigatewayv2', 'create-integration'), '--integration-uri')).toBe(
      'arn:aws:lambda:us-west-2:fake(Account):function:hello-dev:live',
    )
    expect(option(findCall(r.calls, 'apigatewayv2', 'create-route'), '--target')).toBe('integrations/fake(IntegrationId)')
    expect(option(findCall(r.calls, 'lambda', 'add-permission'), '--source-arn')).toBe('arn:aws:execute-api:us-west-2:fake(Account):fake(ApiId)/*')
    // create-function publishes (--publish) and the wait is on the version it captured
    expect(create).toContain('--publish')
    const waits = r.calls.filter((c) => c[1] === 'wait').map((c) => c.slice(0, 3).join(' '))
    expect(waits).toEqual(['lambda wait function-active-v2'])
    expect(option(r.calls.filter((c) => c[1] === 'wait')[0], '--qualifier')).toBe('fake(Version)')
    expect(r.calls.some((c) => c[1] === 'publish-version')).toBe(false)
    expect(readFileSync(script, 'utf8')).not.toContain('planned-secret-value')
  })

  it('lambda: an unset secret stops the script before any call, saying what to set', async () => {
    const r = runScript(await writtenRunbook(lambda))
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('API_KEY: set API_KEY to the secret value')
    expect(r.calls).toEqual([])
  })

  it('lambda: an aws CLI older than --logging-config needs stops the script with the version to get', async () => {
    const r = runScript(await writtenRunbook(lambda), { API_KEY: 'x', FAKE_AWS_VERSION: 'aws-cli/1.29.62' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /needs aws CLI 1\.30\.2 or later \(aws lambda create-function --logging-config is not known to older releases\); this is 1\.29\.62/,
    )
    expect(r.calls).toEqual([['--version']])
  })

  it('lambda: create-function is retried while the new role propagates, and no longer than the bound', async () => {
    const script = await writtenRunbook(lambda)
    const propagating = {
      API_KEY: 'x',
      FAKE_AWS_FAIL_OP: 'create-function',
      FAKE_AWS_FAIL_ERROR: 'InvalidParameterValueException',
      FAKE_AWS_FAIL_MESSAGE: 'The role defined for the function cannot be assumed by Lambda.',
    }
    const twice = runScript(script, { ...propagating, FAKE_AWS_FAIL_TIMES: '2' })
    expect(twice.code).toBe(0)
    expect(twice.calls.filter((c) => c[1] === 'create-function')).toHaveLength(3)

    const never = runScript(script, { ...propagating, FAKE_AWS_FAIL_TIMES: '1000' })
    expect(never.code).toBe(1)
    expect(never.calls.filter((c) => c[1] === 'create-function')).toHaveLength(30)
    expect(never.stderr).toContain('still failing after 30 attempts')
    expect(never.calls.some((c) => c[1] === 'create-alias')).toBe(false)

    const other = runScript(script, { ...propagating, FAKE_AWS_FAIL_TIMES: '1', FAKE_AWS_FAIL_ERROR: 'AccessDeniedException' })
    expect(other.code).toBe(1)
    expect(other.calls.filter((c) => c[1] === 'create-function')).toHaveLength(1)
    expect(other.stderr).toContain('(AccessDeniedException)')
  })

  it('fargate: the default VPC and subnets are looked up, and the service waits for its rollout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(fargate.plan))
    const r = runScript(join(dir, 'deploy.sh'))
    expect(r.code).toBe(0)
    expect(stepCalls(r.calls)).toEqual(fargate.plan.steps.map((s) => `${s.request.service} ${kebabOp(s)}`))
    expect(option(findCall(r.calls, 'ec2', 'create-security-group'), '--vpc-id')).toBe('fake(Vpcs[0].VpcId)')
    expect(option(findCall(r.calls, 'ecs', 'register-task-definition'), '--execution-role-arn')).toBe('fake(Role.Arn)')
    const service = findCall(r.calls, 'ecs', 'create-service')
    expect(option(service, '--task-definition')).toBe('fake(taskDefinition.taskDefinitionArn)')
    expect(JSON.parse(option(service, '--network-configuration') ?? '{}')).toEqual({
      awsvpcConfiguration: {
        subnets: ['fake(sort(Subnets[].SubnetId))-1', 'fake(sort(Subnets[].SubnetId))-2'],
        securityGroups: ['fake(GroupId)'],
        assignPublicIp: 'ENABLED',
      },
    })
    // the rollout of the PRIMARY deployment, read as shipit's own waiter reads it, not services-stable
    expect(r.calls.find((c) => c[1] === 'wait' && c[2] === 'services-stable')).toBeUndefined()
    const poll = findCall(r.calls, 'ecs', 'describe-services')
    expect(poll).toEqual(expect.arrayContaining(['--cluster', 'hello-fargate-dev', '--services', 'hello-fargate-dev']))
    expect(option(poll, '--query')).toContain('rolloutState')
    expect(r.calls.find((c) => c[1] === 'wait' && c[2] === 'role-exists')).toBeDefined()
  })

  it('fargate task mode: the task ARNs run-task answers are what tasks-stopped waits for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(fargateTask.plan))
    const r = runScript(join(dir, 'deploy.sh'))
    expect(r.code).toBe(0)
    expect(option(findCall(r.calls, 'ecs', 'run-task'), '--query')).toBe('tasks[].taskArn')
    const wait = r.calls.find((c) => c[1] === 'wait' && c[2] === 'tasks-stopped')
    expect(JSON.parse(option(wait, '--tasks') ?? '[]')).toEqual(['fake(tasks[].taskArn)-1', 'fake(tasks[].taskArn)-2'])
  })

  it('ecs: every step in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(ecs.plan))
    const r = runScript(join(dir, 'deploy.sh'))
    expect(r.code).toBe(0)
    expect(stepCalls(r.calls)).toEqual(ecs.plan.steps.map((s) => `${s.request.service} ${kebabOp(s)}`))
  })

  it('a precondition is checked before its call; several values of one answer are captured together', () => {
    const update = (equals: string): Step => ({
      id: 'service',
      action: 'update',
      resource: { type: 'ecs:service', name: 'web' },
      request: { service: 'ecs', operation: 'UpdateService', input: { cluster: 'c', service: 'web', desiredCount: 2 } },
      precondition: {
        request: { service: 'ecs', operation: 'DescribeServices', input: { cluster: 'c', services: ['web'] } },
        path: 'services.0.taskDefinition',
        equals,
        what: 'the task definition of service web',
      },
      dependsOn: [],
    })
    const tag: Step = {
      id: 'tag',
      action: 'update',
      resource: { type: 'ecs:tags', name: 'web' },
      request: {
        service: 'ecs',
        operation: 'TagResource',
        input: {
          resourceArn: { ref: 'service', output: 'service.serviceArn' },
          tags: [{ key: 'n', value: { ref: 'service', output: 'service.desiredCount' } }],
        },
      },
      dependsOn: ['service'],
    }
    const script = (equals: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
      writeFileSync(join(dir, 'deploy.sh'), render({ ...ecs.plan, steps: [update(equals), tag] }))
      return join(dir, 'deploy.sh')
    }
    const same = runScript(script('fake(services[0].taskDefinition)'))
    expect(same.code).toBe(0)
    expect(option(findCall(same.calls, 'ecs', 'update-service'), '--query')).toBe('[service.serviceArn, service.desiredCount]')
    const tagged = findCall(same.calls, 'ecs', 'tag-resource')
    expect(option(tagged, '--resource-arn')).toBe('fake(service.serviceArn)')
    expect(JSON.parse(option(tagged, '--tags') ?? '[]')).toEqual([{ key: 'n', value: 'fake(service.desiredCount)' }])

    const changed = runScript(script('hello-ecs-dev:7'))
    expect(changed.code).toBe(1)
    expect(changed.stderr).toContain('the task definition of service web changed since the plan was made')
    expect(findCall(changed.calls, 'ecs', 'update-service')).toBeUndefined()
  })

  it('a step the aws CLI cannot do is rendered by the hook for its service, or stops the script there', () => {
    const build: Step = {
      id: 'image',
      action: 'create',
      resource: { type: 'container:image', name: 'hello-web:abc' },
      request: { service: 'container', operation: 'Build', input: { context: '.' } },
      dependsOn: [],
    }
    const plan: Plan = { ...fargate.plan, steps: [build, ...fargate.plan.steps] }
    const withBuild = {
      ...CONTAINER_CATALOGUE,
      operations: [
        ...CONTAINER_CATALOGUE.operations.filter((o) => o.service !== 'container'),
        { service: 'container', operation: 'Build', read: false, script: () => ['docker build -t hello-web:abc .'] },
      ],
    }
    expect(renderRunbook(plan, { catalogue: withBuild })).toContain('docker build -t hello-web:abc .')
    const without = { ...CONTAINER_CATALOGUE, operations: CONTAINER_CATALOGUE.operations.filter((o) => o.service !== 'container') }
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), renderRunbook(plan, { catalogue: without }))
    const r = runScript(join(dir, 'deploy.sh'))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('container Build is not an aws CLI call')
    expect(stepCalls(r.calls)).toEqual([])
  })

  it('fargate: the service wait prints where the rollout stands every poll, and goes on when it is COMPLETED', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(fargate.plan))
    const ours = 'fake(taskDefinition.taskDefinitionArn)'
    const r = runScript(join(dir, 'deploy.sh'), { FAKE_AWS_ROLLOUT: `${ours} IN_PROGRESS 0 1 1;${ours} IN_PROGRESS 1 1 1;${ours} COMPLETED 1 1 0` })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('service hello-fargate-dev: IN_PROGRESS, 0/1 tasks running (0 s)')
    expect(r.stderr).toContain('service hello-fargate-dev: IN_PROGRESS, 1/1 tasks running (15 s)')
    expect(r.calls.filter((c) => c[1] === 'describe-services')).toHaveLength(3)
  })

  it('fargate: the service wait fails when the rollout FAILED, and when ECS rolled back to the old revision', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(fargate.plan))
    const failed = runScript(join(dir, 'deploy.sh'), { FAKE_AWS_ROLLOUT: 'fake(taskDefinition.taskDefinitionArn) FAILED 0 1 0' })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('service hello-fargate-dev: the deployment of fake(taskDefinition.taskDefinitionArn) failed')
    // after a circuit-breaker rollback the PRIMARY deployment is the old revision, and it completes: services-stable would say stable
    const back = runScript(join(dir, 'deploy.sh'), { FAKE_AWS_ROLLOUT: 'arn:aws:ecs:us-west-2:1:task-definition/hello-fargate-dev:1 COMPLETED 1 1 0' })
    expect(back.code).toBe(1)
    expect(back.stderr).toContain('ECS rolled the deployment of fake(taskDefinition.taskDefinitionArn) back to hello-fargate-dev:1')
    expect(back.stderr).not.toContain('==> done')
  })

  it('lambda: a long aws wait prints a line every 15 s while it runs', async () => {
    const sleeps = join(mkdtempSync(join(tmpdir(), 'shipit-sleeps-')), 'sleeps')
    const r = runScript(await writtenRunbook(lambda), { API_KEY: 'x', FAKE_AWS_WAIT_SECONDS: '31', FAKE_SLEEP_LOG: sleeps })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('waiting for function hello-dev to be Active (15 s)')
    expect(r.stderr).toContain('waiting for function hello-dev to be Active (30 s)')
    // one line per 15 s, never in between
    const seconds = [...r.stderr.matchAll(/to be Active \((\d+) s\)/g)].map((m) => Number(m[1]))
    expect(seconds.every((n) => n % 15 === 0)).toBe(true)
  })

  it('every runbook checks the newest aws CLI its commands need before any call, naming the command', async () => {
    const express = await offlinePlan(join(EXAMPLES, 'hello-web', 'app.yaml'), 'fargate')
    const cases: [Planned, string, string, string][] = [
      [lambda, 'aws-cli/2.13.36', '2.13.37', 'aws lambda create-function --logging-config'],
      [fargate, 'aws-cli/2.3.1', '2.3.2', 'aws ecs register-task-definition --runtime-platform'],
      [ecs, 'aws-cli/1.21.5', '1.21.6', 'aws ecs register-task-definition --runtime-platform'],
      [express, 'aws-cli/2.35.6', '2.35.7', 'aws ecs create-express-gateway-service --task-definition-arn'],
      [express, 'aws-cli/1.43.0', '1.45.32', 'aws ecs create-express-gateway-service --task-definition-arn'],
    ]
    for (const [planned, version, want, command] of cases) {
      const r = runScript(await writtenRunbook(planned), { API_KEY: 'x', FAKE_AWS_VERSION: version })
      expect(r.code, version).toBe(1)
      expect(r.stderr).toContain(`needs aws CLI ${want} or later (${command} is not known to older releases)`)
      expect(r.calls).toEqual([['--version']])
    }
    // the newest release passes the check of the Express app
    const ok = runScript(await writtenRunbook(express), { FAKE_AWS_VERSION: 'aws-cli/2.35.7' })
    expect(ok.stderr).not.toContain('needs aws CLI')
    expect(ok.code).toBe(0)
    expect(findCall(ok.calls, 'ecs', 'create-express-gateway-service')).toBeDefined()
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    writeFileSync(join(dir, 'deploy.sh'), render(express.plan))
    expect(spawnSync('bash', ['-n', join(dir, 'deploy.sh')]).status).toBe(0)
  })

  it('the bucket of a big package is made with aws s3api, which the script runs', () => {
    const bucket = (id: string, request: Step['request']): Step => ({
      id,
      action: 'create',
      resource: { type: 's3:bucket', name: 'shipit-artifacts' },
      request,
      dependsOn: [],
    })
    const steps = [
      bucket('bucket', S3.CreateBucket.request({ Bucket: 'shipit-artifacts', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } })),
      bucket('block', S3.PutPublicAccessBlock.request({ Bucket: 'shipit-artifacts', PublicAccessBlockConfiguration: { BlockPublicAcls: true } })),
    ]
    const dir = mkdtempSync(join(tmpdir(), 'shipit-runbook-'))
    const script = render({ ...lambda.plan, steps })
    expect(script).not.toContain('is not an aws CLI call')
    writeFileSync(join(dir, 'deploy.sh'), script)
    const r = runScript(join(dir, 'deploy.sh'))
    expect(r.code).toBe(0)
    expect(option(findCall(r.calls, 's3api', 'create-bucket'), '--bucket')).toBe('shipit-artifacts')
    expect(JSON.parse(option(findCall(r.calls, 's3api', 'put-public-access-block'), '--public-access-block-configuration') ?? '{}')).toEqual({
      BlockPublicAcls: true,
    })
  })
})

describe('shipit plan --cli --out DIR', () => {
  it('writes DIR/deploy.sh (executable) and DIR/function.zip, and shows the plan as text', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'shipit-out-')), 'runbook')
    const r = await shipit(['plan', '--target', 'lambda', '--cli', '--out', dir, '-f', join(EXAMPLES, 'hello-lambda', 'app.yaml')], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(statSync(join(dir, 'deploy.sh')).mode & 0o777).toBe(0o755)
    expect(readFileSync(join(dir, 'function.zip')).subarray(0, 2).toString()).toBe('PK')
    expect(r.stdout).toContain('+ lambda:function hello-dev')
    expect(r.stderr).toContain(`Wrote ${dir}/deploy.sh and ${dir}/function.zip; run it with: bash ${dir}/deploy.sh`)
  })

  it('with --out naming a file that is not a directory, exits 3 and says --out is a directory with --cli', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-out-'))
    writeFileSync(join(dir, 'file'), '')
    const r = await shipit(['plan', '--target', 'lambda', '--cli', '--out', join(dir, 'file'), '-f', join(EXAMPLES, 'hello-lambda', 'app.yaml')], {
      env: cleanEnv(),
    })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('--out names a directory')
  })
})
