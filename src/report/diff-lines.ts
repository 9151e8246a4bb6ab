import type { StepDiff } from '../executor/events.js'

type Op = { op: ' ' | '-' | '+'; line: string }

// Above this many cells the LCS table costs more than it is worth: show the whole before and after instead.
const maxCells = 4_000_000

function lines(text: string): string[] {
  if (text === '') return []
  const l = text.split('\n')
  if (l.at(-1) === '') l.pop()
  return l
}

/** Line operations turning `a` into `b`: common prefix and suffix first, LCS on the middle. */
function ops(a: string[], b: string[]): Op[] {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const midA = a.slice(start, endA)
  const midB = b.slice(start, endB)
  const head = a.slice(0, start).map((line): Op => ({ op: ' ', line }))
  const tail = a.slice(endA).map((line): Op => ({ op: ' ', line }))
  return [...head, ...middle(midA, midB), ...tail]
}

function middle(a: string[], b: string[]): Op[] {
  const removed = a.map((line): Op => ({ op: '-', line }))
  const added = b.map((line): Op => ({ op: '+', line }))
  if (a.length === 0 || b.length === 0 || a.length * b.length > maxCells) return [...removed, ...added]
  // lcs[i][j] = length of the longest common subsequence of a[i..] and b[j..]
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1))
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const out: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] })
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', line: a[i++] })
    } else {
      out.push({ op: '+', line: b[j++] })
    }
  }
  return [...out, ...removed.slice(i), ...added.slice(j)]
}

/** A unified diff (`---`/`+++` header, `@@` hunks with `context` lines around changes); empty when nothing differs. */
export function unifiedDiff(diff: StepDiff, context = 3): string[] {
  const all = ops(lines(diff.before), lines(diff.after))
  const keep = all.map(() => false)
  all.forEach((o, i) => {
    if (o.op === ' ') return
    for (let k = Math.max(0, i - context); k <= Math.min(all.length - 1, i + context); k++) keep[k] = true
  })
  if (!keep.includes(true)) return []
  const label = (side: string) => (diff.path ? `${diff.path} (${side})` : side)
  const out = [`--- ${label('before')}`, `+++ ${label('after')}`]
  let oldLine = 1
  let newLine = 1
  for (let i = 0; i < all.length;) {
    if (!keep[i]) {
      if (all[i].op !== '+') oldLine++
      if (all[i].op !== '-') newLine++
      i++
      continue
    }
    const hunk: string[] = []
    const [oldStart, newStart] = [oldLine, newLine]
    for (; i < all.length && keep[i]; i++) {
      hunk.push(all[i].op + all[i].line)
      if (all[i].op !== '+') oldLine++
      if (all[i].op !== '-') newLine++
    }
    out.push(`@@ -${oldStart},${oldLine - oldStart} +${newStart},${newLine - newStart} @@`, ...hunk)
  }
  return out
}
