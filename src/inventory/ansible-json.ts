import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml'
import { AnsibleTree, variableOf } from './ansible-tree.js'
import type { Problems } from '../problems.js'
import { childPath, describe, entries, type Entry } from './yaml-nodes.js'

/*
 * The JSON of `ansible-inventory --list` (and of inventory scripts, which it is modelled on: ansible/ansible
 * lib/ansible/plugins/inventory/script.py): groups with `hosts` and `children` lists and optional `vars`, or a bare list
 * of hosts; every host's vars under `_meta.hostvars`. This is how dynamic inventories (aws_ec2, gcp_compute, azure_rm,
 * scripts) reach meshvm: Ansible resolves them, meshvm reads the result.
 */

/** True for a document shaped as `ansible-inventory --list` output (it has `_meta`). */
export const isInventoryJson = (root: Node | null): boolean =>
  isMap(root) && root.items.some((pair) => isScalar(pair.key) && pair.key.value === '_meta')

export function readAnsibleJson(doc: Document, problems: Problems): AnsibleTree {
  const tree = new AnsibleTree()
  const names = (e: Entry): Array<{ name: string; node: Node; path: string }> => {
    if (!isSeq(e.value)) {
      problems.addField(e.value ?? e.keyNode, e.path, `expected a list of names, got ${describe(e.value)}`)
      return []
    }
    return (e.value.items as Node[]).flatMap((item, i) => {
      if (isScalar(item) && typeof item.value === 'string')
        return [{ name: item.value, node: item, path: childPath(e.path, i) }]
      problems.addField(item, childPath(e.path, i), `expected a name, got ${describe(item)}`)
      return []
    })
  }
  const hostvars: Entry[] = []
  for (const e of entries(doc.contents, '', problems)) {
    if (e.key === '_meta') {
      for (const m of entries(e.value, e.path, problems))
        if (m.key === 'hostvars') hostvars.push(...entries(m.value, m.path, problems))
      continue
    }
    tree.group(e.key, { node: e.keyNode, path: e.path })
    if (isSeq(e.value)) {
      for (const h of names(e)) tree.addHost(h.name, e.key, h.node, h.path)
      continue
    }
    for (const part of entries(e.value, e.path, problems)) {
      if (part.key === 'hosts') for (const h of names(part)) tree.addHost(h.name, e.key, h.node, h.path)
      else if (part.key === 'children') for (const c of names(part)) tree.addChild(e.key, c.name)
      else if (part.key === 'vars') {
        for (const v of entries(part.value, part.path, problems)) tree.setGroupVar(e.key, v.key, variableOf(doc, v))
      }
    }
  }
  for (const h of hostvars) {
    if (!tree.hosts.has(h.key)) tree.addHost(h.key, 'all', h.keyNode, h.path)
    for (const v of entries(h.value, h.path, problems)) tree.setHostVar(h.key, v.key, variableOf(doc, v))
  }
  return tree
}
