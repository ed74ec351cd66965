import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, expectNoNoise, expectOneClearError, shipit } from '../helpers/cli.js'

const LAMBDA = 'examples/hello-lambda/app.yaml'

describe('shipit policy as a user runs it', () => {
  it('--json without credentials: the policy document with the account placeholder, exit 0', async () => {
    const r = await shipit(['policy', '-f', LAMBDA, '--json'], { env: cleanEnv() })
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result).toMatchObject({ app: 'hello', targets: ['lambda'], env: '*', region: 'us-west-2', account: '<account>', accountFrom: 'placeholder' })
    expect(result.policy.Version).toBe('2012-10-17')
    expect(JSON.stringify(result.policy)).toContain('arn:aws:lambda:us-west-2:<account>:function:hello-*')
    expect(r.stderr).toBe('')
  })

  it('text: the policy on stdout, what it is for and the placeholder on stderr', async () => {
    const r = await shipit(['policy', '-f', LAMBDA, '--for', 'deploy', '--env', 'prod'], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).Statement.length).toBeGreaterThan(0)
    expect(r.stderr).toContain('<account> stands for your account id; replace it, or pass --account')
    expect(r.stderr).toContain('# the deployer policy of hello (prod) on lambda in us-west-2, for deploy')
    expectNoNoise(r.stderr)
  })

  it('--github-oidc --cli: a bash script (valid syntax) that makes the provider, the role and its policy', async () => {
    const r = await shipit(['policy', '-f', LAMBDA, '--github-oidc', 'my-org/my-repo:production', '--cli'], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('#!/usr/bin/env bash\n')).toBe(true)
    expect(r.stdout).toContain('ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)"')
    expect(r.stdout).toContain('aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com')
    expect(r.stdout).toContain('aws iam create-role --role-name shipit-deployer-hello')
    expect(r.stdout).toContain('aws iam put-role-policy --role-name shipit-deployer-hello --policy-name shipit-deploy-hello')
    expect(r.stdout).toContain('"token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:environment:production"')
    expect(r.stdout).toContain('arn:aws:lambda:us-west-2:${ACCOUNT_ID}:function:hello-*')
    expect(r.stdout).not.toContain('<account>')
    const script = join(mkdtempSync(join(tmpdir(), 'shipit-policy-')), 'setup.sh')
    writeFileSync(script, r.stdout)
    expect(spawnSync('bash', ['-n', script]).status).toBe(0)
  })

  it('the script, run with an aws CLI that finds nothing, makes the provider, the role with its trust policy and the inline policy', async () => {
    // given an aws CLI stub: the caller's account is 210987654321, no provider and no role exist yet
    const dir = mkdtempSync(join(tmpdir(), 'shipit-policy-aws-'))
    const log = join(dir, 'aws.log')
    writeFileSync(
      join(dir, 'aws'),
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$AWS_LOG"',
        'case "$1 $2" in',
        '  "sts get-caller-identity") echo 210987654321 ;;',
        '  "iam get-open-id-connect-provider"|"iam get-role") exit 254 ;;',
        '  *) for a in "$@"; do case "$a" in file://*) cp "${a#file://}" "$AWS_LOG.$2.json" ;; esac; done ;;',
        'esac',
      ].join('\n'),
      { mode: 0o755 },
    )
    const r = await shipit(['policy', '-f', LAMBDA, '--github-oidc', 'my-org/my-repo', '--cli'], { env: cleanEnv() })
    const script = join(dir, 'setup.sh')
    writeFileSync(script, r.stdout)

    // when it runs
    const run = spawnSync('bash', [script], { env: { PATH: `${dir}:${process.env.PATH}`, AWS_LOG: log }, encoding: 'utf8' })

    // then it made each, in order, with the account filled in
    expect(run.status).toBe(0)
    expect(run.stdout).toBe('role-to-assume: arn:aws:iam::210987654321:role/shipit-deployer-hello\n')
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(0, 2).join(' '))
    expect(calls).toEqual([
      'sts get-caller-identity',
      'iam get-open-id-connect-provider',
      'iam create-open-id-connect-provider',
      'iam get-role',
      'iam create-role',
      'iam put-role-policy',
    ])
    const trust = JSON.parse(readFileSync(`${log}.create-role.json`, 'utf8'))
    expect(trust.Statement[0].Principal.Federated).toBe('arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com')
    const policy = JSON.parse(readFileSync(`${log}.put-role-policy.json`, 'utf8'))
    expect(JSON.stringify(policy)).toContain('arn:aws:lambda:us-west-2:210987654321:function:hello-*')
    expect(JSON.stringify(policy)).not.toContain('ACCOUNT_ID')
  })

  it('--account puts the account in every ARN', async () => {
    const r = await shipit(['policy', '-f', LAMBDA, '--account', '210987654321', '--github-oidc', 'my-org/my-repo'], { env: cleanEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain('<account>')
    expect(r.stdout).toContain('arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com')
    expect(r.stdout).toContain('"repo:my-org/my-repo:ref:refs/heads/main"')
  })

  it('a bad --github-oidc, --account or --target is one clear error, exit 3', async () => {
    for (const args of [['--github-oidc', 'my-repo'], ['--account', '12'], ['--cli']]) {
      const r = await shipit(['policy', '-f', LAMBDA, ...args], { env: cleanEnv() })
      expect(r.code, args.join(' ')).toBe(3)
      expectOneClearError(r.stderr)
    }
  })
})
