import type { Tier } from './prices.js'

/**
 * A price read from the network is used only when it is a price: finite, above zero, and within a
 * plausible range of the dated table's (AWS's prices move by tens of percent between regions and
 * years, not by a factor of five). Anything else keeps the table's price, and the note says why.
 */
const PLAUSIBLE_RANGE = { low: 0.2, high: 5 }

function usd(n: number): string {
  return `$${Number(n.toPrecision(4))}`
}

/** Why `live` cannot stand in for `table` (tier by tier, the table's last tier for any beyond it), or undefined. */
export function implausible(live: Tier[], table: Tier[]): string | undefined {
  for (const [i, tier] of live.entries()) {
    const p = tier.price
    const ref = table[Math.min(i, table.length - 1)].price
    if (!Number.isFinite(p)) return `${String(p)} is not a number`
    if (p <= 0) return `${usd(p)} is not a positive price`
    const ratio = p / ref
    if (ratio < PLAUSIBLE_RANGE.low || ratio > PLAUSIBLE_RANGE.high) {
      return `${usd(p)} is ${Number(ratio.toPrecision(3))}× the table's ${usd(ref)}, outside ${PLAUSIBLE_RANGE.low}×–${PLAUSIBLE_RANGE.high}×`
    }
    const bound = tier.upTo
    const last = i === live.length - 1
    if (last ? bound !== undefined : !(bound !== undefined && Number.isFinite(bound) && bound > (live[i - 1]?.upTo ?? 0))) {
      return 'its tiers are not in ascending order with an open last tier'
    }
  }
  return live.length ? undefined : 'no price'
}
