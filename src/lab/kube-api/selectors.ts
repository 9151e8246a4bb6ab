import type { KubeObject } from './store.js'
import { badRequest } from './status.js'

type Requirement = (labels: Record<string, string>) => boolean

// One term of a label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.
function parseTerm(term: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term)
  if (set) {
    const values = set[3].split(',').map((v) => v.trim())
    const [k, op] = [set[1], set[2]]
    return op === 'in' ? (l) => k in l && values.includes(l[k]) : (l) => !(k in l) || !values.includes(l[k])
  }
  const cmp = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term)
  if (cmp) {
    const [, k, op, v] = cmp
    return op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term)
  if (exists) return exists[1] ? (l) => !(exists[2] in l) : (l) => exists[2] in l
  throw badRequest(`unable to parse requirement: ${term}`)
}

// Splits on commas outside parentheses.
function terms(selector: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

/** A filter for `labelSelector` and `fieldSelector` (`metadata.name`, `metadata.namespace` equality). */
export function selectorFilter(query: URLSearchParams): (o: KubeObject) => boolean {
  const labelReqs = terms(query.get('labelSelector') ?? '').map(parseTerm)
  const fieldReqs = terms(query.get('fieldSelector') ?? '').map((term) => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (!m) throw badRequest(`"${term}" is not a known field selector: only "metadata.name", "metadata.namespace"`)
    const field = m[1] === 'metadata.name' ? 'name' : 'namespace'
    return (o: KubeObject) => (o.metadata[field] === m[3]) === (m[2] !== '!=')
  })
  return (o) => labelReqs.every((r) => r(o.metadata.labels ?? {})) && fieldReqs.every((r) => r(o))
}
