import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, TagResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsClients } from '../../src/aws/clients.js'
import { findTagged } from '../../src/engine/expiry.js'
import { groupEnvironments } from '../../src/engine/prune.js'
import { useFakeAws } from '../helpers/fake.js'

/** The in-memory Resource Groups Tagging API models AWS's: what it lists, how it pages, what it refuses. */
describe('fake Resource Groups Tagging API', () => {
  const fake = useFakeAws()
  const tagging = () => new ResourceGroupsTaggingAPIClient({ region: 'us-west-2' })
  beforeEach(async () => {
    fake.reset()
    const logs = new CloudWatchLogsClient({ region: 'us-west-2' })
    for (const [name, tags] of [
      ['/shipit/a/pr-1', { 'shipit:app': 'a', 'shipit:env': 'pr-1' }],
      ['/shipit/a/prod', { 'shipit:app': 'a', 'shipit:env': 'prod' }],
      ['/shipit/b/dev', { 'shipit:app': 'b', 'shipit:env': 'dev' }],
      ['/theirs', { team: 'x' }],
    ] as const) {
      await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { ...tags } }))
    }
    await new IAMClient({ region: 'us-west-2' }).send(
      new CreateRoleCommand({
        RoleName: 'shipit-a-pr-1-lambda',
        AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
        Tags: [{ Key: 'shipit:app', Value: 'a' }],
      }),
    )
  })

  it('GetResources filters by tag key and values, pages, and never lists IAM roles', async () => {
    const all = await tagging().send(new GetResourcesCommand({ TagFilters: [{ Key: 'shipit:app' }] }))
    expect(all.ResourceTagMappingList?.map((r) => r.ResourceARN)).toEqual([
      'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/a/pr-1',
      'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/a/prod',
      'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/b/dev',
    ])
    expect(all.PaginationToken).toBe('')
    const a = await tagging().send(new GetResourcesCommand({ TagFilters: [{ Key: 'shipit:app', Values: ['a'] }], ResourcesPerPage: 1 }))
    expect(a.ResourceTagMappingList).toHaveLength(1)
    expect(a.ResourceTagMappingList?.[0].Tags).toContainEqual({ Key: 'shipit:env', Value: 'pr-1' })
    const next = await tagging().send(
      new GetResourcesCommand({ TagFilters: [{ Key: 'shipit:app', Values: ['a'] }], ResourcesPerPage: 1, PaginationToken: a.PaginationToken }),
    )
    expect(next.ResourceTagMappingList?.[0].ResourceARN).toMatch(/\/shipit\/a\/prod$/)
    expect(next.PaginationToken).toBe('')
    await expect(tagging().send(new GetResourcesCommand({ ResourcesPerPage: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('TagResources tags by ARN (IAM roles too) and reports the ARNs it cannot tag without failing', async () => {
    const role = fake.state.roles.get('shipit-a-pr-1-lambda')
    const out = await tagging().send(
      new TagResourcesCommand({
        ResourceARNList: [
          'arn:aws:logs:us-west-2:123456789012:log-group:/shipit/a/pr-1',
          String(role?.role.Arn),
          'arn:aws:logs:us-west-2:123456789012:log-group:/gone',
        ],
        Tags: { 'shipit:expires': '2026-12-08T12:00:00Z' },
      }),
    )
    expect(Object.keys(out.FailedResourcesMap ?? {})).toEqual(['arn:aws:logs:us-west-2:123456789012:log-group:/gone'])
    expect(fake.state.logGroups.get('/shipit/a/pr-1')?.tags['shipit:expires']).toBe('2026-12-08T12:00:00Z')
    expect(role?.tags).toContainEqual({ Key: 'shipit:expires', Value: '2026-12-08T12:00:00Z' })
    await expect(tagging().send(new TagResourcesCommand({ ResourceARNList: [], Tags: { k: 'v' } }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    })
  })

  it('findTagged follows the pages: 130 resources of 26 envs come back, grouped by app, env and target', async () => {
    const logs = new CloudWatchLogsClient({ region: 'us-west-2' })
    for (let i = 0; i < 130; i++) {
      const env = `pr-${i % 26}`
      await logs.send(
        new CreateLogGroupCommand({ logGroupName: `/shipit/many/${env}/${i}`, tags: { 'shipit:app': 'many', 'shipit:env': env, 'shipit:target': 'lambda' } }),
      )
    }
    const clients = new AwsClients({ region: 'us-west-2' })
    const found = await findTagged(clients, { app: 'many' })
    expect(found).toHaveLength(130)
    expect(fake.callsOf('GetResources')).toHaveLength(2)
    expect(groupEnvironments(found)).toHaveLength(26)
    clients.destroy()
  })
})
