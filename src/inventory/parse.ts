import { dirname } from 'node:path'
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { ansibleVms } from './ansible-format.js'
import type { AnsibleHost, AnsibleTree } from './ansible-tree.js'
import { isInventoryJson, readAnsibleJson } from './ansible-json.js'
import { readAnsibleYaml } from './ansible-yaml.js'
import { looksLikeMeshvmFormat, readMeshvmFormat } from './meshvm-format.js'
import { Problems } from '../problems.js'
import { throwIfAny } from './problems.js'
import { resolveVms } from './resolve.js'
import type { Inventory } from './types.js'
import { ANSIBLE_YAML } from './yaml-1-1.js'
import { reportDuplicateKeys } from './yaml-nodes.js'

/**
 * Parses an inventory: the meshvm format, an Ansible YAML inventory (told apart by the top-level keys), or the JSON of
 * `ansible-inventory --list`; merges each VM's settings and fills defaults. Pure: reads nothing. Throws InventoryError
 * listing every problem found. `file` names the inventory in messages; `dir` is where its relative paths start.
 */
export function parseInventory(text: string, file: string, dir = dirname(file)): Inventory {
  let { doc, problems } = parse(text, file)
  const root = doc.contents
  if (isInventoryJson(root)) return resolved(file, dir, problems, ansibleVms(readAnsibleJson(doc, problems), problems))
  if (!isMap(root) || (looksLikeMeshvmFormat(topKeys(root)) && !looksLikeAnsibleGroups(root))) {
    const vms = resolveVms(readMeshvmFormat(root, problems), problems, dir)
    throwIfAny(problems)
    return { file, vms }
  }
  ;({ doc, problems } = parse(text, file, ANSIBLE_YAML))
  return resolved(file, dir, problems, ansibleVms(readAnsibleYamlTree(doc, problems, file), problems))
}

/**
 * The hosts of an Ansible inventory (YAML, or `ansible-inventory --list` JSON) as Ansible resolves them: groups and
 * combined vars, what `ansible-inventory --list` prints. Throws InventoryError listing every problem found.
 */
export function ansibleHosts(text: string, file: string): AnsibleHost[] {
  let { doc, problems } = parse(text, file)
  if (!isInventoryJson(doc.contents)) ({ doc, problems } = parse(text, file, ANSIBLE_YAML))
  const tree = isInventoryJson(doc.contents) ? readAnsibleJson(doc, problems) : readAnsibleYamlTree(doc, problems, file)
  const hosts = tree.resolve(problems)
  throwIfAny(problems)
  return hosts
}

function readAnsibleYamlTree(doc: Document, problems: Problems, file: string): AnsibleTree {
  const plugin = isMap(doc.contents) ? doc.contents.get('plugin', true) : undefined
  if (plugin) {
    const problem = `an inventory plugin's configuration (plugin: ${String(plugin)}): let Ansible run it with -i ansible:${file}`
    problems.addField(plugin as Node, 'plugin', problem)
  }
  throwIfAny(problems)
  reportDuplicateKeys(doc.contents, '', problems, (path) => (/(^|\.)hosts$/.test(path) ? 'host' : 'key'))
  return readAnsibleYaml(doc, problems)
}

function parse(text: string, file: string, options = {}): { doc: Document; problems: Problems } {
  const lines = new LineCounter()
  const doc = parseDocument(text, { ...options, lineCounter: lines, uniqueKeys: false, prettyErrors: false })
  const problems = new Problems(file, lines)
  for (const error of doc.errors) problems.add(error.pos[0], `YAML: ${error.message.split('\n')[0]}`)
  throwIfAny(problems)
  return { doc, problems }
}

function resolved(file: string, dir: string, problems: Problems, found: ReturnType<typeof ansibleVms>): Inventory {
  const vms = resolveVms(found.sources, problems, dir)
  throwIfAny(problems)
  return { file, vms, skipped: found.skipped }
}

const topKeys = (root: Node | null): string[] =>
  isMap(root) ? root.items.map((pair) => String((pair.key as { value?: unknown })?.value)) : []

/** Ansible groups may be named vms, groups or defaults: a file whose top-level values all look like groups is Ansible's. */
function looksLikeAnsibleGroups(root: Node | null): boolean {
  if (!isMap(root)) return false
  if (topKeys(root).includes('all')) return true
  return root.items.every((pair) => {
    const value = pair.value as Node | null
    if (value === null || (isScalar(value) && value.value === null)) return true
    return (
      isMap(value) &&
      value.items.every((p) => ['hosts', 'vars', 'children'].includes(String((p.key as { value?: unknown })?.value)))
    )
  })
}
