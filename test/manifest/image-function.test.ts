import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { estimators } from '../../src/compare/compare.js'
import { PRICE_TABLE } from '../../src/compare/prices.js'
import { validateManifest } from '../../src/engine/validate.js'
import { lambdaSizingOfContainer } from '../../src/manifest/image-function.js'
import { parseManifest } from '../../src/manifest/load.js'
import { type LambdaDesired, resolveDesired } from '../../src/manifest/resolve.js'

/** A container app with http:, one container line changed (or added) for each case. */
function app(container: string, extra = ''): string {
  return `name: web
region: us-west-2
target: lambda
container:
  image: public.ecr.aws/docker/library/node:22-alpine
${container}
http: {}
${extra}`
}

const lambdaOf = (yaml: string): LambdaDesired => resolveDesired(parseManifest(yaml, 'app.yaml', {}), {}) as LambdaDesired

const refused = (yaml: string) => {
  try {
    parseManifest(yaml, 'app.yaml', {})
  } catch (err) {
    return err as Error & { exitCode?: number }
  }
  throw new Error('the manifest was accepted')
}

describe('a container app with http: on target lambda is an image function', () => {
  it('needs no function: section; memory and architecture come from the container, the adapter from port and health path', () => {
    const d = lambdaOf(app('  port: 8080\n  memory: 1024\n  architecture: arm64\n  healthCheckPath: /up'))
    expect(d.image).toMatchObject({ port: 8080, healthPath: '/up' })
    expect(d.function).toMatchObject({ memory: 1024, architecture: 'arm64', timeout: 10 })
  })

  it('function: overrides memory and timeout; without memory the container still sizes it', () => {
    expect(lambdaOf(app('  port: 8080\n  memory: 1024', 'function: { memory: 2048, timeout: 25 }')).function).toMatchObject({ memory: 2048, timeout: 25 })
    expect(lambdaOf(app('  port: 8080\n  memory: 1024', 'function: { timeout: 25 }')).function).toMatchObject({ memory: 1024, timeout: 25 })
  })

  it('a function: with handler and runtime is still a zip function, so one file serves both targets', () => {
    const yaml = app('  port: 8080', 'function: { handler: index.handler, runtime: nodejs22.x }')
    expect(lambdaOf(yaml).image).toBeUndefined()
  })

  it('is sized the way shipit compare prices the container on lambda', () => {
    const container = { cpu: 512, memory: 1024, count: 1, architecture: 'arm64' as const, port: 8080 }
    const priced = estimators({ app: 'web', env: 'dev', container, http: true }, PRICE_TABLE.regions['us-west-2'])
    const estimate = priced.lambda?.({ requestsPerMonth: 1e6, durationSeconds: 0.1, payloadBytes: 4096, concurrency: 10 })
    expect(estimate?.sizing).toMatchObject(lambdaSizingOfContainer(container))
    expect(lambdaOf(app('  port: 8080\n  cpu: 512\n  memory: 1024\n  architecture: arm64')).function.memory).toBe(1024)
  })
})

describe('what cannot move to Lambda is refused before any call, at its line (exit 3)', () => {
  const cases: [string, string, RegExp][] = [
    ['no port', '  memory: 512', /^app\.yaml:4:1: container\.port is required on target lambda/],
    [
      'a command with no port: not a server',
      '  command: ["node", "job.js"]',
      /^app\.yaml:6:12: container\.command runs with no container\.port, so it is not an HTTP server/,
    ],
    ['mode: task', '  port: 8080\n  mode: task', /^app\.yaml:7:9: container\.mode task is a one-off job, not an HTTP app/],
    ['a privileged port', '  port: 80', /^app\.yaml:6:9: container\.port 80 is below 1024/],
    ["the Runtime API's port", '  port: 9001', /^app\.yaml:6:9: container\.port 9001 is the port of the Lambda Runtime API/],
    ['more memory than Lambda has', '  port: 8080\n  cpu: 4096\n  memory: 16384', /^app\.yaml:8:11: container\.memory 16384 is more than Lambda's 10240 MB/],
    ['more CPU than Lambda gives', '  port: 8080\n  cpu: 8192\n  memory: 8192', /^app\.yaml:7:8: container\.cpu 8192 \(8 vCPU\) is more than the 6 vCPUs/],
    ['a GPU (no such field: shipit deploys no GPU on any target)', '  port: 8080\n  gpu: 1', /^app\.yaml:7:3: .*gpu/],
  ]
  for (const [what, container, message] of cases) {
    it(what, () => {
      const err = refused(app(container))
      expect(err.exitCode).toBe(3)
      expect(err.message).toMatch(message)
    })
  }

  it('env: keys the Lambda runtime sets are refused as for a zip function', () => {
    const err = refused(app('  port: 8080', 'env: { AWS_REGION: eu-west-1 }\n'))
    expect(err.message).toMatch(/^app\.yaml:8:8: env AWS_REGION is reserved by Lambda/)
  })

  it('zip-only fields of function: are refused for an image function', () => {
    const err = refused(app('  port: 8080', 'function:\n  source: ./src\n'))
    expect(err.message).toMatch(/^app\.yaml:9:3: function\.source is for a zip function/)
  })

  it('a container without http: is not an image function: lambda still asks for a function', () => {
    const err = refused(app('  port: 8080').replace('http: {}\n', ''))
    expect(err.message).toMatch(/target lambda needs a function: section, or a container: with http:/)
  })

  it('a build context outside the app is refused at its line on lambda too, before any call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipit-imagefn-'))
    writeFileSync(join(dir, 'app.yaml'), app('  port: 8080').replace('  image: public.ecr.aws/docker/library/node:22-alpine', '  build: { context: .. }'))
    const err = await validateManifest(join(dir, 'app.yaml'), 'lambda').catch((e: unknown) => e as Error & { exitCode?: number })
    expect(err).toMatchObject({ exitCode: 3 })
    expect(String((err as Error).message)).toMatch(/app\.yaml:5:21: container\.build\.context is .*, outside the app.s directory/)
  })

  it('the same file still validates for fargate', () => {
    expect(() => resolveDesired(parseManifest(app('  port: 8080'), 'app.yaml', {}), { target: 'fargate' })).not.toThrow()
  })
})
