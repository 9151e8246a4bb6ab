import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml'
import { AnsibleTree, variableOf } from './ansible-tree.js'
import { hint } from './did-you-mean.js'
import { expandHostPattern, HostRangeError } from './host-range.js'
import type { Problems } from '../problems.js'
import { childPath, describe, type Entry } from './yaml-nodes.js'

/*
 * Ansible's YAML inventory plugin (ansible/ansible lib/ansible/plugins/inventory/yaml.py): top-level keys are groups;
 * a group has `hosts`, `vars` and `children` (each a map, or one name as a string); host keys take `:port` and ranges.
 * Where Ansible only warns and drops what it cannot read because of a typo (`host:` for `hosts:`), meshvm refuses
 * the file, naming the line.
 */

const SECTIONS = ['hosts', 'vars', 'children']

/** Reads the document into an AnsibleTree; problems are reported, not thrown. */
export function readAnsibleYaml(doc: Document, problems: Problems): AnsibleTree {
  const tree = new AnsibleTree()
  const read = new Reader(doc, tree, problems)
  for (const e of read.entries(doc.contents, '') ?? []) read.group(e, undefined)
  return tree
}

class Reader {
  constructor(
    readonly doc: Document,
    readonly tree: AnsibleTree,
    readonly problems: Problems,
  ) {}

  deref(node: Node | null): Node | null {
    return isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? null) : node
  }

  /** A map's entries with `<<` merge keys applied as PyYAML does (own keys win; earlier merged maps over later). */
  entries(node: Node | null, path: string): Entry[] | undefined {
    const map = this.deref(node)
    if (map === null || (isScalar(map) && map.value === null)) return []
    if (!isMap(map)) return undefined
    const merged: Entry[] = []
    const own: Entry[] = []
    for (const pair of map.items as Array<Pair<Node, Node | null>>) {
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        const source = this.deref(pair.value)
        const maps = isSeq(source) ? [...(source.items as Node[])].reverse() : [source]
        for (const m of maps) merged.push(...(this.entries(m, path) ?? []))
        continue
      }
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      own.push({ key, keyNode: pair.key, value: pair.value, path: childPath(path, key) })
    }
    const byKey = new Map<string, Entry>()
    for (const e of [...merged, ...own]) byKey.set(e.key, e)
    return [...byKey.values()]
  }

  /** A section given as one name (`hosts: web1`) is a map of that one key, as in the plugin. */
  section(e: Entry, group: string): Entry[] {
    const node = this.deref(e.value)
    if (isScalar(node) && typeof node.value === 'string') {
      return [{ key: node.value, keyNode: node, value: null, path: childPath(e.path, node.value) }]
    }
    const found = this.entries(node, e.path)
    if (found) return found
    this.problems.addField(
      e.value ?? e.keyNode,
      e.path,
      `expected a map (the ${e.key} of group ${group}), got ${describe(node)}`,
    )
    return []
  }

  group(e: Entry, parent: string | undefined): void {
    const parts = this.entries(e.value, e.path)
    if (!parts) {
      this.problems.addField(
        e.value ?? e.keyNode,
        e.path,
        `expected a group (hosts, vars, children), got ${describe(e.value)}`,
      )
      return
    }
    this.tree.group(e.key, { node: e.keyNode, path: e.path })
    if (parent !== undefined) this.tree.addChild(parent, e.key)
    for (const part of parts) {
      if (!SECTIONS.includes(part.key)) {
        // Ansible skips other keys with a warning (a group holding YAML anchors); a near miss is a typo meshvm reports
        const typo = hint(part.key, SECTIONS)
        if (typo) this.problems.addField(part.keyNode, part.path, `unknown key${typo}`)
        continue
      }
      const items = this.section(part, e.key)
      if (part.key === 'vars') for (const v of items) this.tree.setGroupVar(e.key, v.key, variableOf(this.doc, v))
      else if (part.key === 'children') for (const child of items) this.group(child, e.key)
      else for (const h of items) this.hosts(h, e.key)
    }
  }

  hosts(h: Entry, group: string): void {
    if (!isScalar(h.keyNode) || typeof h.keyNode.value !== 'string') {
      const problem = `host pattern ${h.key} must be a string: enclose integers and floats in quotation marks`
      return this.problems.addField(h.keyNode, h.path, problem)
    }
    const vars = this.entries(h.value, h.path)
    if (!vars)
      return this.problems.addField(
        h.value ?? h.keyNode,
        h.path,
        `expected the host's vars (a map), got ${describe(h.value)}`,
      )
    let expanded: ReturnType<typeof expandHostPattern>
    try {
      expanded = expandHostPattern(h.key)
    } catch (err) {
      if (!(err instanceof HostRangeError)) throw err
      return this.problems.addField(h.keyNode, h.path, err.message)
    }
    for (const name of expanded.names) {
      this.tree.addHost(name, group, h.keyNode, h.path, expanded.port)
      for (const v of vars) this.tree.setHostVar(name, v.key, variableOf(this.doc, v))
    }
  }
}
