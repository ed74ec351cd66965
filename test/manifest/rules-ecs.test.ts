import { describe, expect, it } from 'vitest'
import { parseManifest } from '../../src/manifest/load.js'
import { resolveDesired } from '../../src/manifest/resolve.js'

const app = (target: string) => `name: w\ntarget: ${target}\ncontainer:\n  image: busybox\n  cpu: 128\n  memory: 300\n`

describe('container sizes', () => {
  it('Fargate pairs are enforced for target fargate, with line:col', () => {
    expect(() => parseManifest(app('fargate'), 'app.yaml', {})).toThrow(/app\.yaml:5:8: container\.cpu 128 is not a Fargate CPU size/)
  })
  it('target ecs (EC2 instances) takes any size', () => {
    expect(parseManifest(app('ecs'), 'app.yaml', {}).manifest.container).toMatchObject({ cpu: 128, memory: 300 })
  })
  it('--target fargate on an ecs manifest still needs a Fargate size (exit 3)', () => {
    const loaded = parseManifest(app('ecs'), 'app.yaml', {})
    // the one rule, run again for the target asked for, with its line:col
    expect(() => resolveDesired(loaded, { target: 'fargate' })).toThrow(
      expect.objectContaining({ exitCode: 3, message: expect.stringMatching(/^app\.yaml:5:8: container\.cpu 128 is not a Fargate CPU size/) }),
    )
  })
})
