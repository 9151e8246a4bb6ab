/** A line that no snippet prints: the nonce is fresh per run. */
const marker = (nonce: string, i: number | 'end') => `@@meshvm-facts ${nonce} ${i}@@`

/** One script running every snippet in its own subshell, each output introduced by a marker line. */
export function factsScript(snippets: string[], nonce: string): string {
  const parts = snippets.map((s, i) => `echo '${marker(nonce, i)}'\n(\n${s}\n) 2>/dev/null`)
  return [...parts, `echo '${marker(nonce, 'end')}'`].join('\n')
}

/** Splits the script's stdout back into one facts text per snippet; a cut-short output throws. */
export function splitFacts(stdout: string, nonce: string, count: number): string[] {
  const out: string[] = []
  let from = -1
  for (let i = 0; i <= count; i++) {
    const line = marker(nonce, i === count ? 'end' : i) + '\n'
    const at = stdout.indexOf(line, from < 0 ? 0 : from)
    if (at < 0) throw new Error(`facts output ended early (before step ${i + 1} of ${count})`)
    if (from >= 0) out.push(stdout.slice(from, at))
    from = at + line.length
  }
  return out
}
