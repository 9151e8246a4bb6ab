import { isSeq, type Node } from 'yaml'
import { hint } from './did-you-mean.js'
import { checkField, checkGroupList, FIELDS, isField, spotOf, type Setting } from './fields.js'
import type { Problems } from '../problems.js'
import type { VmSource } from './resolve.js'
import { childPath, entries, reportDuplicateKeys, type Entry } from './yaml-nodes.js'

const TOP_KEYS = ['defaults', 'groups', 'vms']

/** True when the document's top-level keys are meshvm's own (`vms`, `defaults`, `groups`). */
export const looksLikeMeshvmFormat = (topKeys: string[]): boolean => topKeys.some((k) => TOP_KEYS.includes(k))

/** The meshvm format: defaults < groups (in the order a VM lists them) < the VM's own keys. */
export function readMeshvmFormat(root: Node | null, problems: Problems): VmSource[] {
  reportDuplicateKeys(root, '', problems, (path) => ({ vms: 'VM name', groups: 'group name' })[path] ?? 'key')
  let defaults: Setting[] = []
  const groups = new Map<string, Setting[]>()
  let vms: Entry[] | undefined
  for (const e of entries(root, '', problems)) {
    if (e.key === 'defaults') defaults = readLayer(e, problems, false)
    else if (e.key === 'groups') {
      for (const g of entries(e.value, e.path, problems)) groups.set(g.key, readLayer(g, problems, false))
    } else if (e.key === 'vms') vms = entries(e.value, e.path, problems)
    else problems.addField(e.keyNode, e.path, `unknown key${hint(e.key, TOP_KEYS)}`)
  }
  if (!vms?.length) problems.addField(root ?? 0, 'vms', 'no VMs: list them under vms:')
  return (vms ?? []).map((vm) => {
    const names: string[] = []
    const own = readLayer(vm, problems, true, (e) => names.push(...groupNames(e, groups, problems)))
    return {
      name: vm.key,
      nameNode: vm.keyNode,
      path: vm.path,
      groups: names,
      layers: [defaults, ...names.map((n) => groups.get(n) ?? []), own],
    }
  })
}

function readLayer(entry: Entry, problems: Problems, onVm: boolean, onGroups?: (e: Entry) => void): Setting[] {
  const settings: Setting[] = []
  const known = () => [...Object.keys(FIELDS), ...(onGroups ? ['groups'] : [])]
  for (const e of entries(entry.value, entry.path, problems)) {
    if (e.key === 'groups' && onGroups) onGroups(e)
    else if (isField(e.key)) {
      const setting = checkField(e.key, spotOf(e), problems, onVm)
      if (setting) settings.push(setting)
    } else problems.addField(e.keyNode, e.path, `unknown key${hint(e.key, known())}`)
  }
  return settings
}

function groupNames(entry: Entry, groups: Map<string, Setting[]>, problems: Problems): string[] {
  const names = checkGroupList(spotOf(entry), problems) as string[] | undefined
  if (!names || !isSeq(entry.value)) return []
  const items = entry.value.items as Node[]
  names.forEach((name, i) => {
    if (!groups.has(name)) {
      const problem = `unknown group ${JSON.stringify(name)}${hint(name, groups.keys())}`
      problems.addField(items[i], childPath(entry.path, i), problem)
    }
  })
  return names.filter((n) => groups.has(n))
}
