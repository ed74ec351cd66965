import { createHash } from 'node:crypto'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode, ShipitError } from '../../src/errors.js'
import { type LoadedManifest, loadManifest, ManifestError, parseManifest } from '../../src/manifest/load.js'
import { cutName, resourceNames } from '../../src/manifest/names.js'
import { DEFAULT_ENV, lambdaEnvironmentBytes, type ResolveOptions, resolveDesired } from '../../src/manifest/resolve.js'
import { asContainer, asLambda } from '../helpers/plan.js'

const VALID = join(import.meta.dirname, '../fixtures/manifests/valid')
const load = (name: string) => loadManifest(join(VALID, name), {})

function refused(loaded: LoadedManifest, options: ResolveOptions): ShipitError {
  try {
    resolveDesired(loaded, options)
  } catch (err) {
    expect(err).toBeInstanceOf(ShipitError)
    const e = err as ShipitError
    expect(e.exitCode).toBe(ExitCode.Invalid)
    expect(e.source).toBe('user')
    expect(e.message).not.toContain('    at ')
    return e
  }
  throw new Error(`expected resolveDesired(${JSON.stringify(options)}) to throw`)
}

describe('environment overlays', () => {
  it('deep-merges the overlay: objects merge, arrays and scalars replace', async () => {
    const d = resolveDesired(await load('overlays.yaml'), { env: 'prod' })
    expect(d.env).toBe('prod')
    expect(d.region).toBe('eu-west-1')
    // env: the overlay's key replaces, the others stay
    expect(d.environment).toEqual({ LOG_LEVEL: { value: 'warn', secret: false }, FEATURE_X: { value: 'on', secret: false } })
    expect(d.secrets).toEqual({ DB_PASSWORD: 'arn:aws:ssm:us-west-2:123456789012:parameter/shop/db' })
    expect(asContainer(d).container).toMatchObject({
      image: 'public.ecr.aws/nginx/nginx:1.27', // from the base
      port: 80,
      cpu: 1024, // scalars replace
      memory: 2048,
      count: 3,
      mode: 'service', // default
      command: ['nginx'], // arrays replace, they do not concatenate
      network: { subnets: ['subnet-0ccc'], assignPublicIp: true }, // nested objects merge
    })
    expect(d.http.routes).toEqual(['$default'])
    expect(d.logRetentionDays).toBe(365)
    // the function section is the lambda target's: resolved for it, the overlay leaves it as it was
    expect(asLambda(resolveDesired(await load('overlays.yaml'), { env: 'prod', target: 'lambda' })).function.memory).toBe(256)
  })

  it("applies the default env 'dev', with its overlay when there is one", async () => {
    expect(DEFAULT_ENV).toBe('dev')
    const d = resolveDesired(await load('overlays.yaml'), {})
    expect(d.env).toBe('dev')
    expect(d.environment.LOG_LEVEL).toEqual({ value: 'debug', secret: false })
    expect(d.region).toBe('us-west-2')
    expect(asContainer(d).container).toMatchObject({ cpu: 256, memory: 512, count: 1, command: ['nginx', '-g', 'daemon off;'] })
    expect(d.logRetentionDays).toBe(30)
    expect(d.names.base).toBe('shop-dev')
  })

  it("accepts env 'dev' even when the manifest declares no environments", async () => {
    const d = resolveDesired(await load('container-only.yaml'), { env: 'dev', target: 'fargate' })
    expect(d.env).toBe('dev')
    expect(d.names.base).toBe('worker-dev')
  })

  it('an overlay changes only its own sections', async () => {
    const d = resolveDesired(await load('overlays.yaml'), { env: 'staging' })
    expect(asLambda(resolveDesired(await load('overlays.yaml'), { env: 'staging', target: 'lambda' })).function).toMatchObject({
      memory: 512,
      timeout: 30,
      handler: 'index.handler',
    })
    expect(asContainer(d).container).toMatchObject({ cpu: 256, memory: 512, command: ['nginx', '-g', 'daemon off;'] })
    expect(d.environment.LOG_LEVEL.value).toBe('info')
  })

  it('does not change the loaded manifest (prod then dev gives dev)', async () => {
    const loaded = await load('overlays.yaml')
    const before = structuredClone(loaded.manifest)
    resolveDesired(loaded, { env: 'prod' })
    expect(loaded.manifest).toEqual(before)
    expect(asContainer(resolveDesired(loaded, { env: 'dev' })).container.cpu).toBe(256)
  })

  it('refuses an undeclared --env, lists the declared ones, and suggests the nearest', async () => {
    const loaded = await load('overlays.yaml')
    const e = refused(loaded, { env: 'stagin' })
    expect(e.code).toBe('UnknownEnvironment')
    expect(e.message).toBe(`environment "stagin" is not declared in ${relative(process.cwd(), join(VALID, 'overlays.yaml'))}`)
    expect(e.suggestions).toEqual(['did you mean --env staging?', 'declared environments: dev, prod, staging (dev is the default and needs no declaration)'])
  })

  it('makes no suggestion for a name that is no typo of a declared one', async () => {
    const e = refused(await load('overlays.yaml'), { env: 'qa' })
    expect(e.suggestions).toEqual(['declared environments: dev, prod, staging (dev is the default and needs no declaration)'])
  })

  it('refuses an undeclared --env in a manifest without environments, and says what to do', async () => {
    const e = refused(await load('container-only.yaml'), { env: 'prod', target: 'fargate' })
    expect(e.code).toBe('UnknownEnvironment')
    expect(e.suggestions).toHaveLength(1)
    expect(e.suggestions[0]).toMatch(/^.*container-only\.yaml declares no environments: leave out --env for the default dev, or add prod under environments:$/)
  })

  it('suggests the default dev for a typo of it', async () => {
    const e = refused(await load('container-only.yaml'), { env: 'dve', target: 'fargate' })
    expect(e.suggestions[0]).toBe('did you mean --env dev?')
  })
})

describe('target', () => {
  it('comes from the manifest when no option is given', async () => {
    const d = resolveDesired(await load('overlays.yaml'), {})
    expect(d.target).toBe('fargate')
    expect(d.tags).toEqual({ 'shipit:app': 'shop', 'shipit:env': 'dev', 'shipit:target': 'fargate' })
  })

  it('the option overrides the manifest', async () => {
    const d = resolveDesired(await load('overlays.yaml'), { target: 'lambda' })
    expect(d.target).toBe('lambda')
    expect(d.tags['shipit:target']).toBe('lambda')
    expect(asLambda(d).function).toMatchObject({ handler: 'index.handler', runtime: 'nodejs22.x', memory: 256, timeout: 10 })
  })

  it('is required from one or the other', async () => {
    const e = refused(await load('container-only.yaml'), {})
    expect(e.code).toBe('NoTarget')
    expect(e.suggestions[0]).toMatch(/^pass --target fargate\|ecs\|lambda, or set target: in .*container-only\.yaml$/)
  })

  it('refuses an unknown target', async () => {
    const e = refused(await load('container-only.yaml'), { target: 'k8s' })
    expect(e.code).toBe('UnknownTarget')
    expect(e.message).toBe('unknown target "k8s"')
    expect(e.suggestions).toEqual(['use one of fargate, ecs, lambda'])
  })

  it('lambda needs a function: section, said at the top of the file with what to add', async () => {
    const e = refused(await load('container-only.yaml'), { target: 'lambda' })
    expect(e).toBeInstanceOf(ManifestError)
    expect((e as ManifestError).problems).toEqual([
      {
        file: expect.stringMatching(/container-only\.yaml$/),
        line: 1,
        col: 1,
        message: 'target lambda needs a function: section, or a container: with http:',
        hint: expect.stringMatching(/^add function: with handler: and runtime:, e\.g\. function: \{ handler: index\.handler, runtime: nodejs24\.x \}/),
      },
    ])
  })

  it.each(['fargate', 'ecs'])('%s needs a container: section', async (target) => {
    const e = refused(await load('function-only.yaml'), { target })
    expect(e.message).toMatch(new RegExp(`function-only\\.yaml:1:1: target ${target} needs a container: section — add container: with image: or build:`))
  })
})

describe('derived values', () => {
  it('derives every name from <name>-<env>', async () => {
    const d = resolveDesired(await load('overlays.yaml'), { env: 'prod' })
    expect(d.names).toEqual({
      base: 'shop-prod',
      function: 'shop-prod',
      api: 'shop-prod',
      cluster: 'shop-prod',
      service: 'shop-prod',
      family: 'shop-prod',
      logGroup: '/shipit/shop/prod',
      lambdaRole: 'shipit-shop-prod-lambda',
      taskExecutionRole: 'shipit-shop-prod-task-exec',
      infrastructureRole: 'shipit-shop-prod-ecs-infra',
      securityGroup: 'shipit-shop-prod',
      scheduleGroup: 'shipit-shop-prod',
      schedule: 'shop-prod',
      schedulerRole: 'shipit-shop-prod-scheduler',
    })
  })

  it('uses container.cluster for the cluster name only', () => {
    const loaded = parseManifest('name: app\ntarget: ecs\ncontainer:\n  image: busybox\n  cluster: Shared_1\n', 'app.yaml', {})
    const d = resolveDesired(loaded, {})
    expect(d.names.cluster).toBe('Shared_1')
    expect(d.names.service).toBe('app-dev')
  })

  it('cuts IAM role names to 64 characters with a hash of the whole name, deterministically', () => {
    const name = 'abcdefghij-abcdefghij-abcdefghij-abcdefg'
    expect(name).toHaveLength(40)
    const loaded = parseManifest(`name: ${name}\ncontainer:\n  image: nginx\nenvironments:\n  production: {}\n`, 'app.yaml', {})
    const d = resolveDesired(loaded, { env: 'production', target: 'fargate' })
    const full = `shipit-${name}-production-lambda`
    expect(full).toHaveLength(65)
    const hash = createHash('sha256').update(full).digest('hex').slice(0, 8)
    expect(d.names.lambdaRole).toBe(`${full.slice(0, 55)}-${hash}`)
    expect(d.names.lambdaRole).toHaveLength(64)
    expect(d.names.taskExecutionRole).toHaveLength(64)
    expect(d.names.taskExecutionRole).toMatch(/^shipit-abcdefghij-abcdefghij-abcdefghij-abcdefg-product-[0-9a-f]{8}$/)
    // the same input gives the same name; names that share the first 55 characters still differ
    expect(resolveDesired(loaded, { env: 'production', target: 'fargate' }).names.lambdaRole).toBe(d.names.lambdaRole)
    expect(d.names.lambdaRole).not.toBe(d.names.taskExecutionRole)
    expect(cutName(`${full.slice(0, 60)}-other`, 64)).not.toBe(cutName(`${full.slice(0, 60)}-thing`, 64))
    // names that fit are left alone
    expect(d.names.base).toBe(`${name}-production`)
    expect(d.names.logGroup).toBe(`/shipit/${name}/production`)
    expect(resolveDesired(loaded, { env: 'dev', target: 'fargate' }).names.lambdaRole).toBe(`shipit-${name}-dev-lambda`)
  })

  it('fits every AWS name limit with the longest app and env names', () => {
    const names = resourceNames('a'.repeat(40), 'e'.repeat(16))
    expect(names.function.length).toBeLessThanOrEqual(64)
    expect(names.lambdaRole.length).toBeLessThanOrEqual(64)
    expect(names.infrastructureRole.length).toBeLessThanOrEqual(64)
    expect(names.taskExecutionRole.length).toBeLessThanOrEqual(64)
    expect(names.api.length).toBeLessThanOrEqual(128)
    expect(names.securityGroup.length).toBeLessThanOrEqual(255)
    expect(names.logGroup.length).toBeLessThanOrEqual(512)
    // EventBridge Scheduler: group and schedule names are at most 64 of [0-9a-zA-Z-_.]
    expect(names.scheduleGroup.length).toBeLessThanOrEqual(64)
    expect(names.schedule.length).toBeLessThanOrEqual(64)
    expect(names.schedulerRole.length).toBeLessThanOrEqual(64)
  })

  it('resolves the function source relative to app.yaml, and keeps secret env values marked', async () => {
    const loaded = await loadManifest(join(VALID, 'interpolation.yaml'), { SHIPIT_T_GREETING: 'hi', SHIPIT_T_API_KEY: 'k-long-enough' })
    const d = resolveDesired(loaded, { env: 'prod' })
    expect(asLambda(d).function?.sourceDir).toBe(join(VALID, 'src'))
    expect(d.dir).toBe(VALID)
    expect(d.environment.API_KEY).toEqual({ value: 'k-long-enough', secret: true })
    expect(d.environment.DB_PASSWORD).toEqual({ value: 'prod-default-pw', secret: true })
    expect(d.environment.PLAIN).toEqual({ value: 'hi', secret: false })
  })

  it('defaults http to the $default route and logs to 14 days', async () => {
    const d = resolveDesired(await load('function-only.yaml'), {})
    expect(d.http).toEqual({ routes: ['$default'] })
    expect(d.logRetentionDays).toBe(14)
    expect(asLambda(d).function).toMatchObject({ source: './src', memory: 128, timeout: 10, architecture: 'x86_64' })
  })
})

describe("Lambda's 4 KB environment limit, checked offline", () => {
  // {"A":"…"} is the value plus 8 bytes
  const manifest = (valueLength: number, extra = '') =>
    parseManifest(`name: big\nfunction:\n  handler: index.handler\n  runtime: nodejs22.x\nenv:\n  A: "${'x'.repeat(valueLength)}"\n${extra}`, 'app.yaml', {})

  function refusedAt(loaded: LoadedManifest, options: ResolveOptions): ManifestError {
    const e = (() => {
      try {
        resolveDesired(loaded, options)
      } catch (err) {
        return err
      }
    })()
    expect(e).toBeInstanceOf(ManifestError)
    expect((e as ManifestError).exitCode).toBe(ExitCode.Invalid)
    return e as ManifestError
  }

  it('accepts exactly 4096 bytes and refuses 4097, with the size and the line:col of env', () => {
    expect(lambdaEnvironmentBytes({ A: { value: 'x'.repeat(4088), secret: false } }, {})).toBe(4096)
    expect(() => resolveDesired(manifest(4088), { target: 'lambda' })).not.toThrow()
    const e = refusedAt(manifest(4089), { target: 'lambda' })
    expect(e.problems).toEqual([
      {
        file: 'app.yaml',
        line: 5,
        col: 1,
        message: "the function's environment is 4097 bytes; Lambda allows at most 4096 (4 KB) for all keys and values together",
        hint: 'shorten the values, or keep large ones in SSM Parameter Store and list them under secrets:',
      },
    ])
  })

  it('counts bytes, not characters, and the ARNs of secrets (sent as SHIPIT_SECRET_<KEY>)', () => {
    expect(lambdaEnvironmentBytes({ A: { value: 'é', secret: false } }, {})).toBe(10)
    const arn = 'arn:aws:ssm:us-west-2:123456789012:parameter/big/db'
    const secrets = `secrets:\n  DB: ${arn}\n`
    expect(() => resolveDesired(manifest(4050), { target: 'lambda' })).not.toThrow()
    const size = 4050 + 8 + `,"SHIPIT_SECRET_DB":"${arn}"`.length
    expect(refusedAt(manifest(4050, secrets), { target: 'lambda' }).problems[0].message).toMatch(new RegExp(`^the function's environment is ${size} bytes`))
  })

  it('points into the overlay that makes it too big', () => {
    const loaded = manifest(10, `environments:\n  prod:\n    env:\n      B: "${'y'.repeat(5000)}"\n`)
    // validated for target lambda: every environment at once, as for every other rule
    const [p] = refusedAt(loaded, { target: 'lambda', env: 'prod' }).problems
    expect([p.line, p.col]).toEqual([9, 5])
    expect(p.message).toMatch(/^the function's environment is 5025 bytes; .* \(in environment prod\)$/)
  })

  it('leaves other targets alone (ECS has no such limit)', () => {
    const loaded = manifest(5000, 'container:\n  image: nginx\n')
    expect(() => resolveDesired(loaded, { target: 'fargate' })).not.toThrow()
  })
})
