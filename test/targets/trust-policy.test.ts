import { describe, expect, it } from 'vitest'
import { renderRunbook } from '../../src/plan/runbook.js'
import { lambdaTarget } from '../../src/targets/lambda/index.js'
import type { LambdaObserved } from '../../src/targets/lambda/observe.js'
import { planLambda } from '../../src/targets/lambda/plan.js'
import type { Target } from '../../src/targets/target.js'
import { useFakeAws } from '../helpers/fake.js'
import { desiredFrom, planDocument, preparedZip } from '../helpers/plan.js'
import { deploy, planFor, project } from '../helpers/session.js'

const LAMBDA = 'name: hello\nregion: us-west-2\nfunction:\n  source: ./src\n  handler: index.handler\n  runtime: nodejs22.x\nhttp:\n  routes: ["GET /"]\n'
const WEB = 'name: web\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\nhttp: {}\n'

/** The trust policy of a role in the fake, as JSON. */
const trustOf = (fake: ReturnType<typeof useFakeAws>, name: string) => JSON.parse(fake.state.iam.roles.get(name.toLowerCase())!.role.AssumeRolePolicyDocument)

describe('trust policies of the roles shipit makes for AWS services (confused-deputy guidance)', () => {
  const fake = useFakeAws()

  it('the Lambda execution role trusts lambda.amazonaws.com for this account only', async () => {
    fake.reset()
    await deploy(project(LAMBDA), { target: 'lambda' })
    expect(trustOf(fake, 'shipit-hello-dev-lambda').Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': fake.account } },
      },
    ])
  })

  it('fargate with http: the task execution role names the account and its ECS resources; the Express infrastructure role the account', async () => {
    fake.reset()
    const { plan } = await planFor(project(WEB, {}), { target: 'fargate' })
    const created = plan.steps.filter((s) => s.request.operation === 'CreateRole').map((s) => JSON.parse(String(s.request.input.AssumeRolePolicyDocument)))
    const byPrincipal = Object.fromEntries(created.map((d) => [d.Statement[0].Principal.Service, d.Statement[0].Condition]))
    expect(byPrincipal).toEqual({
      'ecs-tasks.amazonaws.com': {
        StringEquals: { 'aws:SourceAccount': fake.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:ecs:us-west-2:${fake.account}:*` },
      },
      'ecs.amazonaws.com': { StringEquals: { 'aws:SourceAccount': fake.account } },
    })
  })

  it('a role made before trust was scoped is corrected by the next deploy (an update in the plan), then left alone', async () => {
    fake.reset()
    const dir = project(LAMBDA)
    await deploy(dir, { target: 'lambda' })
    // given the role's trust as earlier versions wrote it: any account's function
    const role = fake.state.iam.roles.get('shipit-hello-dev-lambda')!
    role.role.AssumeRolePolicyDocument = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    })

    // when deploying again
    fake.calls.length = 0
    const next = await deploy(dir, { target: 'lambda' })

    // then the trust policy is updated, and only that
    expect(next.plan.steps.map((s) => [s.action, s.request.operation])).toEqual([['update', 'UpdateAssumeRolePolicy']])
    expect(trustOf(fake, 'shipit-hello-dev-lambda').Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': fake.account } })
    const again = await planFor(dir, { target: 'lambda' })
    expect(again.plan.steps).toEqual([])
  })

  it('offline, the account is a placeholder the runbook looks up: no literal <account> reaches IAM', () => {
    const d = desiredFrom(LAMBDA)
    const part = planLambda(d, lambdaTarget.nothing(d) as LambdaObserved, preparedZip(), { region: 'us-west-2', adopt: false })
    const plan = planDocument(d, lambdaTarget as Target<unknown, never>, part, lambdaTarget.nothing(d), undefined, true)
    const create = plan.steps.find((s) => s.request.operation === 'CreateRole')!
    expect(JSON.parse(String(create.request.input.AssumeRolePolicyDocument)).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '<account>' },
    })
    const line = renderRunbook(plan, { catalogue: lambdaTarget.catalogue })
      .split('\n')
      .find((l) => l.includes('--assume-role-policy-document'))!
    expect(line).toContain('ACCOUNT_ID')
    expect(line).not.toContain('<account>')
  })
})
