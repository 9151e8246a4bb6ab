// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`).
// Usage: node bench/cpu-profile.mjs FILE.cpuprofile [top=15]
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))

/** [{ fn, where, selfMs, pct }] sorted by self time; (idle) and (program) included, so the total is wall time. */
export function topSelfTime(file, top = 15) {
  const p = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const selfUs = new Map()
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)))
  const byFn = new Map()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame
    const path = url.startsWith('file://') ? relative(repo, fileURLToPath(url)) : url
    const key = `${functionName || '(anonymous)'}\t${path ? `${path}:${lineNumber + 1}` : ''}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
  }
  const total = [...byFn.values()].reduce((a, b) => a + b, 0)
  return [...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [fn, where] = key.split('\t')
      return { fn, where, selfMs: Math.round(us / 1000), pct: Math.round((1000 * us) / total) / 10 }
    })
}

export function formatTop(rows) {
  const line = (r) => `${String(r.selfMs).padStart(7)} ms ${String(r.pct).padStart(5)}%  ${r.fn}  ${r.where}`
  return rows.map(line).join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node bench/cpu-profile.mjs FILE.cpuprofile [top]')
    process.exit(5)
  }
  console.log(formatTop(topSelfTime(file, Number(top ?? 15))))
}
