import { formatCount } from './traffic.js'

/** Cost curves to draw: x = requests a month, one series of monthly USD per target. */
export interface Curves {
  requests: number[]
  series: Record<string, number[]>
  /** the load being compared, marked on the x axis */
  at?: number
  /** the break-even load, drawn as a vertical line */
  breakEven?: number | null
}

export const MARKERS: Record<string, string> = { lambda: '●', fargate: '▲', ecs: '■' }
const OVERLAP = '◆'

export interface Axis {
  min: number
  max: number
}

/** Whole decades that hold every value (costs below one cent are drawn at a cent). */
export function logAxis(values: number[]): Axis {
  const positive = values.map((v) => Math.max(v, 0.01))
  return {
    min: Math.floor(Math.log10(Math.min(...positive))),
    max: Math.max(Math.ceil(Math.log10(Math.max(...positive))), Math.floor(Math.log10(Math.min(...positive))) + 1),
  }
}

export function formatUsd(usd: number): string {
  if (usd >= 1e6) return `$${Number((usd / 1e6).toPrecision(3))}M`
  if (usd >= 1e3) return `$${Number((usd / 1e3).toPrecision(3))}k`
  return usd >= 1 ? `$${Number(usd.toPrecision(3))}` : `$${usd.toFixed(2)}`
}

/**
 * Cost against load on log-log axes, in plain Unicode for a terminal: one column per load of
 * `curves.requests`, one marker per target, `◆` where two meet, `┊` at the break-even.
 */
export function renderTerminalChart(curves: Curves, height = 14): string {
  const names = Object.keys(curves.series)
  const width = curves.requests.length
  const y = logAxis(names.flatMap((n) => curves.series[n]))
  const x = { min: Math.log10(curves.requests[0]), max: Math.log10(curves.requests[width - 1]) }
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '))
  const column = (r: number) => Math.round(((Math.log10(r) - x.min) / (x.max - x.min)) * (width - 1))
  if (curves.breakEven) for (const row of grid) row[column(curves.breakEven)] = '┊'
  for (const name of names) {
    curves.series[name].forEach((usd, col) => {
      const row = height - 1 - Math.round(((Math.log10(Math.max(usd, 0.01)) - y.min) / (y.max - y.min)) * (height - 1))
      const here = grid[row][col]
      grid[row][col] = here === ' ' || here === '┊' || here === MARKERS[name] ? MARKERS[name] : OVERLAP
    })
  }
  const labelWidth = 7
  const lines: string[] = []
  grid.forEach((row, i) => {
    const value = y.min + ((height - 1 - i) / (height - 1)) * (y.max - y.min)
    const decade = Math.abs(value - Math.round(value)) < (y.max - y.min) / (height - 1) / 2 ? formatUsd(10 ** Math.round(value)) : ''
    const shown = decade && !lines.some((l) => l.startsWith(decade.padStart(labelWidth))) ? decade : ''
    lines.push(`${shown.padStart(labelWidth)} ┤${row.join('')}`)
  })
  lines.push(`${' '.repeat(labelWidth)} └${'─'.repeat(width)}`)
  const axis = Array.from({ length: width + 8 }, () => ' ')
  for (let decade = Math.ceil(x.min); decade <= x.max; decade++) {
    const label = formatCount(10 ** decade)
    const at = column(10 ** decade)
    if (axis.slice(at, at + label.length + 1).every((c) => c === ' ')) axis.splice(at, label.length, ...label)
  }
  lines.push(`${' '.repeat(labelWidth + 2)}${axis.join('').trimEnd()}  requests/month`)
  if (curves.at) lines.push(`${' '.repeat(labelWidth + 2 + column(curves.at))}↑ ${formatCount(curves.at)}/month`)
  lines.push(
    `${' '.repeat(labelWidth + 2)}${names.map((n) => `${MARKERS[n]} ${n}`).join('   ')}   ${OVERLAP} overlap${curves.breakEven ? '   ┊ break-even' : ''}   (monthly cost, log scales)`,
  )
  return lines.join('\n')
}
