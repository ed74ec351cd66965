import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import type { FakeState } from '../fakes/aws.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { deploy, planFor, project } from '../helpers/session.js'

const APPS: Record<string, string> = {
  lambda: `name: own\nregion: us-west-2\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\nhttp:\n  routes: ["GET /"]\n`,
  fargate: `name: own\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`,
}

/** What a person who made the same resources by hand would have: shipit's names, no shipit tags. */
function stripShipitTags(state: FakeState): void {
  const strip = (record: Record<string, unknown>, depth = 0) => {
    // records that wrap the resource (the fake API Gateway keeps { api, routes, … })
    if (depth === 0)
      for (const v of Object.values(record)) if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map)) strip(v as Record<string, unknown>, 1)
    for (const key of ['tags', 'Tags']) {
      const tags = record[key]
      if (Array.isArray(tags)) record[key] = tags.filter((t: { key?: string; Key?: string }) => !String(t.key ?? t.Key).startsWith('shipit:'))
      else if (tags && typeof tags === 'object') for (const k of Object.keys(tags)) if (k.startsWith('shipit:')) delete (tags as Record<string, string>)[k]
    }
  }
  for (const service of ['lambda', 'apigatewayv2', 'iam', 'logs', 'ecs', 'ec2'] as const) {
    for (const collection of Object.values(state[service] as unknown as Record<string, unknown>)) {
      if (collection instanceof Map)
        for (const record of collection.values()) if (record && typeof record === 'object') strip(record as Record<string, unknown>)
    }
  }
}

describe('nothing without shipit tags is changed or deleted, whatever its kind', () => {
  const fake = useFakeAws()

  for (const target of Object.keys(APPS)) {
    it(`${target}: every kind a deploy makes, made by hand instead, is refused by deploy and kept by destroy`, async () => {
      fake.reset()
      const dir = project(APPS[target])
      const first = await deploy(dir, { target })
      const kinds = new Set(first.plan.steps.map((s) => s.resource.type))
      stripShipitTags(fake.state)
      writeFileSync(join(dir, 'app.yaml'), APPS[target].replace('own\n', 'own\nlogs:\n  retentionDays: 7\n'))

      // deploy: every existing resource is refused (a hand-made cluster is used as it is, never changed)
      const again = await planFor(dir, { target })
      expect(again.plan.steps.filter((s) => s.action !== 'create')).toEqual([])
      const refused = new Set(again.plan.blocked.map((b) => b.resource.type))
      for (const kind of kinds) {
        const covered = refused.has(kind) || again.plan.unchanged.some((u) => u.resource.type === kind && /not created by shipit/.test(u.note ?? ''))
        // parts of a resource (a role's policies, a log group's retention, routes of an API) go with it
        const partOf = [
          'iam:role-policy-attachment',
          'iam:role-policy',
          'logs:retention',
          'apigatewayv2:route',
          'apigatewayv2:integration',
          'apigatewayv2:stage',
          'lambda:version',
          'lambda:alias',
          'lambda:permission',
          'ec2:security-group-rule',
        ]
        expect(covered || partOf.includes(kind), `${kind} is neither refused nor kept`).toBe(true)
      }
      fake.calls.length = 0
      const r = await runCommand(Deploy, ['--target', target, '-f', join(dir, 'app.yaml'), '--yes'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('exists without shipit tags')
      expect(fake.mutatingCalls()).toEqual([])

      // destroy: nothing deleted
      const destroy = await runCommand(Destroy, ['--target', target, '-f', join(dir, 'app.yaml'), '--yes'])
      expect(destroy.code).toBe(0)
      expect(fake.mutatingCalls()).toEqual([])
      expect([...fake.state.logs.logGroups.keys()]).toContain('/shipit/own/dev')
    })
  }

  it('a hand-made log group /shipit/<app>/<env> keeps its retention and its logs (deploy, destroy, destroy of an app never deployed)', async () => {
    fake.reset()
    const { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } = await import('@aws-sdk/client-cloudwatch-logs')
    const logs = new CloudWatchLogsClient({ region: 'us-west-2' })
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/shipit/own/dev' }))
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/shipit/own/dev', retentionInDays: 7 }))
    for (const target of Object.keys(APPS)) {
      const dir = project(APPS[target])
      const plan = await planFor(dir, { target })
      expect(plan.plan.blocked.map((b) => `${b.resource.type} ${b.resource.name}`)).toContain('logs:log-group /shipit/own/dev')
      expect(plan.plan.steps.some((s) => s.resource.name === '/shipit/own/dev')).toBe(false)
      const destroy = await runCommand(Destroy, ['--target', target, '-f', join(dir, 'app.yaml'), '--yes'])
      expect(destroy.code).toBe(0)
    }
    expect(fake.mutatingCalls().map((c) => c.operation)).toEqual(['CreateLogGroup', 'PutRetentionPolicy'])
    expect(fake.state.logs.logGroups.get('/shipit/own/dev')?.retentionInDays).toBe(7)
  })
})
