import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type DerivedPolicy, derivePolicy } from '../../src/engine/policy.js'
import type { ShipitError } from '../../src/errors.js'
import { LOCK_PERMISSIONS } from '../../src/lock/permissions.js'
import { createLockTable, deleteLock, describeLockTable, enableLockTtl, getLock, lockKey, putLock, renewLock } from '../../src/lock/requests.js'
import { authorizationsOf, type Permission } from '../../src/plan/permissions.js'
import { loadTarget } from '../../src/targets/index.js'
import { ROOT } from '../helpers/cli.js'
import { allowingStatement, deniedRequests } from '../helpers/iam-evaluator.js'

const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((d) => existsSync(join(ROOT, 'examples', d, 'app.yaml')))
const ACCOUNT = '123456789012'
const at = { partition: 'aws', region: 'us-west-2', account: ACCOUNT }
const policyOf = (example: string, options: Partial<Parameters<typeof derivePolicy>[0]> = {}) =>
  derivePolicy({ file: join(ROOT, 'examples', example, 'app.yaml'), for: 'all', account: ACCOUNT, vars: {}, ...options })

/**
 * The actions that take no resource-level permissions (Service Authorization Reference: no resource
 * type, so `Resource: "*"`), the only ones a policy of shipit may grant on `*`. The ECS writes among
 * them: CreateCluster and RegisterTaskDefinition are held to the app's tag by aws:RequestTag;
 * DeregisterTaskDefinition has no condition key to hold it to anything.
 */
const NO_RESOURCE_LEVEL = new Set([
  'cloudwatch:GetMetricData',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ecr:GetAuthorizationToken',
  'ecs:CreateCluster',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTaskDefinitions',
  'ecs:ListTasks',
  'ecs:RegisterTaskDefinition',
  'logs:DescribeLogGroups',
  'tag:GetResources',
  'tag:TagResources',
])

/** The non-whitespace characters IAM counts against the 10,240 of a role's inline policies. */
const iamSize = (document: object) => JSON.stringify(document).replace(/\s/g, '').length

describe('the policy of each example', () => {
  for (const example of EXAMPLES) {
    it(`${example}: a policy document with no "*" action, "*" only for actions without resource-level permissions, PassRole held to a service`, async () => {
      const { policy } = await policyOf(example)

      expect(policy.Version).toBe('2012-10-17')
      expect(policy.Statement.length).toBeGreaterThan(0)
      expect(new Set(policy.Statement.map((s) => s.Sid)).size).toBe(policy.Statement.length)
      for (const s of policy.Statement) {
        expect(s.Effect).toBe('Allow')
        expect(s.Action.length).toBeGreaterThan(0)
        for (const action of s.Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/)
        if (s.Resource.includes('*')) {
          expect(s.Resource).toEqual(['*'])
          for (const action of s.Action) expect(NO_RESOURCE_LEVEL, `${action} on *`).toContain(action)
        }
        for (const resource of s.Resource) expect(resource === '*' || resource.startsWith('arn:aws:')).toBe(true)
        if (s.Action.includes('iam:PassRole')) {
          expect(s.Action).toEqual(['iam:PassRole'])
          expect(s.Condition?.StringEquals?.['iam:PassedToService']).toBeDefined()
          for (const r of s.Resource) expect(r).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/shipit-`))
        }
      }
      expect(iamSize(policy)).toBeLessThan(10_240)
    })
  }

  it('--env narrows the names to that environment', async () => {
    const all = JSON.stringify((await policyOf('hello-lambda')).policy)
    const prod = JSON.stringify((await policyOf('hello-lambda', { env: 'prod' })).policy)
    expect(all).toContain(`function:hello-*`)
    expect(prod).toContain(`function:hello-prod`)
    expect(prod).not.toContain(`function:hello-*`)
    expect(prod).toContain(`role/shipit-hello-prod-*`)
    expect(prod).toContain(`log-group:/shipit/hello/prod`)
  })

  it('--for plan grants reads only; deploy and destroy differ by their writes', async () => {
    const actions = async (use: DerivedPolicy['for'][number]) =>
      new Set((await policyOf('hello-lambda', { for: use })).policy.Statement.flatMap((s) => s.Action))
    const [plan, deploy, destroy] = [await actions('plan'), await actions('deploy'), await actions('destroy')]
    expect([...plan].filter((a) => !/:(Get|List|Describe|Filter)|apigateway:GET|s3:ListBucket/.test(a))).toEqual([])
    expect(deploy).toContain('lambda:CreateFunction')
    expect(deploy).not.toContain('lambda:DeleteFunction')
    expect(destroy).toContain('lambda:DeleteFunction')
    expect(destroy).not.toContain('lambda:CreateFunction')
  })
})

describe('the evaluator and the policy deny what is not this app’s', async () => {
  const lambda = (await loadTarget('lambda')).catalogue.permissions ?? []
  const { policy } = await policyOf('hello-lambda')
  const find = (operation: string) => lambda.find((p) => p.operation === operation) as Permission

  it('allows the app’s function and not another app’s', () => {
    const [mine] = authorizationsOf(find('DeleteFunction'), { FunctionName: 'hello-dev' }, at)
    const [theirs] = authorizationsOf(find('DeleteFunction'), { FunctionName: 'billing-dev' }, at)
    expect(allowingStatement(policy, mine)).toBeDefined()
    expect(allowingStatement(policy, theirs)).toBeUndefined()
  })

  it('passes the app’s role to Lambda only, and attaches no policy but the ones shipit attaches', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/shipit-hello-dev-lambda`
    const pass = authorizationsOf(find('CreateFunction'), { FunctionName: 'hello-dev', Role: role, Tags: { 'shipit:app': 'hello' } }, at).find(
      (a) => a.action === 'iam:PassRole',
    )
    expect(pass && allowingStatement(policy, pass)).toBeDefined()
    expect(pass && allowingStatement(policy, { ...pass, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } })).toBeUndefined()
    expect(pass && allowingStatement(policy, { ...pass, resource: `arn:aws:iam::${ACCOUNT}:role/admin` })).toBeUndefined()
    const attach = (PolicyArn: string) => authorizationsOf(find('AttachRolePolicy'), { RoleName: 'shipit-hello-dev-lambda', PolicyArn }, at)[0]
    expect(allowingStatement(policy, attach('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'))).toBeDefined()
    expect(allowingStatement(policy, attach('arn:aws:iam::aws:policy/AdministratorAccess'))).toBeUndefined()
  })

  it('creates an HTTP API only with the app’s shipit:app tag', () => {
    const create = (Tags: Record<string, string>) => authorizationsOf(find('CreateApi'), { Name: 'hello-dev', ProtocolType: 'HTTP', Tags }, at)[0]
    expect(allowingStatement(policy, create({ 'shipit:app': 'hello' }))).toBeDefined()
    expect(allowingStatement(policy, create({ 'shipit:app': 'billing' }))).toBeUndefined()
    expect(allowingStatement(policy, create({}))).toBeUndefined()
  })

  it('reports an operation sent that no catalogue declares', () => {
    const problems = deniedRequests([{ service: 'lambda', operation: 'DeleteLayerVersion', input: {} }], lambda, policy, at)
    expect(problems).toEqual(['lambda:DeleteLayerVersion was sent, but no catalogue declares its permissions'])
  })
})

describe('--github-oidc', () => {
  it('trusts the main branch of the repository, through GitHub’s OIDC provider, for STS', async () => {
    const { github } = await policyOf('hello-lambda', { github: 'my-org/my-repo' })
    expect(github?.subject).toBe('repo:my-org/my-repo:ref:refs/heads/main')
    expect(github?.roleName).toBe('shipit-deployer-hello')
    expect(github?.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GithubActions',
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:ref:refs/heads/main',
            },
          },
        },
      ],
    })
  })

  it('trusts the jobs of one GitHub environment when one is given', async () => {
    const { github } = await policyOf('hello-lambda', { github: 'my-org/my-repo:production' })
    expect(github?.subject).toBe('repo:my-org/my-repo:environment:production')
  })

  it('refuses what is not OWNER/REPO[:ENVIRONMENT], and a deployer role the policy could change (exit 3)', async () => {
    const bad = (await policyOf('hello-lambda', { github: 'my-repo' }).catch((e: unknown) => e)) as ShipitError
    expect(bad.exitCode).toBe(3)
    expect(bad.message).toBe('--github-oidc my-repo is not OWNER/REPO or OWNER/REPO:ENVIRONMENT')
    const inScope = (await policyOf('hello-lambda', { github: 'my-org/my-repo', roleName: 'shipit-hello-dev-ci' }).catch((e: unknown) => e)) as ShipitError
    expect(inScope.exitCode).toBe(3)
    expect(inScope.message).toBe('the deployer role shipit-hello-dev-ci is one the policy may change or pass')
  })
})

describe('the deploy lock in the policy', () => {
  it('every request of the lock (take, renew, release, read, first-use table) is allowed on the lock table by the deploy policy, and the plan policy only reads it', async () => {
    const record = { key: lockKey({ app: 'hello', env: 'dev' }), token: 't', holder: 'me', command: 'deploy', since: '2026-12-05T00:00:00Z', expiresAt: 1 }
    const requests = [
      putLock(record, 0),
      renewLock(record.key, 't', 2),
      deleteLock(record.key, 't'),
      getLock(record.key),
      describeLockTable(),
      createLockTable(),
      enableLockTtl(),
    ]
    const deploy = await policyOf('hello-lambda', { for: 'deploy' })
    expect(deniedRequests(requests, LOCK_PERMISSIONS, deploy.policy, at)).toEqual([])
    const plan = await policyOf('hello-lambda', { for: 'plan' })
    const denied = deniedRequests(requests, LOCK_PERMISSIONS, plan.policy, at)
    expect(denied.some((d) => d.startsWith('dynamodb:GetItem'))).toBe(false)
    expect(denied.some((d) => d.startsWith('dynamodb:PutItem'))).toBe(true)
    const onTable = deploy.policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')))
    expect(onTable.flatMap((s) => s.Resource)).toEqual([`arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/shipit-locks`])
  })
})
