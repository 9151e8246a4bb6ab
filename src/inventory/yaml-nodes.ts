import { isAlias, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml'
import type { Problems } from '../problems.js'

export interface Entry {
  key: string
  keyNode: Node
  /** Null for `key:` with nothing after it. */
  value: Node | null
  path: string
}

export const childPath = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key

/** Words for "got …" in messages. */
export function describe(node: Node | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return 'nothing'
  if (isMap(node)) return 'a map'
  if (isSeq(node)) return 'a list'
  // the source text shows what was typed: 1.10 rather than the number 1.1
  if (!isScalar(node)) return 'an alias (aliases are not supported: use defaults or groups)'
  return typeof node.value === 'string' ? JSON.stringify(node.value) : (node.source ?? String(node.value))
}

/** The plain JavaScript value of a node (aliases are not resolved: meshvm inventories use defaults and groups). */
export const plain = (node: Node | null): unknown => (node === null || isAlias(node) ? null : node.toJSON())

export const isEmpty = (node: Node | null): boolean => node === null || (isScalar(node) && node.value === null)

/** The pairs of a map node; an empty value counts as an empty map, anything else is a problem. */
export function entries(node: Node | null, path: string, problems: Problems): Entry[] {
  if (isEmpty(node)) return []
  if (!isMap(node)) {
    problems.addField(node ?? undefined, path, `expected a map, got ${describe(node)}`)
    return []
  }
  return (node.items as Array<Pair<Node, Node | null>>).map((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    return { key, keyNode: pair.key, value: pair.value, path: childPath(path, key) }
  })
}

/**
 * Reports keys repeated in one map anywhere in the document (the YAML parser runs with uniqueKeys off so that every
 * repeat is reported with its path, not only the first). `what(path)` names the kind of key, e.g. "VM name".
 */
export function reportDuplicateKeys(
  node: Node | null,
  path: string,
  problems: Problems,
  what: (path: string) => string,
): void {
  if (isSeq(node)) {
    for (const [i, item] of (node.items as Node[]).entries())
      reportDuplicateKeys(item, childPath(path, i), problems, what)
  }
  if (!isMap(node)) return
  const seen = new Map<string, Node>()
  for (const pair of node.items as Array<Pair<Node, Node | null>>) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    const first = seen.get(key)
    if (first) {
      const { line } = problems.lines.linePos(first.range?.[0] ?? 0)
      problems.addField(pair.key, childPath(path, key), `duplicate ${what(path)} (first defined on line ${line})`)
    } else seen.set(key, pair.key)
    reportDuplicateKeys(pair.value, childPath(path, key), problems, what)
  }
}
