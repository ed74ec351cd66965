import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import { derivePolicy } from '../../src/engine/policy.js'
import { loadManifest } from '../../src/manifest/load.js'
import { DEFAULT_ENV, type Desired, resolveDesired } from '../../src/manifest/resolve.js'
import type { TargetName } from '../../src/manifest/schema.js'
import type { Step } from '../../src/plan/types.js'
import { loadTarget } from '../../src/targets/index.js'
import type { FakeAws, FakeCall } from '../fakes/aws.js'
import { ROOT } from '../helpers/cli.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { deniedRequests, type ResourceTags } from '../helpers/iam-evaluator.js'
import { deploy, project } from '../helpers/session.js'
import { seedSecrets } from '../secrets/helpers.js'
import { fakeCli } from '../targets/container/image-helpers.js'

/**
 * The proof of `shipit policy`: every example is deployed and destroyed on the in-memory AWS, on each
 * target it can go to and in each of its environments, and every request the executor, observe, the
 * waits and the package upload sent — plus the local steps that reach AWS from outside the SDK (docker
 * push) — must be allowed by the policy `shipit policy` writes for that command. A request whose
 * operation no catalogue declares fails the test: an operation added later without its permissions is
 * caught here. aws:ResourceTag conditions are evaluated against the tags the fake holds for HTTP APIs,
 * their stages and security groups (the only resources they hold), as they were at the end of the
 * deploy: a request of the deploy to a resource deleted before its end would be missed.
 */

const SECRETS_APP = {
  fargate:
    'name: shop\nregion: us-west-2\nsecrets:\n  DB_PASSWORD: ssm:/shop/db-password\n  STRIPE_KEY: secretsmanager:shop/stripe#api_key\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n',
  lambda:
    'name: shop\nregion: us-west-2\nsecrets:\n  DB_PASSWORD: ssm:/shop/db-password\n  STRIPE_KEY: secretsmanager:shop/stripe#api_key\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\n',
}

const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((d) => existsSync(join(ROOT, 'examples', d, 'app.yaml')))
/** Examples with components: deployed as a whole (each component on its own target), below. */
const COMPONENT_EXAMPLES = EXAMPLES.filter((d) => /^components:/m.test(readFileSync(join(ROOT, 'examples', d, 'app.yaml'), 'utf8')))

/** The targets and envs of an example that resolve (an app with http: on ecs does not, for instance). */
async function combinations(example: string): Promise<{ target: TargetName; env: string }[]> {
  const loaded = await loadManifest(join(ROOT, 'examples', example, 'app.yaml'), {})
  const targets: TargetName[] = [
    ...(loaded.manifest.container ? (['fargate', 'ecs'] as const) : []),
    // a container with http: is also an image function on lambda
    ...(loaded.manifest.function || (loaded.manifest.container && loaded.manifest.http) ? (['lambda'] as const) : []),
  ]
  const envs = [DEFAULT_ENV, ...Object.keys(loaded.manifest.environments)]
  return targets.flatMap((target) =>
    envs.flatMap((env) => {
      try {
        resolveDesired(loaded, { env, target })
        return [{ target, env }]
      } catch {
        return []
      }
    }),
  )
}

/** The cluster of an ecs deploy, made as `shipit deploy` with count 0 would make it: with shipit's tags. */
async function clusterWithInstances(desired: Desired): Promise<void> {
  const tags = Object.entries(desired.tags).map(([key, value]) => ({ key, value }))
  await new ECSClient({ region: 'us-west-2' }).send(new CreateClusterCommand({ clusterName: desired.names.cluster, tags }))
}

/** The tags of the resources the policy holds by aws:ResourceTag, remembered as the fake has them now. */
function rememberTags(fake: FakeAws, known: Map<string, Record<string, string>>): ResourceTags {
  for (const [id, record] of fake.state.apigatewayv2.apis) {
    const api = `arn:aws:apigateway:${fake.region}::/apis/${id}`
    known.set(api, { ...record.api.Tags })
    for (const [name, stage] of record.stages) known.set(`${api}/stages/${name}`, { ...stage.Tags })
  }
  for (const [id, group] of fake.state.ec2.securityGroups) {
    known.set(`arn:aws:ec2:${fake.region}:${fake.account}:security-group/${id}`, Object.fromEntries(group.Tags.map((t) => [t.Key, t.Value])))
  }
  return (arn) => known.get(arn)
}

const localRequests = (steps: Step[]) => steps.filter((s) => s.request.service === 'container' || s.request.service === 'local').map((s) => s.request)

describe('the policy of each example allows every request of its deploy and destroy', async () => {
  const fake = useFakeAws({ containerInstances: 1 })
  beforeEach(() => {
    fake.reset()
    const cli = fakeCli()
    fake.watchContainerPushes(cli.pushLog)
    // the fake docker is the only container CLI on PATH (examples/hello-web builds its image)
    for (const [k, v] of Object.entries(cli.env)) vi.stubEnv(k, v)
    vi.stubEnv('SHIPIT_CONTAINER_CLI', '')
    // a one-off task (hello-fargate's env task) ends at once, with exit code 0
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['hello'] }
  })
  afterEach(() => vi.unstubAllEnvs())

  const cases = (await Promise.all(EXAMPLES.map(async (example) => (await combinations(example)).map((c) => ({ example, ...c }))))).flat()

  it('covers every example and each target it goes to', () => {
    expect(new Set([...cases.map((c) => c.example), ...COMPONENT_EXAMPLES])).toEqual(new Set(EXAMPLES))
    expect(new Set(cases.map((c) => c.target))).toEqual(new Set(['fargate', 'ecs', 'lambda']))
  })

  for (const { example, target, env } of cases) {
    it(`${example} on ${target}, env ${env}: deploy, then destroy`, async () => {
      const dir = join(ROOT, 'examples', example)
      const file = join(dir, 'app.yaml')
      const at = { partition: 'aws', region: fake.region, account: fake.account }
      const permissions = (await loadTarget(target)).catalogue.permissions ?? []
      const policyFor = async (use: 'deploy' | 'destroy') => (await derivePolicy({ file, target, env, for: use, account: fake.account, vars: {} })).policy

      // given the policies shipit writes for this app, env and target
      const [deployPolicy, destroyPolicy] = [await policyFor('deploy'), await policyFor('destroy')]

      // on ecs, the team has made the cluster and registered its EC2 instances (the fake registers one in each)
      if (target === 'ecs') await clusterWithInstances(resolveDesired(await loadManifest(file, {}), { env, target }))

      // when deploying: every request sent is allowed by the deploy policy
      fake.calls.length = 0
      const deployed = await deploy(dir, { target, env })
      expect(deployed.status).toBe('applied')
      const deployCalls: FakeCall[] = [...fake.calls]
      expect(deployCalls.length).toBeGreaterThan(0)
      const tags = rememberTags(fake, new Map())
      expect(deniedRequests([...deployCalls, ...localRequests(deployed.plan.steps)], permissions, deployPolicy, at, tags)).toEqual([])

      // and when destroying: every request sent is allowed by the destroy policy
      fake.calls.length = 0
      const destroyed = await deploy(dir, { target, env, command: 'destroy' })
      expect(destroyed.status).toBe('applied')
      expect(fake.mutatingCalls().length).toBeGreaterThan(0)
      expect(deniedRequests([...fake.calls], permissions, destroyPolicy, at, tags)).toEqual([])
    })
  }

  for (const target of ['fargate', 'lambda'] as const) {
    it(`an app with secrets by version on ${target}: the reads of their versions are allowed, on exactly those secrets`, async () => {
      // given an app whose secrets are an SSM SecureString and a Secrets Manager secret
      await seedSecrets()
      const dir = project(SECRETS_APP[target])
      const file = join(dir, 'app.yaml')
      const at = { partition: 'aws', region: fake.region, account: fake.account }
      const permissions = (await loadTarget(target)).catalogue.permissions ?? []
      const policy = (await derivePolicy({ file, target, for: 'deploy', account: fake.account, vars: {} })).policy

      // when deploying it: every request, the version reads included, is allowed
      fake.calls.length = 0
      expect((await deploy(dir, { target })).status).toBe('applied')
      expect(fake.callsOf('GetParameter').length + fake.callsOf('DescribeSecret').length).toBeGreaterThan(0)
      expect(deniedRequests([...fake.calls], permissions, policy, at)).toEqual([])

      // and the policy reads no other secret, and never a value
      const other = [
        { service: 'ssm', operation: 'GetParameter', input: { Name: '/other/db-password' } },
        { service: 'secretsmanager', operation: 'DescribeSecret', input: { SecretId: 'other/stripe' } },
      ]
      expect(deniedRequests(other, permissions, policy, at)).toHaveLength(2)
      expect(JSON.stringify(policy)).not.toMatch(/GetSecretValue|ssm:GetParameters/)
      // on Lambda the function gets the secrets extension's layer: the deployer may read that layer
      if (target === 'lambda') expect(JSON.stringify(policy)).toContain('lambda:GetLayerVersion')
    })
  }

  for (const example of COMPONENT_EXAMPLES) {
    it(`${example} (components): deploy, then destroy`, async () => {
      // a copy in the fake's region
      const dir = mkdtempSync(join(tmpdir(), 'shipit-policy-'))
      cpSync(join(ROOT, 'examples', example), dir, { recursive: true })
      const file = join(dir, 'app.yaml')
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^region: .*$/m, `region: ${fake.region}`))
      const at = { partition: 'aws', region: fake.region, account: fake.account }
      const loaded = await loadManifest(file, {})
      const targets = [...new Set(loaded.components?.map((c) => c.target))]
      const permissions = (await Promise.all(targets.map(async (t) => (await loadTarget(t)).catalogue.permissions ?? []))).flat()
      const policyFor = async (use: 'deploy' | 'destroy') => (await derivePolicy({ file, for: use, account: fake.account, vars: {} })).policy

      fake.calls.length = 0
      const deployed = await runCommand(Deploy, ['-f', file, '--yes'])
      expect(deployed.code, deployed.stderr).toBe(0)
      const deployCalls: FakeCall[] = [...fake.calls].filter((c) => c.service !== 'dynamodb')
      const tags = rememberTags(fake, new Map())
      expect(deniedRequests(deployCalls, permissions, await policyFor('deploy'), at, tags)).toEqual([])

      fake.calls.length = 0
      const destroyed = await runCommand(Destroy, ['-f', file, '--yes'])
      expect(destroyed.code, destroyed.stderr).toBe(0)
      expect(
        deniedRequests(
          [...fake.calls].filter((c) => c.service !== 'dynamodb'),
          permissions,
          await policyFor('destroy'),
          at,
          tags,
        ),
      ).toEqual([])
    })
  }

  it('hello-lambda with a package above 50 MB: the bucket, the multipart upload and Lambda reading the package from S3 are allowed', async () => {
    // given the lambda example with 60 MB of incompressible bytes in its package
    const dir = mkdtempSync(join(tmpdir(), 'shipit-policy-'))
    cpSync(join(ROOT, 'examples', 'hello-lambda'), dir, { recursive: true })
    writeFileSync(join(dir, 'src', 'blob.bin'), randomBytes(60 * 1024 * 1024))
    const at = { partition: 'aws', region: fake.region, account: fake.account }
    const permissions = (await loadTarget('lambda')).catalogue.permissions ?? []
    const policyFor = async (use: 'deploy' | 'destroy') =>
      (await derivePolicy({ file: join(dir, 'app.yaml'), for: use, account: fake.account, vars: {} })).policy

    // when deploying and destroying it
    const deployed = await deploy(dir, { target: 'lambda' })
    const deployCalls = [...fake.calls]
    fake.calls.length = 0
    await deploy(dir, { target: 'lambda', command: 'destroy' })

    // then the upload went in parts, and every request was allowed
    expect(deployCalls.map((c) => c.operation)).toEqual(
      expect.arrayContaining(['CreateBucket', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']),
    )
    expect(deniedRequests([...deployCalls, ...localRequests(deployed.plan.steps)], permissions, await policyFor('deploy'), at)).toEqual([])
    expect(deniedRequests([...fake.calls], permissions, await policyFor('destroy'), at)).toEqual([])
  })
})
