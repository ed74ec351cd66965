/**
 * "did you mean …?" for commands, flags and flag values. Our own few lines instead of
 * @oclif/plugin-not-found (which needs Node 22 and loads more at start-up).
 */

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours: "lmabda"). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[rows - 1][cols - 1]
}

/**
 * The candidate closest to `word`, if it is close enough to be what was meant: at most a third of
 * the word's letters wrong (at least one), so "deplooy" finds "deploy" but "xyz" finds nothing; or
 * the only candidate that starts with the word.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  if (!lower) return undefined
  // a unique beginning ("dest") is as good a hint as a typo
  const starts = candidates.filter((c) => c.toLowerCase().startsWith(lower))
  if (lower.length >= 3 && starts.length === 1) return starts[0]
  const limit = Math.max(1, Math.floor(lower.length / 3))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= limit ? best : undefined
}
