import { isScalar, type Node } from 'yaml'
import { didYouMean, hint } from './did-you-mean.js'
import { checkField, FIELDS, isField, spotOf, type FieldName, type Setting } from './fields.js'
import { expandHostRange } from './host-range.js'
import type { Problems } from '../problems.js'
import type { VmSource } from './resolve.js'
import { describe, entries, plain, reportDuplicateKeys, type Entry } from './yaml-nodes.js'

interface Group {
  parents: Set<string>
  vars: Setting[]
  hosts: Set<string>
  /** Where the group first appears. */
  at?: { node: Node; path: string }
}

interface Host {
  nameNode: Node
  path: string
  /** Host vars of each place the host is listed, in document order (later wins, as in Ansible). */
  vars: Setting[][]
}

const ALIASES: Record<string, FieldName> = {
  ansible_host: 'address',
  ansible_ssh_host: 'address',
  ansible_port: 'port',
  ansible_ssh_port: 'port',
  ansible_user: 'user',
  ansible_ssh_user: 'user',
  ansible_ssh_private_key_file: 'identityFile',
  ansible_private_key_file: 'identityFile',
  ansible_password: 'password',
  ansible_ssh_pass: 'password',
  ansible_ssh_password: 'password',
  ansible_become_pass: 'password',
  ansible_become_password: 'password',
}

/** An Ansible YAML inventory: all.vars < parent groups < child groups (same depth: by name) < host vars. */
export function readAnsibleFormat(root: Node | null, problems: Problems): VmSource[] {
  reportDuplicateKeys(root, '', problems, (path) => (/(^|\.)hosts$/.test(path) ? 'host' : 'key'))
  const groups = new Map<string, Group>()
  const hosts = new Map<string, Host>()
  const group = (name: string) => groups.get(name) ?? groups.set(name, newGroup()).get(name)!
  group('all')

  const readGroup = (entry: Entry, parent: string | undefined) => {
    const g = group(entry.key)
    g.at ??= { node: entry.keyNode, path: entry.path }
    if (parent) g.parents.add(parent)
    for (const part of entries(entry.value, entry.path, problems)) {
      if (part.key === 'vars') g.vars.push(...readVars(part, problems, false))
      else if (part.key === 'children') entries(part.value, part.path, problems).forEach((c) => readGroup(c, entry.key))
      else if (part.key === 'hosts') {
        for (const h of entries(part.value, part.path, problems)) {
          const vars = readVars(h, problems, true)
          for (const name of expandHostRange(h.key)) {
            g.hosts.add(name)
            const host = hosts.get(name) ?? hosts.set(name, { nameNode: h.keyNode, path: h.path, vars: [] }).get(name)!
            host.vars.push(vars)
          }
        }
      } else problems.addField(part.keyNode, part.path, `unknown key${hint(part.key, ['hosts', 'vars', 'children'])}`)
    }
  }
  for (const e of entries(root, '', problems)) readGroup(e, e.key === 'all' ? undefined : 'all')
  if (hosts.size === 0) problems.addField(root ?? 0, 'all', 'no hosts: list them under all: hosts: or a group')

  const depth = groupDepths(groups, problems)
  groups.forEach((_, name) => depth(name))
  return [...hosts].map(([name, host]) => {
    const own = [...groups].filter(([, g]) => g.hosts.has(name)).map(([n]) => n)
    const member = [...ancestorsAndSelf(own, groups)].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))
    return {
      name,
      nameNode: host.nameNode,
      path: host.path,
      groups: member.filter((n) => n !== 'all'),
      layers: [...member.map((n) => group(n).vars), ...host.vars],
    }
  })
}

const newGroup = (): Group => ({ parents: new Set(), vars: [], hosts: new Set() })

function ancestorsAndSelf(names: string[], groups: Map<string, Group>): Set<string> {
  const found = new Set<string>(['all'])
  const visit = (n: string) => {
    if (found.has(n)) return
    found.add(n)
    groups.get(n)?.parents.forEach(visit)
  }
  names.forEach(visit)
  return found
}

/** Depth as Ansible counts it: the longest path from `all`. A group that is its own ancestor is reported. */
function groupDepths(groups: Map<string, Group>, problems: Problems): (name: string) => number {
  const memo = new Map<string, number>()
  const depth = (name: string, path: string[]): number => {
    if (memo.has(name)) return memo.get(name)!
    if (path.includes(name)) {
      const at = groups.get(name)?.at
      problems.addField(at?.node, at?.path ?? name, `group is its own ancestor (${[...path, name].join(' > ')})`)
      return 0
    }
    const parents = [...(groups.get(name)?.parents ?? [])]
    const d = parents.length === 0 ? 0 : Math.max(...parents.map((p) => depth(p, [...path, name]) + 1))
    memo.set(name, d)
    return d
  }
  return (name) => depth(name, [])
}

function readVars(entry: Entry, problems: Problems, onVm: boolean): Setting[] {
  const settings: Setting[] = []
  const add = (field: FieldName, e: Entry) => {
    const setting = checkField(field, spotOf(e), problems, onVm)
    if (setting) settings.push(setting)
  }
  for (const e of entries(entry.value, entry.path, problems)) {
    const field = isField(e.key) ? e.key : ALIASES[e.key]
    if (field) add(field, e)
    else if (e.key === 'ansible_become') settings.push(...become(e, problems))
    else if (e.key === 'ansible_become_method') {
      if (!isScalar(e.value) || e.value.value !== 'sudo')
        problems.addField(spotOf(e).at, e.path, 'only sudo is supported')
    } else if (e.key === 'ansible_ssh_common_args' || e.key === 'ansible_ssh_extra_args') {
      settings.push(...proxyJumpFromArgs(e, problems))
    } else {
      // a playbook variable, unless it is one slip away from a meshvm key (`namspace`, `ingress_ip`)
      const slip = didYouMean(e.key, Object.keys(FIELDS), e.key.length >= 5 ? 1 : 0)
      if (slip && !e.key.startsWith('ansible_'))
        problems.addField(e.keyNode, e.path, `unknown key (did you mean ${slip}?)`)
      else {
        settings.push({ field: 'vars', value: { [e.key]: plain(e.value) }, spot: spotOf(e) })
      }
    }
  }
  return settings
}

function become(e: Entry, problems: Problems): Setting[] {
  const v = isScalar(e.value) ? e.value.value : undefined
  const on = typeof v === 'string' ? { yes: true, true: true, no: false, false: false }[v.toLowerCase()] : v
  if (typeof on === 'boolean') return [{ field: 'become', value: on ? 'sudo' : 'none', spot: spotOf(e) }]
  problems.addField(spotOf(e).at, e.path, `expected true or false, got ${describe(e.value)}`)
  return []
}

/** `-o ProxyJump=bastion` or `-J bastion`; other ssh options belong in ~/.ssh/config, which meshvm reads. */
function proxyJumpFromArgs(e: Entry, problems: Problems): Setting[] {
  const args = isScalar(e.value) && typeof e.value.value === 'string' ? e.value.value : ''
  const m = /(?:-o\s*["']?ProxyJump[=\s]\s*|-J\s*)([^\s"']+)["']?/i.exec(args)
  if (m && args.replace(m[0], '').trim() === '') return [{ field: 'proxyJump', value: m[1], spot: spotOf(e) }]
  const problem = 'only -o ProxyJump=… or -J … is understood here; put other ssh options in ~/.ssh/config'
  problems.addField(spotOf(e).at, e.path, problem)
  return []
}
