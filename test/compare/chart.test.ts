import { describe, expect, it } from 'vitest'
import { type Curves, renderTerminalChart } from '../../src/compare/chart.js'
import { type AppShape, costCurves } from '../../src/compare/compare.js'
import { PRICE_TABLE } from '../../src/compare/prices.js'
import { escapeXml, renderSvgChart } from '../../src/compare/svg.js'
import { checkWellFormed } from '../helpers/xml.js'

const shape: AppShape = {
  app: 'hello',
  env: 'dev',
  function: { memory: 512, timeout: 10, architecture: 'arm64', runtime: 'nodejs22.x' },
  container: { cpu: 256, memory: 512, count: 2, architecture: 'x86_64' },
}
const traffic = { requestsPerMonth: 1e6, durationSeconds: 0.1, payloadBytes: 4096, concurrency: 10 }
const curves: Curves = { ...costCurves(shape, traffic, PRICE_TABLE.regions['us-east-1']), at: 1e6, breakEven: 12.6e6 }

describe('the cost chart', () => {
  it('is a well-formed SVG document with one line per target, the break-even and the axes', () => {
    const svg = renderSvgChart(curves, 'hello <dev> & "friends": cost')
    const names = checkWellFormed(svg)
    expect(names[0]).toBe('svg')
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"')
    expect(names.filter((n) => n === 'polyline')).toHaveLength(3)
    expect(svg).toContain('hello &lt;dev&gt; &amp; &quot;friends&quot;: cost')
    expect(svg).toContain('break-even 12.6M')
    for (const label of ['10k', '1M', '1B', '100B', '$1', '$100']) expect(svg).toContain(`>${label}<`)
  })

  it('marks the load compared in the SVG, as the terminal chart does, and the reference loads when none is given', () => {
    const svg = renderSvgChart(curves, 'cost')
    expect(svg).toContain('>1M/month (your load)<')
    expect(svg.match(/class="load-marker"/g)).toHaveLength(1)
    const { at: _, ...noLoad } = curves
    const reference = renderSvgChart({ ...noLoad, references: [1e5, 1e6, 1e7] }, 'cost')
    for (const label of ['100k (reference)', '1M (reference)', '10M (reference)']) expect(reference).toContain(`>${label}<`)
    expect(reference).not.toContain('your load')
    expect(checkWellFormed(reference)[0]).toBe('svg')
  })

  it('has the well-formedness check itself catch broken XML', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow(/closes the wrong element/)
    expect(() => checkWellFormed('<svg><text>a & b</text></svg>')).toThrow(/bad entity/)
    expect(() => checkWellFormed('<svg a="1" a="2"/>')).toThrow(/duplicate attribute/)
    expect(() => checkWellFormed('<svg/><svg/>')).toThrow(/2 root elements/)
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;')
  })

  it('draws in the terminal with one marker per target on log scales', () => {
    const text = renderTerminalChart(curves)
    const lines = text.split('\n')
    // 14 rows of plot, the axis, its labels, the marked load and the legend
    expect(lines).toHaveLength(18)
    expect(text).toContain('● lambda')
    expect(text).toContain('▲ fargate')
    expect(text).toContain('■ ecs')
    expect(text).toContain('┊ break-even')
    expect(text).toMatch(/10k\s+100k\s+1M\s+10M\s+100M\s+1B\s+10B\s+100B\s+requests\/month/)
    expect(text).toContain('↑ 1M/month')
    // Lambda's cost climbs with the load: its first marker is on a lower row than its last
    const rowOf = (col: number) => lines.findIndex((l) => ['●', '◐', '◑', '✱'].includes([...l.slice(l.indexOf('┤') + 1)][col]))
    expect(rowOf(0)).toBeGreaterThan(rowOf(curves.requests.length - 1))
  })

  it('keeps lines that meet distinguishable: a glyph per pair, named in the legend, and each line named where it ends', () => {
    // fargate and ecs cost the same at every load: one shared row, which must still say which lines it holds
    const same = { requests: [1e4, 1e5, 1e6], series: { lambda: [0.02, 0.2, 2], fargate: [10, 10, 10], ecs: [10, 10, 10] } }
    const text = renderTerminalChart(same, 6)
    expect(text).not.toContain('overlap')
    expect(text).toMatch(/┤◆◆◆ fargate, ecs$/m)
    expect(text).toContain('◆ fargate + ecs')
    expect(text).toMatch(/┤ {2}● lambda$/m)
    // lambda meeting fargate has its own glyph and legend entry, not the fargate-and-ecs one
    const meet = { requests: [1e4, 1e5, 1e6], series: { lambda: [1, 10, 100], fargate: [10, 10, 10] } }
    const met = renderTerminalChart(meet, 6)
    expect(met).toContain('◐ lambda + fargate')
    expect(met).not.toContain('◆')
  })

  it('marks the reference loads under the axis when no load was given', () => {
    const { at: _, ...noLoad } = curves
    const text = renderTerminalChart({ ...noLoad, references: [1e5, 1e6, 1e7] })
    expect(text).toMatch(/↑ 100k\s+↑ 1M\s+↑ 10M\s+\(reference loads: no load given\)/)
    expect(text).not.toMatch(/↑ [\d.]+[kMB]?\/month/)
  })
})
