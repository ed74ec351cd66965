import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const FARGATE = `name: nw\nregion: us-west-2\ncontainer:\n  image: public.ecr.aws/nginx/nginx:1.27\n  port: 80\n`

describe('deploy --no-wait, and the ecs first deploy on a new cluster', () => {
  const fake = useFakeAws()

  it('--no-wait returns once the service change is accepted, without polling the rollout, and says how to follow it', async () => {
    fake.reset()
    const dir = project(FARGATE)
    const r = await runCommand(Deploy, ['--target', 'fargate', '-f', join(dir, 'app.yaml'), '--yes', '--no-wait'])
    expect(r.code).toBe(0)
    const ops = fake.calls.map((c) => c.operation)
    const created = ops.lastIndexOf('CreateService')
    expect(created).toBeGreaterThan(0)
    // no rollout wait after the last change (the public IPs of the tasks may still be read for the outputs)
    expect(ops.slice(created + 1)).not.toContain('DescribeServices')
    expect(r.stderr).toContain('follow it with shipit status --target fargate')
  })

  it('without --no-wait the deploy waits for the rollout', async () => {
    fake.reset()
    const dir = project(FARGATE)
    expect((await runCommand(Deploy, ['--target', 'fargate', '-f', join(dir, 'app.yaml'), '--yes'])).code).toBe(0)
    const ops = fake.calls.map((c) => c.operation)
    expect(ops.slice(ops.lastIndexOf('CreateService') + 1)).toContain('DescribeServices')
  })

  it('the ecs example deploys on a new cluster (count 0); with a count and no instances, plan and deploy exit 1 and say why once', async () => {
    fake.reset()
    const example = readFileSync(join(import.meta.dirname, '../../examples/hello-ecs/app.yaml'), 'utf8')
    const dir = project(example)
    const file = join(dir, 'app.yaml')
    const first = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(first.code).toBe(0)
    expect(fake.callsOf('CreateCluster')[0].input.clusterName).toBe('myECSCluster')
    expect(fake.callsOf('CreateService')[0].input.desiredCount).toBe(0)

    writeFileSync(file, example.replace(/count: 0/, 'count: 1'))
    const plan = await runCommand(Plan, ['-f', file, '--detailed-exitcode'])
    expect(plan.code).toBe(1)
    const why = /has no registered EC2 container instances/g
    expect((plan.stdout + plan.stderr).match(why)).toHaveLength(1)
    fake.calls.length = 0
    const deploy = await runCommand(Deploy, ['-f', file, '--yes'])
    expect(deploy.code).toBe(1)
    expect((deploy.stdout + deploy.stderr).match(why)).toHaveLength(1)
    expect(fake.mutatingCalls()).toEqual([])
  })
})
