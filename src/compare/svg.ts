import { type Curves, formatUsd, logAxis } from './chart.js'
import { formatCount } from './traffic.js'

/** A tiny SVG writer: elements as strings, every attribute value and text escaped. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

function el(name: string, attrs: Record<string, string | number>, text?: string): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('')
  return text === undefined ? `<${name}${a}/>` : `<${name}${a}>${escapeXml(text)}</${name}>`
}

const COLORS: Record<string, string> = { lambda: '#d97706', fargate: '#2563eb', ecs: '#059669' }
const DASHES: Record<string, string> = { lambda: '', fargate: '8 4', ecs: '2 4' }

/** The cost chart as a standalone SVG document (log-log axes, one line per target, the break-even dashed). */
export function renderSvgChart(curves: Curves, title: string): string {
  const W = 760
  const H = 440
  const m = { left: 72, right: 24, top: 48, bottom: 72 }
  const plotW = W - m.left - m.right
  const plotH = H - m.top - m.bottom
  const names = Object.keys(curves.series)
  const y = logAxis(names.flatMap((n) => curves.series[n]))
  const x = { min: Math.log10(curves.requests[0]), max: Math.log10(curves.requests[curves.requests.length - 1]) }
  const px = (r: number) => m.left + ((Math.log10(r) - x.min) / (x.max - x.min)) * plotW
  const py = (usd: number) => m.top + plotH - ((Math.log10(Math.max(usd, 0.01)) - y.min) / (y.max - y.min)) * plotH
  const f = (n: number) => n.toFixed(1)

  const parts: string[] = [
    el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }),
    el('text', { x: m.left, y: 28, 'font-size': 16, 'font-weight': 'bold' }, title),
  ]
  for (let d = y.min; d <= y.max; d++) {
    parts.push(el('line', { x1: m.left, x2: m.left + plotW, y1: f(py(10 ** d)), y2: f(py(10 ** d)), stroke: '#e5e7eb' }))
    parts.push(el('text', { x: m.left - 8, y: f(py(10 ** d) + 4), 'text-anchor': 'end', 'font-size': 12 }, formatUsd(10 ** d)))
  }
  for (let d = Math.ceil(x.min); d <= x.max; d++) {
    parts.push(el('line', { x1: f(px(10 ** d)), x2: f(px(10 ** d)), y1: m.top, y2: m.top + plotH, stroke: '#e5e7eb' }))
    parts.push(el('text', { x: f(px(10 ** d)), y: m.top + plotH + 18, 'text-anchor': 'middle', 'font-size': 12 }, formatCount(10 ** d)))
  }
  parts.push(el('rect', { x: m.left, y: m.top, width: plotW, height: plotH, fill: 'none', stroke: '#374151' }))
  parts.push(el('text', { x: m.left + plotW / 2, y: H - 30, 'text-anchor': 'middle', 'font-size': 13 }, 'requests per month (log scale)'))
  parts.push(
    el(
      'text',
      { x: 16, y: m.top + plotH / 2, 'text-anchor': 'middle', 'font-size': 13, transform: `rotate(-90 16 ${m.top + plotH / 2})` },
      'USD per month (log scale)',
    ),
  )
  if (curves.breakEven) {
    const bx = f(px(curves.breakEven))
    parts.push(el('line', { x1: bx, x2: bx, y1: m.top, y2: m.top + plotH, stroke: '#6b7280', 'stroke-dasharray': '4 4' }))
    parts.push(el('text', { x: bx, y: m.top - 6, 'text-anchor': 'middle', 'font-size': 12 }, `break-even ${formatCount(curves.breakEven)}`))
  }
  // the load compared (or, with none given, the reference loads): a line across the plot, a mark and its label under the axis
  const marked = curves.at
    ? [{ load: curves.at, label: `${formatCount(curves.at)}/month (your load)` }]
    : (curves.references ?? []).map((load) => ({ load, label: `${formatCount(load)} (reference)` }))
  for (const { load, label } of marked) {
    const ax = f(px(load))
    parts.push(
      el('line', { x1: ax, x2: ax, y1: m.top, y2: m.top + plotH, stroke: '#111827', 'stroke-width': 1, 'stroke-dasharray': '1 3', class: 'load-marker' }),
    )
    parts.push(el('path', { d: `M${ax} ${m.top + plotH} l-6 10 h12 z`, fill: '#111827' }))
    parts.push(el('text', { x: ax, y: m.top + plotH + 40, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 'bold' }, label))
  }
  names.forEach((name, i) => {
    const points = curves.series[name].map((usd, k) => `${f(px(curves.requests[k]))},${f(py(usd))}`).join(' ')
    const color = COLORS[name] ?? '#111827'
    parts.push(el('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': DASHES[name] ?? '' }))
    const lx = m.left + i * 140
    parts.push(el('line', { x1: lx, x2: lx + 28, y1: H - 10, y2: H - 10, stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': DASHES[name] ?? '' }))
    parts.push(el('text', { x: lx + 34, y: H - 6, 'font-size': 12 }, name))
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">`,
    el('title', {}, title),
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
