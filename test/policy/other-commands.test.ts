import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { readLogs } from '../../src/engine/logs.js'
import { derivePolicy } from '../../src/engine/policy.js'
import { runOneOff } from '../../src/engine/run.js'
import type { TargetName } from '../../src/manifest/schema.js'
import { loadTarget } from '../../src/targets/index.js'
import { silentReporter } from '../../src/ui/reporter.js'
import { ROOT } from '../helpers/cli.js'
import { useFakeAws } from '../helpers/fake.js'
import { deniedRequests } from '../helpers/iam-evaluator.js'
import { deploy, planFor } from '../helpers/session.js'

/**
 * The commands besides deploy and destroy — rollback, run, status and logs — send only what
 * `shipit policy` (its default, `--for all`) allows: each example is deployed twice, rolled back, run,
 * read by status and logs on the fake, and every request is checked as in covers-examples.test.ts.
 */

function copyOf(example: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipit-policy-other-'))
  cpSync(join(ROOT, 'examples', example), dir, { recursive: true })
  return dir
}

describe('rollback, run, status and logs are allowed by the policy for all commands', () => {
  const fake = useFakeAws()
  beforeEach(() => {
    fake.reset()
    fake.state.ecs.taskOutcome = { exitCode: 0, logLines: ['hello'] }
  })

  async function checkAll(dir: string, target: TargetName) {
    const { policy } = await derivePolicy({ file: join(dir, 'app.yaml'), for: 'all', account: fake.account, vars: {} })
    const permissions = (await loadTarget(target)).catalogue.permissions ?? []
    return deniedRequests([...fake.calls], permissions, policy, { partition: 'aws', region: fake.region, account: fake.account })
  }

  async function statusAndLogs(dir: string, target: TargetName) {
    const { session } = await planFor(dir, { target, mutates: false })
    const observed = await session.target.observe({ clients: session.clients, region: session.region }, session.desired)
    await session.target.liveOutputs({ clients: session.clients, region: session.region }, session.desired, observed)
    fake.putLogEvents(session.desired.names.logGroup, 'stream-1', [{ timestamp: Date.now(), message: 'hello' }])
    for await (const _ of readLogs(session.clients, { logGroup: session.desired.names.logGroup, startTime: 0 })) {
      // every event read; the requests are what is checked
    }
    return session
  }

  it('hello-lambda: deploy twice, rollback, invoke, status, logs', async () => {
    const dir = copyOf('hello-lambda')
    await deploy(dir, { target: 'lambda' })
    writeFileSync(join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 202 })\n')
    await deploy(dir, { target: 'lambda' })
    expect((await deploy(dir, { target: 'lambda', command: 'rollback' })).status).toBe('applied')
    const session = await statusAndLogs(dir, 'lambda')
    await runOneOff(session, { payload: '{}', timeoutSeconds: 30, reporter: silentReporter })

    expect(fake.callsOf('lambda:Invoke')).toHaveLength(1)
    expect(fake.callsOf('logs:FilterLogEvents').length).toBeGreaterThan(0)
    expect(await checkAll(dir, 'lambda')).toEqual([])
  })

  it('hello-fargate: deploy twice, rollback, a one-off task, status, logs', async () => {
    const dir = copyOf('hello-fargate')
    await deploy(dir, { target: 'fargate' })
    writeFileSync(join(dir, 'app.yaml'), readFileSync(join(dir, 'app.yaml'), 'utf8').replace('nginx:1.27', 'nginx:1.28'))
    await deploy(dir, { target: 'fargate' })
    expect((await deploy(dir, { target: 'fargate', command: 'rollback' })).status).toBe('applied')
    const session = await statusAndLogs(dir, 'fargate')
    const outcome = await runOneOff(session, { command: ['nginx', '-v'], timeoutSeconds: 30, reporter: silentReporter })

    expect(outcome.exitCode).toBe(0)
    expect(fake.callsOf('ecs:RunTask')).toHaveLength(1)
    expect(await checkAll(dir, 'fargate')).toEqual([])
  })
})
