/** The closest candidate to a mistyped name, if one is close enough (`maxDistance` edits) to be a likely typo. */
export function didYouMean(name: string, candidates: Iterable<string>, maxDistance?: number): string | undefined {
  const loose = (s: string) => s.toLowerCase().replace(/[-_]/g, '')
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    // ingress_ip, IngressIP and ingressip all mean ingressIP
    const d = loose(candidate) === loose(name) ? 0 : editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  const allowed = maxDistance ?? (name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3)
  return bestDistance <= allowed ? best : undefined
}

/** ` (did you mean x?)` or nothing. */
export function hint(name: string, candidates: Iterable<string>): string {
  const guess = didYouMean(name, candidates)
  return guess === undefined ? '' : ` (did you mean ${guess}?)`
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  let beforePrevious = previous
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      // swapped neighbours (wbe for web) are one slip, not two
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], beforePrevious[j - 2] + 1)
      }
    }
    beforePrevious = previous
    previous = current
  }
  return previous[b.length]
}
