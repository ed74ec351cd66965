import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, shipit } from '../helpers/cli.js'

describe('plan --cli of the shop (issue 22): one runbook for the whole app', () => {
  it('is one valid bash script holding every component, the gate run and awaited before web and worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-shop-runbook-'))
    cpSync(join(import.meta.dirname, '../../examples/shop'), dir, { recursive: true })
    const r = await shipit(['plan', '--cli', '-f', join(dir, 'app.yaml')], { env: cleanEnv() })
    expect(r.code, r.stderr).toBe(0)
    const script = join(dir, 'deploy.sh')
    writeFileSync(script, r.stdout)
    const syntax = spawnSync('bash', ['-n', script], { encoding: 'utf8' })
    expect(syntax.status, syntax.stderr).toBe(0)
    for (const name of ['shop-api-dev', 'shop-web-dev', 'shop-worker-dev', 'shop-migrate-dev', 'shop-nightly-dev']) expect(r.stdout).toContain(name)
    const at = (text: string) => r.stdout.indexOf(text)
    const runTask = at('MIGRATE_RUN_TASK_ARN=$(')
    const stopped = at('aws ecs wait tasks-stopped')
    expect(runTask).toBeGreaterThan(0)
    expect(stopped).toBeGreaterThan(runTask)
    expect(at('WEB_TASK_DEFINITION_TASK_DEFINITION_ARN=$(')).toBeGreaterThan(stopped)
    expect(at('WORKER_TASK_DEFINITION_TASK_DEFINITION_ARN=$(')).toBeGreaterThan(stopped)
    // web's task definition is given the API's URL from the create-api answer
    expect(r.stdout).toContain('{"name": "API_URL", "value": ($API_API_API_ENDPOINT + "/")}')
    expect(r.stdout.match(/aws scheduler create-schedule /g)).toHaveLength(1)
  })
})
