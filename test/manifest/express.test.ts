import { describe, expect, it } from 'vitest'
import { ExitCode, type ShipitError } from '../../src/errors.js'
import { parseManifest } from '../../src/manifest/load.js'
import { resolveDesired } from '../../src/manifest/resolve.js'

const APP = (container: string, extra = '') => `name: web
target: fargate
container:
  image: nginx
${container}
http: {}
${extra}`

const load = (yaml: string) => parseManifest(yaml, 'app.yaml', {}, '/app')
const errorOf = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return e as ShipitError
  }
  throw new Error('no error')
}

describe('http: on a fargate app (ECS Express Mode)', () => {
  it('resolves the Express settings with their defaults', () => {
    const d = resolveDesired(load(APP('  port: 8080')), { target: 'fargate' })
    expect(d.target !== 'lambda' && d.express).toEqual({ port: 8080, healthCheckPath: '/', minTasks: 1, maxTasks: 3, scaling: { metric: 'cpu', target: 60 } })
  })

  it('takes minTasks from count and keeps maxTasks at least minTasks', () => {
    const d = resolveDesired(load(APP('  port: 80\n  count: 5\n  infrastructureRole: arn:aws:iam::123456789012:role/infra')), { target: 'fargate' })
    expect(d.target !== 'lambda' && d.express).toMatchObject({ minTasks: 5, maxTasks: 5, infrastructureRole: 'arn:aws:iam::123456789012:role/infra' })
  })

  it('has no Express service on the ecs target or without http:', () => {
    expect('express' in resolveDesired(load(APP('  port: 80')), { target: 'ecs' })).toBe(false)
    expect('express' in resolveDesired(load('name: web\ncontainer: { image: nginx, port: 80 }\n'), { target: 'fargate' })).toBe(false)
  })

  it('needs container.port, at the container key (exit 3)', () => {
    const err = errorOf(() => load(APP('  cpu: 256')))
    expect(err.exitCode).toBe(ExitCode.Invalid)
    expect(err.message).toContain('app.yaml:3:1: container.port is required with http: on target fargate')
  })

  it('needs port with --target fargate over a lambda app too', () => {
    const loaded = load('name: web\ntarget: lambda\ncontainer: { image: nginx }\nfunction: { handler: index.handler, runtime: nodejs22.x }\nhttp: {}\n')
    // validated again for the target asked for: the same rule as for target: fargate, with its line:col
    const err = errorOf(() => resolveDesired(loaded, { target: 'fargate' }))
    expect(err.exitCode).toBe(ExitCode.Invalid)
    expect(err.message).toBe(
      'app.yaml:3:1: container.port is required with http: on target fargate: the load balancer sends requests to it — add container.port with the port your server listens on, e.g. 8080',
    )
  })

  it('refuses minTasks above maxTasks, a percentage above 100, and requests without a target', () => {
    expect(errorOf(() => load(APP('  port: 80\n  minTasks: 4\n  maxTasks: 2'))).message).toContain(
      'app.yaml:6:13: container.minTasks 4 is more than maxTasks 2',
    )
    expect(errorOf(() => load(APP('  port: 80\n  scaling: { metric: memory, target: 150 }'))).message).toContain(
      'container.scaling.target 150 is more than 100 %, the most memory can reach',
    )
    expect(errorOf(() => load(APP('  port: 80\n  scaling: { metric: requests }'))).message).toContain('container.scaling.metric requests needs a target')
  })

  it('refuses a health-check path that does not start with /', () => {
    expect(errorOf(() => load(APP('  port: 80\n  healthCheckPath: health'))).message).toMatch(/app\.yaml:6:20: /)
  })

  it('refuses mode: task with http: on fargate', () => {
    const err = errorOf(() => load(APP('  port: 80\n  mode: task')))
    expect(err.exitCode).toBe(ExitCode.Invalid)
    expect(err.message).toBe(
      'app.yaml:6:9: http: on target fargate makes a long-running web service, but container.mode is task — set container.mode: service, or remove http:',
    )
  })
})
