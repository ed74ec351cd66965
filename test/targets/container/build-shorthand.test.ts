import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { validateManifest } from '../../../src/engine/validate.js'
import { useFakeAws } from '../../helpers/fake.js'
import { planFor } from '../../helpers/session.js'
import { desiredFrom } from './helpers.js'
import { buildContext } from './image-helpers.js'

const app = (build: string) => `name: web
region: us-west-2
target: fargate
container:
  build: ${build}
  port: 8080
http: {}
environments:
  prod:
    container: { build: ${build} }
`

describe("container.build: PATH, docker compose's shorthand for { context: PATH }", () => {
  const fake = useFakeAws()
  beforeEach(() => fake.reset())

  it('resolves to the same Desired as the mapping form, in the base and in an overlay', () => {
    for (const env of ['dev', 'prod']) {
      const short = desiredFrom(app('.'), { env })
      expect(short.container.build).toEqual({ context: '.' })
      expect(short).toEqual(desiredFrom(app('{ context: . }'), { env }))
    }
    expect(desiredFrom(app('./site')).container.build).toEqual({ context: './site' })
  })

  it('validates, and plans exactly what the mapping form plans', async () => {
    // app.yaml sits in the context and differs between the two forms: ignored, the contexts are the same files
    const dir = buildContext({ '.dockerignore': 'app.yaml\n' })
    const plans: unknown[] = []
    for (const build of ['.', '{ context: . }']) {
      writeFileSync(join(dir, 'app.yaml'), app(build))
      await expect(validateManifest(join(dir, 'app.yaml'))).resolves.toMatchObject({ valid: true, target: 'fargate' })
      const { plan } = await planFor(dir, { target: 'fargate' })
      expect(plan.steps.map((s) => s.id)).toContain('image-build')
      plans.push({ steps: plan.steps, summary: plan.summary, warnings: plan.warnings })
    }
    expect(plans[0]).toEqual(plans[1])
  })

  it('refuses an empty path or a wrong type with line:col and both forms in the hint', () => {
    expect(() => desiredFrom(app('""'))).toThrow(/app\.yaml:5:10: container\.build\.context must be at least 1 characters long/)
    expect(() => desiredFrom(app('3'))).toThrow(
      /app\.yaml:5:10: container\.build must be a mapping, not number 3 — give the build context directory \(build: \.\) or a mapping/,
    )
  })
})
