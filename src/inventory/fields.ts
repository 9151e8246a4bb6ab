import { ansibleBoolean } from '../ansible-boolean.js'
import { isIP } from 'node:net'
import { isMap, isScalar, isSeq, type Node } from 'yaml'
import { hint } from './did-you-mean.js'
import type { Problems } from '../problems.js'
import { childPath, describe, entries, isEmpty, plain, type Entry } from './yaml-nodes.js'

/** A value in the inventory: its node (null when empty), where to point at it, and its field path. */
export interface Spot {
  node: Node | null
  at: Node
  path: string
}

type Check = (spot: Spot, problems: Problems) => unknown

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Reports `expected <what>` and yields undefined, the marker of an invalid value. */
function expected(spot: Spot, problems: Problems, what: string): undefined {
  problems.addField(spot.at, spot.path, `expected ${what}, got ${describe(spot.node)}`)
}

const valueOf = (spot: Spot): unknown => (isScalar(spot.node) ? spot.node.value : undefined)

const text: Check = (spot, problems) => {
  const v = valueOf(spot)
  return typeof v === 'string' && v !== '' ? v : expected(spot, problems, 'a string')
}

const kubernetesName =
  (pattern: RegExp): Check =>
  (spot, problems) => {
    const v = text(spot, problems)
    if (typeof v !== 'string' || pattern.test(v)) return v
    const problem = `${JSON.stringify(v)} is not a valid Kubernetes name (lowercase letters, digits, '-')`
    problems.addField(spot.at, spot.path, problem)
  }

const integer =
  (min: number, max: number, why = ''): Check =>
  (spot, problems) => {
    const v = valueOf(spot)
    if (typeof v !== 'number' || !Number.isInteger(v)) return expected(spot, problems, 'an integer')
    if (v >= min && v <= max) return v
    const problem = max === Infinity ? `${v} is below the minimum of ${min}` : `${v} is out of range ${min}-${max}`
    problems.addField(spot.at, spot.path, `${problem}${why}`)
  }

const port = integer(1, 65535)

const boolean: Check = (spot, problems) => {
  const v = ansibleBoolean(valueOf(spot))
  return v ?? expected(spot, problems, 'true or false (or yes/no)')
}

const ip: Check = (spot, problems) => {
  const v = valueOf(spot)
  return typeof v === 'string' && isIP(v) !== 0 ? v : expected(spot, problems, 'an IP address')
}

const oneOf =
  (...allowed: string[]): Check =>
  (spot, problems) => {
    const v = valueOf(spot)
    return typeof v === 'string' && allowed.includes(v) ? v : expected(spot, problems, allowed.join(' or '))
  }

/** A map whose values all pass `check`; any invalid value makes the whole map invalid. */
const mapOf =
  (check: Check): Check =>
  (spot, problems) => {
    if (!isMap(spot.node) && !isEmpty(spot.node)) return expected(spot, problems, 'a map')
    const out: Record<string, unknown> = {}
    let valid = true
    for (const e of entries(spot.node, spot.path, problems)) {
      const v = check(spotOf(e), problems)
      if (v === undefined) valid = false
      else out[e.key] = v
    }
    return valid ? out : undefined
  }

const quotedString: Check = (spot, problems) => {
  const v = valueOf(spot)
  return typeof v === 'string' ? v : expected(spot, problems, 'a string (quote numbers and booleans)')
}

const anyMap: Check = (spot, problems) =>
  isMap(spot.node) ? plain(spot.node) : isEmpty(spot.node) ? {} : expected(spot, problems, 'a map')

const PACKAGE_KEYS: Record<string, Check> = {
  url: text,
  file: text,
  sha256: (spot, problems) => {
    const v = text(spot, problems)
    if (typeof v !== 'string' || /^[0-9a-f]{64}$/i.test(v)) return v
    problems.addField(spot.at, spot.path, 'expected 64 hexadecimal digits')
  },
  version: text,
}

const packageSource: Check = (spot, problems) => {
  if (!isMap(spot.node)) return expected(spot, problems, 'a map with url or file')
  const out: Record<string, string> = {}
  let valid = true
  for (const e of entries(spot.node, spot.path, problems)) {
    const check = PACKAGE_KEYS[e.key]
    const v = check ? check(spotOf(e), problems) : undefined
    if (!check) problems.addField(e.keyNode, e.path, `unknown key${hint(e.key, Object.keys(PACKAGE_KEYS))}`)
    if (typeof v === 'string') out[e.key] = v
    else valid = false
  }
  if ((out.url === undefined) === (out.file === undefined)) {
    problems.addField(spot.at, spot.path, 'set exactly one of url (downloaded by the VM) or file (pushed from here)')
    valid = false
  } else if (out.url !== undefined && out.sha256 === undefined) {
    problems.addField(spot.at, spot.path, 'url needs sha256 (the download is checked against it)')
    valid = false
  }
  return valid ? out : undefined
}

const httpUrl: Check = (spot, problems) => {
  const v = text(spot, problems)
  if (typeof v !== 'string' || /^https?:\/\/[^/\s]+/.test(v)) return v
  problems.addField(spot.at, spot.path, 'expected an http:// or https:// URL')
}

const password: Check = (spot, problems) =>
  problems.addField(spot.at, spot.path, 'passwords do not belong in an inventory: meshvm asks for them at run time')

/** The `groups:` list of a VM in the meshvm format. */
export const checkGroupList: Check = (spot, problems) => {
  if (!isSeq(spot.node)) return expected(spot, problems, 'a list of group names')
  const names = (spot.node.items as Node[]).map((item, i) =>
    text({ node: item, at: item, path: childPath(spot.path, i) }, problems),
  )
  return names.every((n) => n !== undefined) ? names : undefined
}

/** Every key a VM, group or defaults entry may set. `perKey` maps merge key by key across layers; others replace. */
export const FIELDS = {
  address: { check: text, vmOnly: true },
  port: { check: port },
  user: { check: text },
  identityFile: { check: text },
  password: { check: password },
  proxyJump: { check: text },
  knownHostsFile: { check: text },
  app: { check: kubernetesName(DNS_SUBDOMAIN) },
  namespace: { check: kubernetesName(DNS_LABEL) },
  serviceAccount: { check: kubernetesName(DNS_SUBDOMAIN) },
  labels: { check: mapOf(quotedString), perKey: true },
  annotations: { check: mapOf(quotedString), perKey: true },
  ports: { check: mapOf(port), perKey: true },
  network: { check: text },
  probe: { check: anyMap },
  revision: { check: text },
  istioNamespace: { check: kubernetesName(DNS_LABEL) },
  clusterId: { check: text },
  ingressIP: { check: ip },
  ingressService: { check: text },
  internalIP: { check: ip },
  externalIP: { check: ip },
  autoregister: { check: boolean },
  workloadEntryHealth: { check: boolean },
  captureDns: { check: boolean },
  tokenDuration: { check: integer(600, Infinity, ' seconds: Kubernetes grants no shorter token') },
  package: { check: packageSource },
  packageMirror: { check: httpUrl },
  packageFetch: { check: oneOf('controller', 'vm') },
  become: { check: oneOf('sudo', 'none') },
  vars: { check: anyMap, perKey: true },
} satisfies Record<string, { check: Check; perKey?: true; vmOnly?: true }>

export type FieldName = keyof typeof FIELDS

export const isField = (key: string): key is FieldName => Object.hasOwn(FIELDS, key)

/** One field set in one place (a VM, a group, the defaults). */
export interface Setting {
  field: FieldName
  value: unknown
  spot: Spot
}

export const spotOf = (e: Entry): Spot => ({
  node: e.value,
  at: isEmpty(e.value) ? e.keyNode : (e.value as Node),
  path: e.path,
})

/** Checks one field's value; undefined when it is invalid (the problem is reported). */
export function checkField(field: FieldName, spot: Spot, problems: Problems, onVm: boolean): Setting | undefined {
  const def: { check: Check; vmOnly?: true } = FIELDS[field]
  if (def.vmOnly && !onVm) {
    problems.addField(spot.at, spot.path, 'can only be set on a single VM')
    return undefined
  }
  const value = def.check(spot, problems)
  return value === undefined ? undefined : { field, value, spot }
}
