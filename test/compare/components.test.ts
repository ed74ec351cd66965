import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import Compare from '../../src/commands/compare.js'
import type { Comparison } from '../../src/compare/compare.js'
import { runCommand } from '../helpers/command.js'

const SHOP = join(import.meta.dirname, '../../examples/shop/app.yaml')

describe('shipit compare of an app with components (issue 22)', () => {
  it('prices each component on every target, its own first named, and the total on their own targets', async () => {
    const r = await runCommand(Compare, ['-f', SHOP, '--requests', '1M/month', '--duration', '100ms', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const c = JSON.parse(r.stdout) as Comparison
    expect(c.app).toBe('shop')
    expect(c.components?.map((p) => [p.name, p.target])).toEqual([
      ['api', 'lambda'],
      ['web', 'fargate'],
      ['worker', 'fargate'],
      ['migrate', 'fargate'],
      ['nightly', 'fargate'],
    ])
    // each as a single app is compared: every target it can be sized for
    for (const p of c.components ?? []) expect(p.comparison.targets.map((t) => t.target)).toEqual(['lambda', 'fargate', 'ecs'])
    const own = (name: string) => {
      const p = c.components?.find((x) => x.name === name)
      return p?.comparison.targets.find((t) => t.target === p.target)?.totalUsd ?? Number.NaN
    }
    // the tasks (migrate, nightly) are not in the total: they cost their runs, not a month of serving
    expect(c.total?.monthlyUsd).toBeCloseTo(own('api') + own('web') + own('worker'), 2)
    expect(c.total?.statement).toContain('tasks left out (migrate, nightly)')
    expect(c.components?.filter((p) => p.task).map((p) => p.name)).toEqual(['migrate', 'nightly'])
  })

  it('prints one section per component and the total', async () => {
    const r = await runCommand(Compare, ['-f', SHOP])
    expect(r.code, r.stderr).toBe(0)
    for (const h of ['── api (lambda)', '── web (fargate)', '── worker (fargate)', '── migrate (fargate)', '── nightly (fargate)'])
      expect(r.stdout).toContain(h)
    expect(r.stdout).toMatch(/total of 3 components, each on its own target \(api on lambda, web on fargate, worker on fargate\).*: \$\d+\.\d\d\/month/)
  })

  it('--chart, which draws one app, is exit 3 with what to do', async () => {
    const r = await runCommand(Compare, ['-f', SHOP, '--chart', join(import.meta.dirname, 'never.svg')])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('this app has components')
  })
})
