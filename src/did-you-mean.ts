/**
 * "Did you mean …?" for anything a user types that must be one of a known set: manifest keys and
 * values, --env names, commands and flags.
 */

/** The candidate nearest to `word` by edit distance (case ignored), when it is near enough to be a typo of it. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  // two edits, or a third of a long word: "lamda" → lambda, "prdo" → prod, but not "qa" → dev
  const near = bestDistance <= Math.max(2, Math.floor(word.length / 3)) && bestDistance < Math.max(word.length, best?.length ?? 0)
  return best !== undefined && near ? best : undefined
}

/** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}
