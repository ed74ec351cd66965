import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, shipit } from '../helpers/cli.js'

const LAMBDA = 'examples/hello-lambda/app.yaml'
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/)

describe('the CLI as a user runs it', () => {
  it('--version prints the version on stdout', async () => {
    const r = await shipit(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^shipit\/\d+\.\d+\.\d+/)
  })

  it('deploy --dry-run without credentials plans offline: plan on stdout, exit 0', async () => {
    const r = await shipit(['deploy', '--target', 'lambda', '--dry-run', '-f', LAMBDA])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('offline: AWS was not read')
    for (const line of [
      '+ lambda:function hello-dev',
      '+ apigatewayv2:api hello-dev',
      '+ apigatewayv2:route GET /',
      '+ apigatewayv2:stage hello-dev/$default',
      '+ lambda:permission',
    ]) {
      expect(r.stdout).toContain(line)
    }
    expect(r.stdout).toMatch(/Plan: 12 to create, 0 to update/)
    // results on stdout; that nothing was read, on stderr
    expect(r.stderr).toBe('no AWS credentials configured: planning offline, everything is planned as new\n')
  })

  it('plan --cli prints a bash script with one aws call per step', async () => {
    const r = await shipit(['plan', '--target', 'lambda', '--cli', '-f', LAMBDA])
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('#!/usr/bin/env bash\n')).toBe(true)
    const lines = r.stdout.split('\n')
    const steps = lines.filter((l) => /^# [+~>-]/.test(l))
    expect(lines.filter((l) => l.startsWith("step '"))).toHaveLength(steps.length)
    expect(steps).toHaveLength(12)
    expect(r.stdout).toContain('aws lambda create-function \\\n    --function-name hello-dev \\')
    expect(r.stdout).toContain('--zip-file "fileb://${HERE}/function.zip"')
    expect(r.stdout).toContain('aws apigatewayv2 create-api \\\n    --name hello-dev \\\n    --protocol-type HTTP')
  })

  it('plan --json prints exactly one JSON document on stdout', async () => {
    const r = await shipit(['plan', '--target', 'lambda', '--json', '-f', LAMBDA])
    expect(r.code).toBe(0)
    const plan = JSON.parse(r.stdout)
    expect(plan).toMatchObject({ formatVersion: 3, app: 'hello', env: 'dev', target: 'lambda', region: 'us-west-2', offline: true })
    expect(plan.summary.create).toBe(12)
    expect(r.stderr).toBe('')
  })

  it('plan --detailed-exitcode exits 2 when there are changes', async () => {
    const r = await shipit(['plan', '--target', 'lambda', '--detailed-exitcode', '-f', LAMBDA])
    expect(r.code).toBe(2)
  })

  it('deploy without credentials exits 1 and says how to provide them', async () => {
    const r = await shipit(['deploy', '--target', 'lambda', '--yes', '-f', LAMBDA])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no AWS credentials found')
    expect(r.stderr).toContain('--profile')
    expect(r.stdout).toBe('')
    noStack(r.stderr)
  })

  it('an invalid manifest exits 3 with file:line:col, on stderr, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-'))
    writeFileSync(join(dir, 'app.yaml'), 'name: x\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n  memroy: 256\n')
    const r = await shipit(['plan', '--target', 'lambda'], { cwd: dir })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('app.yaml:5:3: unknown key "memroy" in function — did you mean "memory"?')
    expect(r.stdout).toBe('')
    noStack(r.stderr)
  })

  it('with --json, errors are one JSON document on stdout with the exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-'))
    writeFileSync(join(dir, 'app.yaml'), 'name: Bad\n')
    const r = await shipit(['validate', '--json'], { cwd: dir })
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout)
    expect(doc.error).toMatchObject({ code: 'InvalidManifest', exitCode: 3 })
    expect(doc.error.details.problems[0]).toMatchObject({ line: 1, col: 7 })
  })

  it('validate (answered without oclif) and plan (through oclif) report a manifest the same way, with GitHub annotations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-'))
    writeFileSync(join(dir, 'app.yaml'), 'name: x\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n  memory: 64\n')
    const env = cleanEnv({ GITHUB_ACTIONS: 'true' })
    const fast = await shipit(['validate'], { cwd: dir, env })
    const full = await shipit(['plan', '--target', 'lambda'], { cwd: dir, env })
    for (const r of [fast, full]) {
      expect(r.code).toBe(3)
      expect(r.stdout).toContain('::error file=app.yaml,line=5,col=11::function.memory must be at least 128')
      expect(r.stderr).toContain('Error: app.yaml:5:11: function.memory must be at least 128, not 64')
    }
    expect(fast.stderr).toBe(full.stderr)
  })

  it('a missing manifest exits 3 and suggests shipit init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-'))
    const r = await shipit(['validate'], { cwd: dir })
    expect(r.code).toBe(3)
    // no -f: the directory and its parents were searched (see test/manifest/files.test.ts)
    expect(r.stderr).toContain(`app.yaml: file not found in ${dir} or any directory above it — run \`shipit init\``)
  })

  it('unknown flags and bad flag values exit 3', async () => {
    expect((await shipit(['plan', '--nope'])).code).toBe(3)
    expect((await shipit(['plan', '--target', 'kubernetes', '-f', LAMBDA])).code).toBe(3)
  })

  it('init writes a starter that validates, refuses to overwrite, and --force overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-init-'))
    const first = await shipit(['init', '--target', 'lambda', '--name', 'demo'], { cwd: dir })
    expect(first.code).toBe(0)
    expect(existsSync(join(dir, 'src', 'index.mjs'))).toBe(true)
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toContain('name: demo')
    const valid = await shipit(['validate'], { cwd: dir })
    expect(valid.code).toBe(0)
    expect(valid.stdout).toContain('app.yaml is valid')
    const again = await shipit(['init', '--target', 'lambda'], { cwd: dir })
    expect(again.code).toBe(3)
    expect(again.stderr).toContain('--force')
    expect((await shipit(['init', '--target', 'fargate', '--force'], { cwd: dir })).code).toBe(0)
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toContain('target: fargate')
  })

  it('schema prints a JSON Schema', async () => {
    const r = await shipit(['schema'])
    expect(r.code).toBe(0)
    const schema = JSON.parse(r.stdout)
    expect(schema.properties.name).toBeDefined()
    expect(schema.properties.function).toBeDefined()
  })

  it('a secret value from the environment never reaches any output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-'))
    writeFileSync(
      join(dir, 'app.yaml'),
      'name: s\nregion: us-west-2\nenv:\n  TOKEN: { value: "${env:TOKEN}", secret: true }\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n',
    )
    const env = cleanEnv({ TOKEN: 'canary-7f3a9c-do-not-print' })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({})')
    for (const args of [
      ['plan', '--target', 'lambda'],
      ['plan', '--target', 'lambda', '--json'],
      ['plan', '--target', 'lambda', '--cli'],
      ['deploy', '--target', 'lambda', '--yes', '--debug'],
    ]) {
      const r = await shipit(args, { cwd: dir, env })
      expect(r.stdout + r.stderr).not.toContain('canary-7f3a9c-do-not-print')
    }
  })
})
