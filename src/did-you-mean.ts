/**
 * "Did you mean …?" for anything a user types that must be one of a known set: manifest keys and
 * values, --env names, commands, flags and flag values. Our own few lines instead of
 * @oclif/plugin-not-found (which needs Node 22 and loads more at start-up).
 */

/**
 * The candidate nearest to `word` (case ignored), when it is near enough to be a typo of it: two edits,
 * or a third of a long word ("lamda" → lambda, "prdo" → prod, "deplooy" → deploy, but not "qa" → dev);
 * or the only candidate that starts with the word ("dest" → destroy).
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  if (!lower) return undefined
  // a unique beginning is as good a hint as a typo
  const starts = candidates.filter((c) => c.toLowerCase().startsWith(lower))
  if (lower.length >= 3 && starts.length === 1) return starts[0]
  const limit = Math.max(2, Math.floor(lower.length / 3))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    // lengths that differ by more than the limit cannot be a typo: no need to measure (a 100 kB key stays cheap)
    if (Math.abs(candidate.length - lower.length) > limit) continue
    const d = editDistance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  // a word that must be rewritten whole ("ab" → "xy") is no typo
  const near = bestDistance <= limit && bestDistance < Math.max(lower.length, best?.length ?? 0)
  return best !== undefined && near ? best : undefined
}

/** Edit distance: insertions, deletions, substitutions, and swaps of two neighbours ("lmabda": one edit). Three rows of memory. */
export function editDistance(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, () => 0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1)
    }
    before = previous
    previous = row
  }
  return previous[b.length]
}
