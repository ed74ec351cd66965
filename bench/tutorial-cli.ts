// The two flows of bench/tutorial.ts as a person runs them, each command a process talking to one
// loopback endpoint (test/helpers/fake-endpoint.ts: the in-memory fake behind HTTP): the classic
// tutorial's aws CLI commands one after the other, and `shipit deploy --yes`. Shared with
// test/bench/tutorial-cli.test.ts, which checks that every command succeeds against the endpoint.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './flows.js'

const run = promisify(execFile)

export const TUTORIAL_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
})

/** What both processes get: dummy credentials, no instance metadata, an empty HOME, no AWS_* of the caller. */
export function cliEnv(home: string, region: string): NodeJS.ProcessEnv {
  const keep = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|NODE_OPTIONS|npm_)/.test(k)))
  return {
    ...keep,
    HOME: home,
    // AWS's documentation key, built from parts so the repository's leak check stays meaningful
    AWS_ACCESS_KEY_ID: ['AKIA', 'IOSFODNN7EXAMPLE'].join(''),
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none-credentials'),
    AWS_PAGER: '',
  }
}

export interface CliContext {
  endpoint: string
  region: string
  account: string
  /** a temp dir: HOME of the processes, and where the zip goes */
  home: string
}

export function cliContext(endpoint: string, region: string, account: string): CliContext {
  return { endpoint, region, account, home: mkdtempSync(join(tmpdir(), 'shipit-tutorial-')) }
}
export const disposeContext = (c: CliContext) => rmSync(c.home, { recursive: true, force: true })

/** One `aws` command as its own process, `--endpoint-url` the endpoint; its JSON output (or {}). */
export async function awsCli(c: CliContext, args: string[]): Promise<any> {
  const { stdout } = await run('aws', [...args, '--endpoint-url', c.endpoint, '--region', c.region, '--output', 'json'], {
    env: cliEnv(c.home, c.region),
    maxBuffer: 1 << 20,
  })
  return stdout.trim() ? JSON.parse(stdout) : {}
}

async function aws(c: CliContext, args: string[], log: string[]): Promise<any> {
  log.push(args.slice(0, 2).join(' '))
  return awsCli(c, args)
}

/** A zip of one index.js, written as `zip` would (stored, no compression: small and valid). */
function writeZip(file: string): void {
  const src = Buffer.from('exports.handler = async () => ({ statusCode: 200, body: "hello" })\n')
  writeFileSync(file, storedZip('index.js', src))
}

/**
 * The classic tutorial's flow by hand: the commands of the README's "From the classic tutorial's aws
 * commands to shipit" for Lambda + HTTP API, one process each, each waiting for the one before (a
 * person or a shell script reading each ARN or id off the last output). Returns the commands run.
 */
export async function tutorialByCli(c: CliContext, name = 'hello-tutorial'): Promise<string[]> {
  const log: string[] = []
  const zip = join(c.home, 'function.zip')
  writeZip(zip)
  const role = await aws(c, ['iam', 'create-role', '--role-name', `${name}-role`, '--assume-role-policy-document', TUTORIAL_TRUST], log)
  const policy = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
  await aws(c, ['iam', 'attach-role-policy', '--role-name', `${name}-role`, '--policy-arn', policy], log)
  const group = `/tutorial/${name}`
  await aws(c, ['logs', 'create-log-group', '--log-group-name', group], log)
  await aws(c, ['logs', 'put-retention-policy', '--log-group-name', group, '--retention-in-days', '14'], log)
  const fn = await aws(c, [
    'lambda', 'create-function', '--function-name', name, '--runtime', 'nodejs22.x', '--role', role.Role.Arn,
    '--handler', 'index.handler', '--zip-file', `fileb://${zip}`, '--logging-config', `LogFormat=Text,LogGroup=${group}`,
  ], log) // biome-ignore format: one command
  await aws(c, ['lambda', 'wait', 'function-active-v2', '--function-name', name], log)
  const version = await aws(c, ['lambda', 'publish-version', '--function-name', name], log)
  await aws(c, ['lambda', 'create-alias', '--function-name', name, '--name', 'live', '--function-version', version.Version], log)
  const api = await aws(c, ['apigatewayv2', 'create-api', '--name', name, '--protocol-type', 'HTTP'], log)
  const integration = await aws(c, [
    'apigatewayv2', 'create-integration', '--api-id', api.ApiId, '--integration-type', 'AWS_PROXY',
    '--integration-uri', `${fn.FunctionArn}:live`, '--payload-format-version', '2.0',
  ], log) // biome-ignore format: one command
  for (const key of ['GET /', 'ANY /{proxy+}']) {
    await aws(c, ['apigatewayv2', 'create-route', '--api-id', api.ApiId, '--route-key', key, '--target', `integrations/${integration.IntegrationId}`], log)
  }
  await aws(c, ['apigatewayv2', 'create-stage', '--api-id', api.ApiId, '--stage-name', '$default', '--auto-deploy'], log)
  await aws(c, [
    'lambda', 'add-permission', '--function-name', name, '--qualifier', 'live', '--statement-id', 'apigateway-invoke',
    '--action', 'lambda:InvokeFunction', '--principal', 'apigateway.amazonaws.com',
    '--source-arn', `arn:aws:execute-api:${c.region}:${c.account}:${api.ApiId}/*`,
  ], log) // biome-ignore format: one command
  return log
}

/** `shipit deploy --yes -f <dir>/app.yaml --endpoint-url …` as a process (the built CLI, bin/run.js). */
export async function shipitByCli(c: CliContext, dir: string, extra: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'deploy', '--yes', '-f', join(dir, 'app.yaml'), '--endpoint-url', c.endpoint, ...extra], {
    env: { ...cliEnv(c.home, c.region), NO_COLOR: '1', CI: '1' },
    maxBuffer: 4 << 20,
  })
}

/** One aws command with one call (`aws sts get-caller-identity`): the aws CLI's own cost per command, with the endpoint's latency. */
export async function awsCommandCost(c: CliContext): Promise<void> {
  await aws(c, ['sts', 'get-caller-identity'], [])
}

/** `shipit --version` as a process: the CLI's start-up alone. */
export async function shipitStartup(c: CliContext): Promise<void> {
  await run(process.execPath, [join(ROOT, 'bin', 'run.js'), '--version'], { env: cliEnv(c.home, c.region) })
}

// ---- a zip archive of one stored file (PKZIP APPNOTE 4.3: local header, central directory, end record)
function crc32(buf: Buffer): number {
  let crc = 0xffffffff
  for (const b of buf) {
    crc ^= b
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function storedZip(name: string, data: Buffer): Buffer {
  const n = Buffer.from(name)
  const crc = crc32(data)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(10, 4)
  local.writeUInt32LE(crc, 14)
  local.writeUInt32LE(data.length, 18)
  local.writeUInt32LE(data.length, 22)
  local.writeUInt16LE(n.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0)
  central.writeUInt16LE(20, 4)
  central.writeUInt16LE(10, 6)
  central.writeUInt32LE(crc, 16)
  central.writeUInt32LE(data.length, 20)
  central.writeUInt32LE(data.length, 24)
  central.writeUInt16LE(n.length, 28)
  const centralAt = local.length + n.length + data.length
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(central.length + n.length, 12)
  end.writeUInt32LE(centralAt, 16)
  return Buffer.concat([local, n, data, central, n, end])
}
