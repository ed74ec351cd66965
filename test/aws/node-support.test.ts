import { describe, expect, it } from 'vitest'
import { nodeEndOfLifeNotice } from '../../src/aws/node-support.js'
import { cleanEnv, shipit } from '../helpers/cli.js'

const day = (iso: string) => new Date(`${iso}T12:00:00Z`)

describe('the Node.js end-of-life notice', () => {
  it('on Node 20 after 2026-04-30: the date, the SDK date, and the Node lines to use instead', () => {
    expect(nodeEndOfLifeNotice('v20.20.2', day('2026-12-05'))).toBe(
      'warning: Node.js 20 reached its end of life on 2026-04-30 (no more security fixes); AWS SDK releases after the first week of January 2027 need a newer Node.js; use Node.js 22 or 24',
    )
  })

  it('says nothing while a line is supported, up to its last day', () => {
    expect(nodeEndOfLifeNotice('v20.20.2', day('2026-04-29'))).toBeUndefined()
    expect(nodeEndOfLifeNotice('v22.1.0', day('2026-12-05'))).toBeUndefined()
    expect(nodeEndOfLifeNotice('v24.0.0', day('2027-06-01'))).toBeUndefined()
  })

  it('on Node 22 after its end of life: says so, even before the SDK names its date', () => {
    expect(nodeEndOfLifeNotice('v22.9.0', day('2027-05-01'))).toBe(
      'warning: Node.js 22 reached its end of life on 2027-04-30 (no more security fixes); the AWS SDK has not said until when it supports it; use Node.js 24',
    )
  })

  it('a shipit run prints it once on stderr when this Node has reached its end of life, and nothing else of the SDK', async () => {
    const env = cleanEnv()
    delete env.SHIPIT_NODE_WARNING
    const r = await shipit(['plan', '--offline', '--target', 'lambda', '-f', 'examples/hello-lambda/app.yaml'], { env })
    expect(r.code).toBe(0)
    const notice = nodeEndOfLifeNotice(process.version, new Date())
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('warning: Node.js'))
    expect(lines).toEqual(notice ? [notice] : [])
    expect(r.stderr).not.toContain('NodeVersionSupportWarning')
  })
})
