import { beforeEach, describe, expect, it } from 'vitest'
import { derivePolicy } from '../../src/engine/policy.js'
import type { TargetName } from '../../src/manifest/schema.js'
import { loadTarget } from '../../src/targets/index.js'
import { addHostedZone } from '../fakes/route53.js'
import { useFakeAws } from '../helpers/fake.js'
import { deniedRequests } from '../helpers/iam-evaluator.js'
import { deploy, project } from '../helpers/session.js'

/**
 * The proof of `shipit policy` for custom domains: an app with http.domain is deployed and destroyed
 * on each target that has a URL, and every request is allowed by the policy written for it; a record
 * change outside the app's names is not.
 */

const APPS: Record<'lambda' | 'fargate', string> = {
  lambda: `
name: shop
region: us-west-2
function: { handler: index.handler, runtime: nodejs22.x }
http: { domain: [api.example.com, www.example.com] }
`,
  fargate: `
name: shop
region: us-west-2
container: { image: public.ecr.aws/nginx/nginx:1.27, port: 8080 }
http: { domain: shop.example.com }
`,
}

describe('the policy of an app with http.domain', () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  for (const target of ['lambda', 'fargate'] as TargetName[]) {
    it(`${target}: allows every request of its deploy and destroy, and no record outside its names`, async () => {
      addHostedZone(fake.context, 'example.com')
      const dir = project(APPS[target as 'lambda' | 'fargate'])
      const at = { partition: 'aws', region: fake.region, account: fake.account }
      const permissions = (await loadTarget(target)).catalogue.permissions ?? []
      const policyFor = async (use: 'deploy' | 'destroy') =>
        (await derivePolicy({ file: `${dir}/app.yaml`, target, for: use, account: fake.account, vars: {} })).policy

      fake.calls.length = 0
      expect((await deploy(dir, { target })).status).toBe('applied')
      const deployCalls = [...fake.calls]
      expect(deployCalls.map((c) => c.operation)).toEqual(expect.arrayContaining(['RequestCertificate', 'ChangeResourceRecordSets']))
      const deployPolicy = await policyFor('deploy')
      expect(deniedRequests(deployCalls, permissions, deployPolicy, at)).toEqual([])

      fake.calls.length = 0
      expect((await deploy(dir, { target, command: 'destroy' })).status).toBe('applied')
      expect(deniedRequests([...fake.calls], permissions, await policyFor('destroy'), at)).toEqual([])

      // a change to another name of the zone, or a certificate for another name, is denied
      const change = deployCalls.find((c) => c.operation === 'ChangeResourceRecordSets')
      const elsewhere = {
        ...change,
        input: {
          HostedZoneId: change?.input.HostedZoneId,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'mail.example.com', Type: 'A' } }] },
        },
      }
      const request = deployCalls.find((c) => c.operation === 'RequestCertificate')
      const other = { ...request, input: { ...request?.input, DomainName: 'example.org' } }
      expect(deniedRequests([elsewhere, other] as typeof deployCalls, permissions, deployPolicy, at)).toHaveLength(2)
    }, 60_000)
  }

  it('an app without http.domain gets none of the domain permissions', async () => {
    const dir = project(APPS.lambda.replace(/http: .*/, 'http: {}'))
    const policy = (await derivePolicy({ file: `${dir}/app.yaml`, target: 'lambda', for: 'deploy', account: fake.account, vars: {} })).policy
    expect(JSON.stringify(policy)).not.toMatch(/acm:|route53:|elasticloadbalancing:/)
  })
})
