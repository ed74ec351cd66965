import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makePlan } from '../../../src/engine/plan.js'
import { openSession } from '../../../src/engine/session.js'
import { renderCli, renderText } from '../../../src/plan/render.js'

const EXAMPLES = resolve(import.meta.dirname, '../../../examples')

/** `shipit deploy --dry-run` with no credentials anywhere: the plan is made offline, without a single call. */
async function offlinePlan(example: string, target: 'fargate' | 'ecs', env?: string) {
  const session = await openSession({ file: join(EXAMPLES, example, 'app.yaml'), target, env, mutates: false, vars: {} })
  expect(session.offline).toBe(true)
  expect(session.offlineReason).toBe('no AWS credentials')
  return (await makePlan(session, { command: 'deploy' })).plan
}

describe('plans without credentials', () => {
  beforeAll(() => {
    for (const v of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) delete process.env[v]
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials'
    process.env.AWS_CONFIG_FILE = '/nonexistent/config'
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
  })

  it('examples/hello-fargate in task mode: the runbook has aws ecs create-cluster and aws ecs run-task --launch-type FARGATE', async () => {
    const plan = await offlinePlan('hello-fargate', 'fargate', 'task')
    const cli = renderCli(plan)
    expect(cli).toContain('aws ecs create-cluster --cluster-name hello-fargate-task ')
    expect(cli).toMatch(/aws ecs run-task --cluster hello-fargate-task --task-definition \S+ --launch-type FARGATE --count 1 --network-configuration /)
    expect(plan.steps.at(-1)?.action).toBe('run')
  })

  it('examples/hello-ecs: the service on EC2 in the hand-named cluster, with no task to place on a new cluster (count 0)', async () => {
    const plan = await offlinePlan('hello-ecs', 'ecs')
    expect(renderCli(plan)).toContain('aws ecs create-cluster --cluster-name myECSCluster ')
    expect(renderText(plan)).not.toContain('warning: --target ecs places tasks')
    expect(plan.steps.find((s) => s.id === 'service')?.request.input).toMatchObject({ desiredCount: 0 })
    expect(plan.steps.find((s) => s.id === 'service')?.request.input).toMatchObject({ cluster: 'myECSCluster', launchType: 'EC2' })
  })
})
