import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Move from '../../src/commands/move.js'
import { healthProbe } from '../../src/engine/health-check.js'
import { addHostedZone } from '../fakes/route53.js'
import { runCommand } from '../helpers/command.js'
import { useFakeAws } from '../helpers/fake.js'
import { project } from '../helpers/session.js'

const APP = `name: shop
region: us-west-2
target: fargate
container:
  image: public.ecr.aws/nginx/nginx:1.27
  port: 80
  healthCheckPath: /health
function:
  handler: index.handler
  runtime: nodejs22.x
http:
  domain: api.example.com
`
const ORIGINAL = { ...healthProbe }

describe('shipit move with http.domain', () => {
  const fake = useFakeAws()
  beforeEach(() => {
    fake.reset()
    healthProbe.sleep = async () => {}
    healthProbe.fetch = async () => new Response('ok', { status: 200 })
  })
  afterEach(() => {
    Object.assign(healthProbe, ORIGINAL)
  })
  it('explore', async () => {
    addHostedZone(fake.context, 'example.com')
    const file = join(project(APP), 'app.yaml')
    const d = await runCommand(Deploy, ['-f', file, '--target', 'fargate', '--yes'])
    expect(d.code, d.stderr).toBe(0)
    const r = await runCommand(Move, ['-f', file, '--from', 'fargate', '--to', 'lambda', '--dry-run'])
    console.log(r.stdout, r.stderr)
  }, 60_000)
})
