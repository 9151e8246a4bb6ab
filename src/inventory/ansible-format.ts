import { Document, isAlias, isCollection, isMap, isScalar, type Node } from 'yaml'
import { AnsibleTree, type AnsibleHost, type AnsibleVar } from './ansible-tree.js'
import { didYouMean } from './did-you-mean.js'
import { checkField, isField, type FieldName, type Setting, type Spot } from './fields.js'
import { renderHostTemplate } from './jinja.js'
import type { Problems } from '../problems.js'
import type { VmSource } from './resolve.js'
import { splitShellWords } from './shell-words.js'
import type { SkippedHost } from './types.js'
import { describe } from './yaml-nodes.js'

/*
 * An Ansible inventory's hosts as VMs. Connection settings are Ansible's own variables, read as the ssh connection
 * does (ansible/ansible lib/ansible/constants.py MAGIC_VARIABLE_MAPPING: the `ansible_ssh_` spelling wins wherever
 * it is set); meshvm's settings are `meshvm_`-prefixed so that they never collide with the variables an inventory
 * already has; every other variable is left to playbooks (`vm.vars`).
 */

const CONNECTION: Array<[FieldName, string[]]> = [
  ['address', ['ansible_ssh_host', 'ansible_host']],
  ['port', ['ansible_ssh_port', 'ansible_port']],
  ['user', ['ansible_ssh_user', 'ansible_user']],
  ['identityFile', ['ansible_ssh_private_key_file', 'ansible_private_key_file']],
]
/** Never read from an inventory: meshvm asks for passwords at run time (`-K`). */
const PASSWORDS = [
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_become_pass',
  'ansible_become_password',
]
const SSH_ARGS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args']
const CONSUMED = new Set([
  ...CONNECTION.flatMap(([, keys]) => keys),
  ...PASSWORDS,
  ...SSH_ARGS,
  'ansible_connection',
  'ansible_become',
  'ansible_become_method',
])
/** Connection plugins that are SSH; a host with any other (local, docker, winrm, …) is no VM to onboard. */
const SSH_CONNECTIONS = [
  'ssh',
  'smart',
  'paramiko',
  'paramiko_ssh',
  'ansible.builtin.ssh',
  'ansible.builtin.paramiko_ssh',
]

const MESHVM_FIELDS: FieldName[] = [
  ...['app', 'namespace', 'serviceAccount', 'labels', 'annotations', 'ports', 'network', 'probe'],
  ...['revision', 'istioNamespace', 'clusterId', 'ingressIP', 'ingressService', 'internalIP', 'externalIP'],
  ...['autoregister', 'workloadEntryHealth', 'captureDns', 'tokenDuration', 'package', 'packageMirror'],
  ...['packageFetch', 'proxyJump', 'knownHostsFile'],
] as FieldName[]

const snake = (field: string) => field.replace(/IP$/, 'Ip').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** The name of a meshvm setting in an Ansible inventory: `meshvm_ingress_ip`, `ansible_host`, … */
export const ansibleKey = (field: FieldName): string =>
  CONNECTION.find(([f]) => f === field)?.[1][1] ?? (field === 'become' ? 'ansible_become' : `meshvm_${snake(field)}`)

const BY_KEY = new Map(MESHVM_FIELDS.map((f) => [ansibleKey(f), f]))

/** The hosts of an inventory that meshvm onboards, and those it leaves alone (not reached over SSH). */
export function ansibleVms(tree: AnsibleTree, problems: Problems): { sources: VmSource[]; skipped: SkippedHost[] } {
  const hosts = tree.resolve(problems)
  if (hosts.length === 0) problems.addField(0, 'all', 'no hosts: list them under all: hosts: or a group')
  const sources: VmSource[] = []
  const skipped: SkippedHost[] = []
  for (const host of hosts) {
    const read = new HostReader(host, problems)
    const connection = read.connection()
    if (connection === undefined || SSH_CONNECTIONS.includes(connection)) sources.push(read.source())
    else skipped.push({ name: host.name, reason: `ansible_connection: ${connection} (not reached over SSH)` })
  }
  if (hosts.length > 0 && sources.length === 0)
    problems.addField(0, 'all', 'no host is reached over SSH (see ansible_connection)')
  return { sources, skipped }
}

class HostReader {
  readonly settings: Setting[] = []

  constructor(
    readonly host: AnsibleHost,
    readonly problems: Problems,
  ) {}

  /** The variable, unless unset or null (the ssh plugin skips None). */
  get(key: string): AnsibleVar | undefined {
    const v = this.host.vars.get(key)
    return v && v.value !== null ? v : undefined
  }

  connection(): string | undefined {
    const v = this.get('ansible_connection')
    const spot = v && this.spot(v)
    if (!v || !spot) return undefined
    const value = isScalar(spot.node) ? spot.node.value : undefined
    if (typeof value === 'string') return value
    this.problems.addField(v.at, v.path, `expected a connection plugin name, got ${describe(spot.node)}`)
  }

  /** The value as meshvm's checks see it: rendered, unwrapped from !unsafe, refused when it is a template or vaulted. */
  spot(v: AnsibleVar, coerce?: (value: unknown) => unknown): Spot | undefined {
    if (isTagged(v.value, '__ansible_vault')) {
      this.problems.addField(
        v.at,
        v.path,
        'encrypted with ansible-vault: meshvm cannot decrypt it; set it in plain text',
      )
      return undefined
    }
    const rendered = renderHostTemplate(v.value, this.host.name)
    if (rendered.template !== undefined) {
      const problem = `${JSON.stringify(rendered.template)} is a Jinja template: meshvm renders only {{ inventory_hostname }} and {{ inventory_hostname_short }}`
      this.problems.addField(v.at, v.path, problem)
      return undefined
    }
    const value = coerce ? coerce(rendered.value) : rendered.value
    const same = value === v.value && (v.node !== null || value === null) && !hasAliasOrMerge(v.node)
    return { node: same ? v.node : nodeAt(value, v.at), at: v.at, path: v.path }
  }

  set(field: FieldName, v: AnsibleVar, coerce?: (value: unknown) => unknown): void {
    const spot = this.spot(v, coerce)
    const setting = spot && checkField(field, spot, this.problems, true)
    if (setting) this.settings.push(setting)
  }

  source(): VmSource {
    for (const [field, keys] of CONNECTION) {
      const v = keys.map((k) => this.get(k)).find((found) => found !== undefined)
      if (v) this.set(field, v, field === 'port' ? digitsToNumber : undefined)
    }
    this.become()
    this.sshArgs()
    const vars: Record<string, unknown> = {}
    for (const [key, v] of this.host.vars) {
      if (CONSUMED.has(key)) continue
      const field = BY_KEY.get(key)
      if (field) this.set(field, v)
      else if (key.startsWith('meshvm_')) {
        const slip = didYouMean(key, [...BY_KEY.keys()], 3)
        this.problems.addField(v.at, v.path, `unknown meshvm key${slip ? ` (did you mean ${slip}?)` : ''}`)
      } else if (isField(key) && key !== snake(key)) {
        const spelling = key === 'identityFile' ? 'ansible_ssh_private_key_file' : ansibleKey(key)
        this.problems.addField(
          v.at,
          v.path,
          `in an Ansible inventory meshvm reads ${spelling} (its keys are prefixed so that they never collide with your variables)`,
        )
      } else {
        const rendered = renderHostTemplate(v.value, this.host.name)
        // a template is Ansible's to render; playbooks never see it as text
        if (rendered.template === undefined) vars[key] = rendered.value
      }
    }
    for (const field of ['app', 'namespace'] as FieldName[]) {
      const plain = this.host.vars.get(field)
      if (plain && !this.host.vars.has(ansibleKey(field))) {
        this.problems.addField(
          plain.at,
          plain.path,
          `a plain variable here: meshvm reads ${ansibleKey(field)} in an Ansible inventory`,
        )
      }
    }
    this.settings.push({
      field: 'vars',
      value: vars,
      spot: { node: null, at: this.host.nameNode, path: this.host.path },
    })
    return {
      name: this.host.name,
      nameNode: this.host.nameNode,
      path: this.host.path,
      groups: this.host.groups.filter((g) => g !== 'all'),
      layers: [this.settings],
      keyOf: ansibleKey,
    }
  }

  become(): void {
    const v = this.get('ansible_become')
    const spot = v && this.spot(v, ansibleBoolean)
    if (!v || !spot) return
    const on = isScalar(spot.node) ? spot.node.value : undefined
    if (typeof on !== 'boolean')
      return this.problems.addField(v.at, v.path, `expected true or false, got ${describe(v.node)}`)
    this.settings.push({ field: 'become', value: on ? 'sudo' : 'none', spot })
    const method = this.get('ansible_become_method')
    const methodSpot = on && method && this.spot(method)
    if (methodSpot && (!isScalar(methodSpot.node) || methodSpot.node.value !== 'sudo')) {
      this.problems.addField(method!.at, method!.path, 'only sudo is supported')
    }
  }

  /** `-o ProxyJump=…` or `-J …` (the ssh plugin passes common then extra args); other ssh options belong in ~/.ssh/config. */
  sshArgs(): void {
    for (const key of SSH_ARGS) {
      const v = this.get(key)
      const spot = v && this.spot(v)
      if (!v || !spot) continue
      const text = isScalar(spot.node) && typeof spot.node.value === 'string' ? spot.node.value : undefined
      const words = text === undefined ? undefined : splitShellWords(text)
      const jump = words && proxyJumpOf(words)
      if (jump === null) continue
      if (jump !== undefined) this.settings.push({ field: 'proxyJump', value: jump, spot })
      else
        this.problems.addField(
          v.at,
          v.path,
          'only -o ProxyJump=… or -J … is understood here; put other ssh options in ~/.ssh/config',
        )
    }
  }
}

/** The ProxyJump the words set; null for no words; undefined when there is anything else. */
function proxyJumpOf(words: string[]): string | null | undefined {
  if (words.length === 0) return null
  const m = /^(?:-o\s*ProxyJump(?:=|\s+)|-J\s*)(\S+)$/i.exec(words.join(' '))
  return m ? m[1] : undefined
}

const isTagged = (value: unknown, tag: string): boolean =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 1 && tag in value

const digitsToNumber = (value: unknown) => (typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value)

/** Ansible's boolean(): yes/no, on/off, true/false, y/n, t/f, 1/0 in any case. */
function ansibleBoolean(value: unknown): unknown {
  const text = typeof value === 'string' ? value.toLowerCase() : value
  if (['y', 'yes', 'on', '1', 'true', 't', 1, true].includes(text as never)) return true
  if (['n', 'no', 'off', '0', 'false', 'f', 0, false].includes(text as never)) return false
  return value
}

function hasAliasOrMerge(node: Node | null): boolean {
  if (isAlias(node)) return true
  if (isMap(node))
    return node.items.some(
      (p) => (isScalar(p.key) && typeof p.key.value === 'symbol') || hasAliasOrMerge(p.value as Node),
    )
  return isCollection(node) && node.items.some((item) => hasAliasOrMerge(item as Node))
}

/** A node for a value meshvm computed (rendered, coerced, resolved), placed where the original was written. */
function nodeAt(value: unknown, at: Node): Node {
  const node = new Document().createNode(value) as Node
  const place = (n: unknown) => {
    if (isScalar(n) || isCollection(n)) n.range = at.range
    if (isMap(n)) n.items.forEach((p) => (place(p.key), place(p.value)))
    else if (isCollection(n)) n.items.forEach(place)
  }
  place(node)
  return node
}
