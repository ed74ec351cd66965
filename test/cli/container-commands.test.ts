import { join } from 'node:path'
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs'
import { beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Logs from '../../src/commands/logs.js'
import Rollback from '../../src/commands/rollback.js'
import Run from '../../src/commands/run.js'
import Status from '../../src/commands/status.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const APP = `
name: svc
region: us-west-2
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  count: 2
`

describe.each(['fargate', 'ecs'])('day-2 commands on %s (in-process, against the in-memory AWS)', (target) => {
  const fake = useFakeAws()
  let file: string
  let dir: string
  beforeEach(async () => {
    fake.reset()
    // ecs places tasks on EC2 instances: a cluster made by hand (aws ecs create-cluster) with one instance
    if (target === 'ecs') {
      await new ECSClient({ region: 'us-west-2' }).send(new CreateClusterCommand({ clusterName: 'svc-dev' }))
      fake.registerContainerInstances('svc-dev', 1)
    }
    dir = project(APP)
    file = join(dir, 'app.yaml')
  })
  const t = () => ['--target', target, '-f', file]

  it('status: not deployed, then revision, counts and deployments as data', async () => {
    const notDeployed = await runCommand(Status, [...t(), '--json'])
    expect(notDeployed.code).toBe(1)
    expect(JSON.parse(notDeployed.stdout).error).toMatchObject({ code: 'NotDeployed', details: { deployed: false } })
    expect((await runCommand(Deploy, [...t(), '--yes'])).code).toBe(0)
    const after = JSON.parse((await runCommand(Status, [...t(), '--json'])).stdout)
    expect(after.deployed).toBe(true)
    expect(after.outputs).toMatchObject({ cluster: 'svc-dev', service: 'svc-dev', revision: 1, runningCount: 2, pendingCount: 0 })
    expect(after.outputs.deployments).toEqual([expect.stringMatching(/^PRIMARY svc-dev:1 COMPLETED 2\/2 running \(ECS deployment .* completed\.\)$/)])
  })

  it('rollback after two deploys goes back to the first revision; with one deploy it is refused', async () => {
    await runCommand(Deploy, [...t(), '--yes'])
    const none = await runCommand(Rollback, [...t(), '--yes'])
    expect(none.code).toBe(1)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, APP.replace('nginx:1.27', 'nginx:1.28'))
    await runCommand(Deploy, [...t(), '--yes'])
    const back = JSON.parse((await runCommand(Rollback, [...t(), '--yes', '--json'])).stdout)
    expect(back).toMatchObject({ command: 'rollback', status: 'applied' })
    expect(back.outputs.revision).toBe(1)
  })

  it('run exits with the container exit code: 0, then 3 with the log lines', async () => {
    await runCommand(Deploy, [...t(), '--yes'])
    ;(fake.state as any).ecs.taskOutcome = { exitCode: 0, logLines: ['migrated'] }
    const ok = await runCommand(Run, [...t(), '--', 'npm', 'run', 'migrate'])
    expect(ok.code).toBe(0)
    expect(fake.callsOf('RunTask').at(-1)!.input.overrides.containerOverrides[0].command).toEqual(['npm', 'run', 'migrate'])
    ;(fake.state as any).ecs.taskOutcome = { exitCode: 3, stoppedReason: 'Essential container in task exited', logLines: ['boom'] }
    const bad = await runCommand(Run, [...t(), '--', 'false'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toContain('boom')
  })

  it('logs of the tasks come back in time order', async () => {
    await runCommand(Deploy, [...t(), '--yes'])
    const now = Date.now()
    fake.putLogEvents('/shipit/svc/dev', 'shipit/app/t2', [{ timestamp: now - 1000, message: 'second' }])
    fake.putLogEvents('/shipit/svc/dev', 'shipit/app/t1', [{ timestamp: now - 2000, message: 'first' }])
    const r = await runCommand(Logs, [...t()])
    expect(r.code).toBe(0)
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ').slice(2).join(' ')),
    ).toEqual(['first', 'second'])
  })
})
