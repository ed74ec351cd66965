import { formatCount } from './traffic.js'

/** Cost curves to draw: x = requests a month, one series of monthly USD per target. */
export interface Curves {
  requests: number[]
  series: Record<string, number[]>
  /** the load being compared, marked on the x axis */
  at?: number
  /** with no load given: the reference loads priced, marked on the x axis */
  references?: number[]
  /** the break-even load, drawn as a vertical line */
  breakEven?: number | null
}

export const MARKERS: Record<string, string> = { lambda: '●', fargate: '▲', ecs: '■' }
/**
 * Where two or three lines fall on the same cell, a glyph of their own says which: the legend names
 * each one drawn, and each line's name is written where it ends, so lines that run together stay told apart.
 */
const OVERLAPS: Record<string, string> = { 'fargate+ecs': '◆', 'lambda+fargate': '◐', 'lambda+ecs': '◑', 'lambda+fargate+ecs': '✱' }
const OVERLAP = '◆'

interface Axis {
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
 * `curves.requests`, one marker per target, a glyph per pair where lines meet (named in the legend),
 * each line's name where it ends, `┊` at the break-even, `↑` under the load (or the reference loads).
 */
export function renderTerminalChart(curves: Curves, height = 14): string {
  const names = Object.keys(curves.series)
  const width = curves.requests.length
  const y = logAxis(names.flatMap((n) => curves.series[n]))
  const x = { min: Math.log10(curves.requests[0]), max: Math.log10(curves.requests[width - 1]) }
  const cells = Array.from({ length: height }, () => Array.from({ length: width }, () => [] as string[]))
  const column = (r: number) => Math.round(((Math.log10(r) - x.min) / (x.max - x.min)) * (width - 1))
  const rowOf = (usd: number) => height - 1 - Math.round(((Math.log10(Math.max(usd, 0.01)) - y.min) / (y.max - y.min)) * (height - 1))
  for (const name of names) {
    curves.series[name].forEach((usd, col) => {
      cells[rowOf(usd)][col].push(name)
    })
  }
  const breakCol = curves.breakEven ? column(curves.breakEven) : undefined
  const overlaps = new Set<string>()
  const glyph = (here: string[], col: number) => {
    if (!here.length) return col === breakCol ? '┊' : ' '
    if (here.length === 1) return MARKERS[here[0]] ?? '•'
    const key = here.join('+')
    overlaps.add(key)
    return OVERLAPS[key] ?? OVERLAP
  }
  // each line's name where it ends, on its last row (names that end on one row share it)
  const ends = new Map<number, string[]>()
  for (const name of names) {
    const last = curves.series[name][width - 1]
    const row = rowOf(last)
    ends.set(row, [...(ends.get(row) ?? []), name])
  }
  const labelWidth = 7
  const lines: string[] = []
  cells.forEach((row, i) => {
    const value = y.min + ((height - 1 - i) / (height - 1)) * (y.max - y.min)
    const decade = Math.abs(value - Math.round(value)) < (y.max - y.min) / (height - 1) / 2 ? formatUsd(10 ** Math.round(value)) : ''
    const shown = decade && !lines.some((l) => l.startsWith(decade.padStart(labelWidth))) ? decade : ''
    const end = ends.get(i)
    lines.push(`${shown.padStart(labelWidth)} ┤${row.map(glyph).join('')}${end ? ` ${end.join(', ')}` : ''}`)
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
  if (curves.references?.length) lines.push(`${' '.repeat(labelWidth + 2)}${referenceMarks(curves.references, column)}  (reference loads: no load given)`)
  const pairs = [...overlaps].map((key) => `${OVERLAPS[key] ?? OVERLAP} ${key.split('+').join(' + ')}`)
  lines.push(
    `${' '.repeat(labelWidth + 2)}${[...names.map((n) => `${MARKERS[n]} ${n}`), ...pairs, ...(curves.breakEven ? ['┊ break-even'] : [])].join('   ')}   (monthly cost, log scales)`,
  )
  return lines.join('\n')
}

/** `↑` under each reference load, with its count where there is room. */
function referenceMarks(loads: number[], column: (r: number) => number): string {
  const marks: string[] = []
  for (const load of loads) {
    const at = column(load)
    while (marks.length < at) marks.push(' ')
    const label = `↑ ${formatCount(load)}`
    if (marks.length === at) marks.push(...label)
  }
  return marks.join('').trimEnd()
}
