import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeValid, validateManifest } from '../../src/engine/validate.js'
import { ManifestError, parseManifest } from '../../src/manifest/load.js'
import { jsonSchema } from '../../src/manifest/schema.js'

const NOW = new Date('2026-12-01T00:00:00Z')
const parse = (text: string) => parseManifest(text, 'app.yaml', {}, '.', { now: NOW })

function problems(text: string): string[] {
  try {
    parse(text)
  } catch (err) {
    if (err instanceof ManifestError) return err.problems.map((p) => `${p.line}:${p.col} ${p.message}`)
    throw err
  }
  throw new Error('expected the manifest to be refused')
}

const API = `  api:
    target: lambda
    function: { handler: index.handler, runtime: nodejs22.x }
`

describe('components: in app.yaml', () => {
  it('validates the issue example as written, each component for its own target', () => {
    const loaded = parseManifest(readFileSync(join(import.meta.dirname, '../../examples/shop/app.yaml'), 'utf8'), 'app.yaml', {}, '.', { now: NOW })
    expect(loaded.components?.map((c) => [c.name, c.target])).toEqual([
      ['api', 'lambda'],
      ['web', 'fargate'],
      ['worker', 'fargate'],
      ['migrate', 'fargate'],
      ['nightly', 'fargate'],
    ])
    const web = loaded.components?.find((c) => c.name === 'web')
    // the top level's env merged under the component's, the reference kept for the plan
    expect(web?.loaded.manifest.env).toEqual({ LOG_LEVEL: 'info', API_URL: '${component:api.url}' })
    expect(web?.refs).toEqual([{ component: 'api', output: 'url' }])
    expect(loaded.components?.find((c) => c.name === 'migrate')?.before).toEqual(['web', 'worker'])
  })

  it('refuses a loop of before: and references with its path, at the component', () => {
    const text = `name: shop
components:
${API}    env: { WEB: "\${component:web.name}" }
  web:
    target: fargate
    container: { image: nginx, port: 80 }
    env: { API_URL: "\${component:api.url}" }
`
    expect(problems(text)).toEqual(['3:3 components depend on each other in a loop: api → web → api'])
  })

  it('refuses a loop through before:', () => {
    const text = `name: shop
components:
  migrate:
    target: fargate
    container: { image: busybox, mode: task }
    before: [web]
    env: { WEB: "\${component:web.arn}" }
  web:
    target: fargate
    container: { image: nginx, port: 80 }
`
    expect(problems(text)).toEqual(['3:3 components depend on each other in a loop: migrate → web → migrate'])
  })

  it('refuses unknown components and outputs with line:col', () => {
    const text = `name: shop
components:
${API}  web:
    target: fargate
    container: { image: nginx, port: 80 }
    env: { A: "\${component:apii.url}", B: "\${component:api.host}" }
  migrate:
    target: fargate
    container: { image: busybox, mode: task }
    before: [web, wroker]
`
    expect(problems(text)).toEqual([
      '9:15 ${component:apii.url} names apii, which is not a component',
      '9:43 component api (lambda) has no output host',
      '13:19 before: names wroker, which is not a component',
    ])
  })

  it("points a component's own problems at the component, with its name", () => {
    const text = `name: shop
components:
  web:
    target: fargate
    container: { image: nginx, cpu: 256, memory: 4096 }
`
    const found = problems(text)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(/^5:\d+ .*\(component web\)$/)
  })

  it('refuses a component name that is not DNS-ish, at its key', () => {
    const found = problems(`name: shop\ncomponents:\n  bad_name:\n    target: lambda\n`)
    expect(found.some((p) => p.startsWith('3:3'))).toBe(true)
  })

  it('refuses a top-level container: beside components:', () => {
    const text = `name: shop
container: { image: nginx }
components:
${API}`
    expect(problems(text)).toEqual(['2:1 container belongs in a component when the app has components:'])
  })

  it('refuses ${component:…} in an app without components', () => {
    expect(problems(`name: solo\ntarget: lambda\nfunction: { handler: index.handler, runtime: nodejs22.x }\nenv: { A: "\${component:api.url}" }\n`)).toEqual([
      "4:11 A takes another component's output, and this app has no components:",
    ])
  })

  it("shipit validate names each component and its target, and checks each one's source", async () => {
    const result = await validateManifest(join(import.meta.dirname, '../../examples/shop/app.yaml'), undefined, { now: NOW })
    expect(describeValid(result)).toContain('components api (lambda), web (fargate), worker (fargate), migrate (fargate), nightly (fargate)')
  })

  it('publishes components in the JSON schema', () => {
    const schema = jsonSchema(NOW) as { properties: Record<string, { additionalProperties?: { properties?: Record<string, unknown> } }> }
    expect(Object.keys(schema.properties.components.additionalProperties?.properties ?? {})).toEqual(
      expect.arrayContaining(['target', 'container', 'function', 'http', 'env', 'before', 'environments']),
    )
  })
})
