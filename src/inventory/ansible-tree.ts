import type { Document, Node } from 'yaml'
import type { Problems } from '../problems.js'
import type { Entry } from './yaml-nodes.js'

/*
 * An Ansible inventory as Ansible holds it (ansible/ansible lib/ansible/inventory/data.py, group.py, host.py,
 * helpers.py), filled by the YAML reader or from `ansible-inventory --list` JSON, and resolved as `ansible-inventory
 * --list` shows it: per host, group vars by (depth, ansible_group_priority, name), then host vars; a var set again
 * replaces the earlier value whole (hash_behaviour=replace, Ansible's default), maps included.
 */

/** One variable as set in the file: its plain value and where it was written. */
export interface AnsibleVar {
  value: unknown
  /** The value's node (null when written as nothing). */
  node: Node | null
  /** Where to point at it in messages. */
  at: Node
  path: string
}

interface Group {
  parents: Set<string>
  hosts: string[]
  vars: Map<string, AnsibleVar>
  priority: number
  at?: { node: Node; path: string }
}

interface Host {
  nameNode: Node
  path: string
  vars: Map<string, AnsibleVar>
}

/** A host as Ansible resolves it: its groups in precedence order (`all` first) and its combined vars. */
export interface AnsibleHost {
  name: string
  nameNode: Node
  path: string
  groups: string[]
  vars: Map<string, AnsibleVar>
}

export class AnsibleTree {
  readonly groups = new Map<string, Group>()
  readonly hosts = new Map<string, Host>()

  constructor() {
    this.group('all')
    this.addChild('all', 'ungrouped')
  }

  group(name: string, at?: { node: Node; path: string }): Group {
    let g = this.groups.get(name)
    if (!g) this.groups.set(name, (g = { parents: new Set(), hosts: [], vars: new Map(), priority: 1 }))
    g.at ??= at
    return g
  }

  addChild(parent: string, child: string): void {
    this.group(parent)
    this.group(child).parents.add(parent)
  }

  /** Adds a host to a group; a `:port` in the host key sets ansible_port when the host is first seen (Host.__init__). */
  addHost(name: string, group: string, nameNode: Node, path: string, port?: number): void {
    let host = this.hosts.get(name)
    if (!host) {
      this.hosts.set(name, (host = { nameNode, path, vars: new Map() }))
      if (port !== undefined) host.vars.set('ansible_port', { value: port, node: null, at: nameNode, path })
    }
    const g = this.group(group)
    if (!g.hosts.includes(name)) g.hosts.push(name)
  }

  setGroupVar(group: string, key: string, v: AnsibleVar): void {
    const g = this.group(group)
    if (key !== 'ansible_group_priority') g.vars.set(key, v)
    else {
      // Group.set_priority: int(value); a value int() refuses is ignored
      const p = v.value
      if (typeof p === 'number' && Number.isFinite(p)) g.priority = Math.trunc(p)
      else if (typeof p === 'boolean') g.priority = Number(p)
      else if (typeof p === 'string' && /^\s*[-+]?[0-9]+\s*$/.test(p)) g.priority = Number(p)
    }
  }

  setHostVar(host: string, key: string, v: AnsibleVar): void {
    this.hosts.get(host)?.vars.set(key, v)
  }

  /** Every host with its groups and vars, in the order the hosts were first listed (reconcile_inventory first). */
  resolve(problems: Problems): AnsibleHost[] {
    for (const [name, g] of this.groups) if (name !== 'all' && g.parents.size === 0) g.parents.add('all')
    const depth = this.depths(problems)
    this.groups.forEach((_, name) => depth(name))
    const direct = new Map<string, Set<string>>()
    for (const [name, g] of this.groups)
      for (const h of g.hosts) (direct.get(h) ?? direct.set(h, new Set()).get(h)!).add(name)
    return [...this.hosts].map(([name, host]) => {
      const own = direct.get(name) ?? new Set()
      if ([...own].some((g) => g !== 'all' && g !== 'ungrouped')) own.delete('ungrouped')
      else own.add('ungrouped')
      const groups = [...this.ancestorsAndSelf(own)].sort(
        (a, b) =>
          depth(a) - depth(b) || this.group(a).priority - this.group(b).priority || (a < b ? -1 : a > b ? 1 : 0),
      )
      const vars = new Map<string, AnsibleVar>()
      for (const g of groups) for (const [k, v] of this.group(g).vars) vars.set(k, v)
      for (const [k, v] of host.vars) vars.set(k, v)
      return { name, nameNode: host.nameNode, path: host.path, groups, vars }
    })
  }

  private ancestorsAndSelf(names: Set<string>): Set<string> {
    const found = new Set<string>(['all'])
    const visit = (n: string) => {
      if (found.has(n)) return
      found.add(n)
      this.groups.get(n)?.parents.forEach(visit)
    }
    names.forEach(visit)
    return found
  }

  /** Depth as Group.depth ends up: the longest path from `all`. A group that is its own ancestor is reported. */
  private depths(problems: Problems): (name: string) => number {
    const memo = new Map<string, number>()
    const depth = (name: string, path: string[]): number => {
      if (memo.has(name)) return memo.get(name)!
      if (path.includes(name)) {
        const at = this.groups.get(name)?.at
        problems.addField(at?.node, at?.path ?? name, `group is its own ancestor (${[...path, name].join(' > ')})`)
        return 0
      }
      const parents = [...(this.groups.get(name)?.parents ?? [])]
      const d = parents.length === 0 ? 0 : Math.max(...parents.map((p) => depth(p, [...path, name]) + 1))
      memo.set(name, d)
      return d
    }
    return (name) => depth(name, [])
  }
}

/** A resolved host's vars as plain values, as `ansible-inventory --list` prints them under `_meta.hostvars`. */
export const plainVars = (host: AnsibleHost): Record<string, unknown> =>
  Object.fromEntries([...host.vars].map(([k, v]) => [k, v.value]))

/** The variable a map entry sets (aliases resolved). */
export const variableOf = (doc: Document, e: Entry): AnsibleVar => ({
  value: e.value === null ? null : e.value.toJS(doc, { maxAliasCount: -1 }),
  node: e.value,
  at: e.value ?? e.keyNode,
  path: e.path,
})
