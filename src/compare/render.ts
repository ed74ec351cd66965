import type { Comparison, ReferenceLoads, TargetComparison } from './compare.js'
import type { CostLine } from './estimate.js'
import { FREE_TIER_STARRED } from './prices.js'
import { formatCount } from './traffic.js'

/** 1234567.891 → "1,234,567.89"; by hand because the first toLocaleString costs ~20 ms of ICU start-up. */
export function thousands(n: number, decimals = 0): string {
  const [whole, fraction] = n.toFixed(decimals).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return fraction ? `${grouped}.${fraction}` : grouped
}

export function usd(n: number): string {
  return `$${thousands(n, 2)}`
}

function quantity(n: number): string {
  if (n === 0) return '0'
  if (n >= 1000) return thousands(n)
  return String(Number(n.toPrecision(4)))
}

function price(p: number): string {
  return p >= 0.01 ? `$${p.toFixed(Math.max(2, String(p).split('.')[1]?.length ?? 0))}` : `$${p}`
}

function costLine(l: CostLine): string {
  const what =
    l.unit === '1M requests'
      ? `${formatCount(l.quantity * 1e6)} requests × ${price(l.unitPrice)}/1M`
      : `${quantity(l.quantity)} ${l.unit} × ${price(l.unitPrice)}`
  return `    ${l.item.padEnd(14)}${what.padEnd(34)}${usd(l.usd).padStart(11)}  ${l.description}`
}

function targetBlock(t: TargetComparison, cheapest: boolean): string[] {
  const head = `  ${t.target.padEnd(8)}${usd(t.totalUsd).padStart(12)}/month${t.ruledOut.length ? '  ✗ ruled out' : cheapest ? '  ← cheapest' : ''}`
  return [
    head,
    ...t.lines.map(costLine),
    ...t.ruledOut.map((r) => `    ✗ ${r}`),
    ...t.assumptions.map((a) => `    assumes ${a}`),
    ...t.facts.map((f) => `    · ${f}`),
    '',
  ]
}

/** With no load given: each target's total at each reference load, then which load the lines below are for. */
function referenceBlock(reference: ReferenceLoads, targets: TargetComparison[], detail: string): string[] {
  const names = targets.map((t) => t.target)
  return [
    reference.statement,
    '',
    `  ${'requests/month'.padEnd(16)}${names.map((n) => n.padStart(14)).join('')}`,
    ...reference.loads.map((l) => `  ${formatCount(l.requestsPerMonth).padEnd(16)}${names.map((n) => usd(l.totalsUsd[n]).padStart(14)).join('')}`),
    '',
    `each target line by line at ${detail} requests/month:`,
    '',
  ]
}

/** The comparison for people: each target's bill, the break-even, free tiers apart, what is left out. */
export function renderComparison(c: Comparison): string {
  const i = c.inputs
  const viable = c.targets.filter((t) => !t.ruledOut.length)
  const cheapest = viable.reduce<TargetComparison | undefined>((best, t) => (!best || t.totalUsd < best.totalUsd ? t : best), undefined)
  const priceNote =
    c.prices.origin === 'table'
      ? `prices: shipit's table of ${c.prices.date} (USD, on-demand, ${c.prices.hoursPerMonth} h a month); prices change — --live-prices reads the AWS Price List API`
      : `prices: the AWS Price List API, read ${c.prices.date} (USD, on-demand, ${c.prices.hoursPerMonth} h a month)`
  const load = c.reference ? 'reference loads' : `${formatCount(i.requests.value)} requests/month`
  const lines = [
    `shipit compare — app ${c.app} · env ${c.env} · ${c.region} · ${load}, ${Number((i.duration.value * 1000).toPrecision(6))} ms each, ${quantity(i.payload.value / 1024)} KB, ${i.concurrency.value} in flight per task`,
    priceNote,
    '',
    ...(c.reference ? referenceBlock(c.reference, c.targets, formatCount(i.requests.value)) : []),
    ...c.targets.flatMap((t) => targetBlock(t, t === cheapest)),
    c.breakEven.statement,
    `free tiers (not subtracted): ${c.freeTier.map((f) => `${f.label} ${quantity(f.quantity)} ${f.unit}${f.always ? '' : '*'}`).join(', ')}  (* ${FREE_TIER_STARRED})`,
    `left out: ${c.leftOut.join('; ')}`,
  ]
  return lines.join('\n')
}
