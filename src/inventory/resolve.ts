import { isIP } from 'node:net'
import { homedir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import type { Node } from 'yaml'
import { FIELDS, type FieldName, type Setting } from './fields.js'
import type { Problems } from '../problems.js'
import type { PackageSource, Vm, WorkloadGroupSpec } from './types.js'
import { vmNameProblem } from './vm-name.js'
import { childPath } from './yaml-nodes.js'

/** One VM as found in the file, before merging: its layers from lowest to highest precedence. */
export interface VmSource {
  name: string
  nameNode: Node
  path: string
  groups: string[]
  layers: Setting[][]
  /** How the file spells a field, for messages (default: the field's own name). */
  keyOf?: (field: FieldName) => string
}

/** Merges each VM's layers and fills defaults; problems are reported, not thrown. `dir` holds the inventory file. */
export function resolveVms(sources: VmSource[], problems: Problems, dir: string): Vm[] {
  // VMs share their defaults' and groups' paths: each distinct one is expanded once
  const paths = { local: once((path) => resolve(dir, expandHome(path)!)), home: once(expandHome) }
  const vms = sources.map((source) => resolveVm(source, problems, paths))
  // a conflict is often the echo of a problem already reported (an unknown group, a mistyped key)
  if (problems.count === 0) reportWorkloadGroupConflicts(sources, vms, problems)
  return vms
}

function merge(layers: Setting[][]): Map<FieldName, Setting> {
  const merged = new Map<FieldName, Setting>()
  for (const layer of layers)
    for (const setting of layer) {
      const earlier = merged.get(setting.field)
      const perKey = 'perKey' in FIELDS[setting.field] && earlier
      // the setting itself unless maps merge key by key: 10,000 VMs share their defaults' and groups' settings
      merged.set(
        setting.field,
        perKey ? { ...setting, value: { ...(earlier.value as object), ...(setting.value as object) } } : setting,
      )
    }
  return merged
}

function resolveVm(source: VmSource, problems: Problems, paths: Record<'local' | 'home', Expand>): Vm {
  const merged = merge(source.layers)
  const badName = vmNameProblem(source.name)
  if (badName) problems.addField(source.nameNode, source.path, badName)
  const get = <T>(field: FieldName): T | undefined => merged.get(field)?.value as T | undefined
  const required = (field: FieldName, what: string): string => {
    const value = get<string>(field)
    if (value === undefined) {
      const key = source.keyOf?.(field) ?? field
      problems.addField(
        source.nameNode,
        childPath(source.path, key),
        `missing (${what}; set it on the VM or inherit it)`,
      )
    }
    return value ?? ''
  }
  const address = get<string>('address') ?? source.name
  const internal = merged.get('internalIP')
  const external = merged.get('externalIP')
  if (internal && external) {
    const line = problems.lines.linePos(internal.spot.at.range?.[0] ?? 0).line
    problems.addField(external.spot.at, external.spot.path, `cannot be combined with internalIP (set on line ${line})`)
  }
  const health = merged.get('workloadEntryHealth')
  if (health?.value === true && get('autoregister') === true)
    problems.addField(
      health.spot.at,
      health.spot.path,
      'cannot be combined with autoregister: true (istiod creates auto-registered entries itself; this is for the entry meshvm creates)',
    )
  else if (health?.value === true && !(internal ?? external) && !meshAddress(address))
    problems.addField(
      health.spot.at,
      health.spot.path,
      "needs the VM's mesh IP to name its WorkloadEntry: set internalIP or externalIP, or an address that is an IP",
    )
  else if (health?.value === true && get('probe') === undefined)
    problems.addField(
      health.spot.at,
      health.spot.path,
      "needs a probe: the Healthy condition istiod keeps is the result of the WorkloadGroup's probe, run by the sidecar",
    )
  const user = get<string>('user')
  const port = get<number>('port')
  const pkg = get<PackageSource>('package')
  const known = paths.local(get<string>('knownHostsFile'))
  return {
    name: source.name,
    groups: source.groups,
    ssh: {
      host: address,
      port: port ?? 22,
      user: user ?? userInfo().username,
      identityFile: paths.home(get<string>('identityFile')),
      proxyJump: get<string>('proxyJump'),
      ...(known ? { knownHostsFile: known } : {}),
      defaulted: [...(user === undefined ? ['user' as const] : []), ...(port === undefined ? ['port' as const] : [])],
    },
    workloadGroup: {
      name: required('app', 'the WorkloadGroup name'),
      namespace: required('namespace', 'the WorkloadGroup namespace'),
      serviceAccount: get('serviceAccount') ?? 'default',
      labels: get('labels') ?? {},
      annotations: get('annotations') ?? {},
      ports: get('ports') ?? {},
      network: get('network') ?? '',
      probe: get('probe'),
    },
    revision: get('revision') ?? '',
    istioNamespace: get('istioNamespace') ?? 'istio-system',
    clusterId: get('clusterId'),
    ingressIP: get('ingressIP'),
    ingressService: get('ingressService') ?? 'istio-eastwestgateway',
    internalIP: get('internalIP') ?? (external ? undefined : meshAddress(address)),
    externalIP: get('externalIP'),
    autoregister: get('autoregister') ?? false,
    ...(health?.value === true ? { workloadEntryHealth: true } : {}),
    captureDns: get('captureDns') ?? true,
    tokenDuration: get('tokenDuration') ?? 3600,
    // a package file sits next to the inventory that names it, wherever meshvm runs from
    package: pkg?.file === undefined ? pkg : { ...pkg, file: paths.local(pkg.file) },
    packageMirror: get('packageMirror'),
    packageFetch: get('packageFetch'),
    become: { method: get('become') ?? (user === 'root' ? 'none' : 'sudo') },
    vars: get('vars') ?? {},
  }
}

/** The address itself when it can be the VM's mesh IP; a loopback address is a port forward (Vagrant's NAT). */
const meshAddress = (address: string): string | undefined =>
  isIP(address) === 0 || address.startsWith('127.') || address === '::1' ? undefined : address

type Expand = (path: string | undefined) => string | undefined

/** `expand` with each distinct path's answer kept. */
function once(expand: (path: string) => string | undefined): Expand {
  const seen = new Map<string, string | undefined>()
  return (path) => {
    if (path === undefined) return undefined
    if (!seen.has(path)) seen.set(path, expand(path))
    return seen.get(path)
  }
}

function expandHome(path: string | undefined): string | undefined {
  if (path === '~') return homedir()
  return path?.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

/** VMs of one app share one WorkloadGroup, so its spec must come out the same for each of them. */
function reportWorkloadGroupConflicts(sources: VmSource[], vms: Vm[], problems: Problems) {
  const firstOf = new Map<string, Vm>()
  vms.forEach((vm, i) => {
    const key = `${vm.workloadGroup.namespace}/${vm.workloadGroup.name}`
    const first = firstOf.get(key)
    if (!first) return firstOf.set(key, vm)
    const fields = (Object.keys(vm.workloadGroup) as Array<keyof WorkloadGroupSpec>).filter(
      (f) =>
        vm.workloadGroup[f] !== first.workloadGroup[f] &&
        canonical(vm.workloadGroup[f]) !== canonical(first.workloadGroup[f]),
    )
    if (fields.length === 0) return
    problems.addField(
      sources[i].nameNode,
      sources[i].path,
      `WorkloadGroup ${key} differs from ${first.name}'s in ${fields.join(', ')} (one app, one WorkloadGroup)`,
    )
  })
}

/** JSON with sorted keys: maps merged from different layers compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined'
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
}
