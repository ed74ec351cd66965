import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Init from '../../src/commands/init.js'
import { loadManifest } from '../../src/manifest/load.js'
import { runCommand } from '../helpers/command.js'

describe('shipit init --components', () => {
  it('writes an app of components and its API handler, which validate as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-init-'))
    const file = join(dir, 'app.yaml')
    const r = await runCommand(Init, ['--components', '-f', file, '--name', 'store'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Next: shipit validate && shipit plan\n')
    expect(existsSync(join(dir, 'api', 'index.js'))).toBe(true)
    const loaded = await loadManifest(file, {})
    expect(loaded.manifest.name).toBe('store')
    expect(loaded.components?.map((c) => `${c.name}:${c.target}`)).toEqual(['api:lambda', 'web:fargate', 'worker:fargate', 'migrate:fargate'])
  })
})
