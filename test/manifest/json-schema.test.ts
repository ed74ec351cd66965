import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { jsonSchema, LOG_RETENTION_DAYS, TARGETS } from '../../src/manifest/schema.js'

type Schema = Record<string, any>

/**
 * A small validator for the JSON Schema keywords zod emits for the manifest (type, properties,
 * required, additionalProperties, propertyNames, items, enum, anyOf, pattern, bounds). Returns the
 * paths that fail; enough to check that the published schema agrees with documents shipit accepts.
 */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = []
  const fail = (why: string) => errors.push(`${path}: ${why}`)
  if (schema.anyOf) {
    const ok = (schema.anyOf as Schema[]).some((s) => validate(s, value, path).length === 0)
    if (!ok) fail('matches no anyOf branch')
    return errors
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) fail(`${JSON.stringify(value)} not in enum`)
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`]
      const obj = value as Record<string, unknown>
      for (const key of schema.required ?? []) if (!(key in obj)) fail(`missing ${key}`)
      for (const [key, v] of Object.entries(obj)) {
        if (schema.propertyNames) errors.push(...validate(schema.propertyNames, key, `${path}[key ${key}]`))
        const sub = schema.properties?.[key]
        if (sub) errors.push(...validate(sub, v, `${path}.${key}`))
        else if (schema.additionalProperties === false) fail(`unexpected key ${key}`)
        else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties, v, `${path}.${key}`))
      }
      break
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array`]
      if (schema.minItems !== undefined && value.length < schema.minItems) fail('too few items')
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail('too many items')
      value.forEach((v, i) => {
        errors.push(...validate(schema.items ?? {}, v, `${path}[${i}]`))
      })
      break
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`]
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) fail(`${JSON.stringify(value)} does not match ${schema.pattern}`)
      if (schema.minLength !== undefined && value.length < schema.minLength) fail('too short')
      if (schema.maxLength !== undefined && value.length > schema.maxLength) fail('too long')
      break
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return [`${path}: not an ${schema.type}`]
      if (schema.minimum !== undefined && value < schema.minimum) fail(`below ${schema.minimum}`)
      if (schema.maximum !== undefined && value > schema.maximum) fail(`above ${schema.maximum}`)
      break
    case 'boolean':
      if (typeof value !== 'boolean') fail('not a boolean')
      break
  }
  return errors
}

const ROOT = join(import.meta.dirname, '../..')

describe('jsonSchema()', () => {
  const schema = jsonSchema() as Schema

  it('is a JSON Schema for the top-level mapping', () => {
    expect(schema.$schema).toMatch(/^https:\/\/json-schema\.org\//)
    expect(schema.$id).toBe('https://shipit.dev/schema/app.json')
    expect(schema.type).toBe('object')
    expect(schema.additionalProperties).toBe(false)
    expect(schema.required).toEqual(['name'])
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        '$schema',
        'components',
        'container',
        'env',
        'environments',
        'expect',
        'function',
        'http',
        'logs',
        'name',
        'region',
        'schedule',
        'secrets',
        'target',
      ].sort(),
    )
    // survives JSON: what `shipit schema` prints
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })

  it('describes the fields the way the loader checks them', () => {
    const p = schema.properties
    expect(p.name).toMatchObject({ type: 'string', maxLength: 40, pattern: '^[a-z][a-z0-9-]*$' })
    expect(p.target.enum).toEqual([...TARGETS])
    expect(p.function.additionalProperties).toBe(false)
    expect(p.function.properties.memory).toMatchObject({ minimum: 128, maximum: 10240 })
    expect(p.function.properties.timeout).toMatchObject({ minimum: 1, maximum: 900 })
    // handler and runtime: required for a zip function by the rules, absent for an image function (a container with http:)
    expect(p.function.required ?? []).not.toContain('handler')
    expect(p.function.properties.handler).toMatchObject({ type: 'string', minLength: 1 })
    expect(p.container.required).toBeUndefined()
    expect(p.container.oneOf).toEqual([{ required: ['image'] }, { required: ['build'] }])
    // build: PATH (docker compose's shorthand) or the mapping
    expect(p.container.properties.build.anyOf[0]).toMatchObject({ type: 'string', minLength: 1 })
    expect(p.container.properties.build.anyOf[1].required).toEqual(['context'])
    expect(p.container.properties.keepImages.default).toBe(20)
    expect(p.logs.properties.retentionDays.enum).toEqual([...LOG_RETENTION_DAYS])
    expect(p.env.propertyNames.pattern).toBe('^[A-Za-z_][A-Za-z0-9_]*$')
  })

  it('describes environments as a map of overlays with every field optional', () => {
    const envs = schema.properties.environments
    expect(envs.type).toBe('object')
    expect(envs.propertyNames).toMatchObject({ type: 'string', maxLength: 16 })
    const overlay = envs.additionalProperties
    expect(overlay.type).toBe('object')
    expect(overlay.additionalProperties).toBe(false)
    expect(Object.keys(overlay.properties).sort()).toEqual(['container', 'env', 'expect', 'function', 'http', 'logs', 'region', 'schedule', 'secrets', 'ttl'])
    expect(overlay.required ?? []).toEqual([])
    expect(overlay.properties.function.required ?? []).toEqual([])
    expect(overlay.properties.container.required ?? []).toEqual([])
  })

  it.each([
    'templates/lambda.yaml',
    'templates/fargate.yaml',
    'templates/ecs.yaml',
    'examples/hello-lambda/app.yaml',
    'test/fixtures/manifests/valid/overlays.yaml',
  ])('accepts %s', (file) => {
    const doc = parse(readFileSync(join(ROOT, file), 'utf8'))
    expect(validate(schema, doc)).toEqual([])
  })

  it('accepts a {value, secret} env value and secret ARNs', () => {
    const doc = {
      name: 'api',
      env: { PLAIN: 'x', API_KEY: { value: '${env:API_KEY}', secret: true } },
      secrets: {
        DB: 'arn:aws:ssm:us-west-2:123456789012:parameter/api/db',
        TOKEN: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:api/token-AbCdEf',
      },
      function: { handler: 'index.handler', runtime: 'nodejs22.x' },
      environments: { prod: { env: { API_KEY: { value: 'p', secret: true } } } },
    }
    expect(validate(schema, doc)).toEqual([])
  })

  it.each([
    [{ name: 'web', regoin: 'x' }, '$: unexpected key regoin'],
    [{ name: 'Web' }, '$.name: "Web" does not match ^[a-z][a-z0-9-]*$'],
    [{ region: 'us-west-2' }, '$: missing name'],
    [{ name: 'web', function: { handler: 'i.h', runtime: 'nodejs22.x', memory: 64 } }, '$.function.memory: below 128'],
    [{ name: 'web', environments: { prod: { function: { memroy: 1 } } } }, '$.environments.prod.function: unexpected key memroy'],
    [{ name: 'web', env: { '1BAD': 'x' } }, '$.env[key 1BAD]: "1BAD" does not match ^[A-Za-z_][A-Za-z0-9_]*$'],
    [{ name: 'web', env: { PORT: 8080 } }, '$.env.PORT: matches no anyOf branch'],
  ])('rejects %j', (doc, error) => {
    expect(validate(schema, doc)).toContain(error)
  })
})
