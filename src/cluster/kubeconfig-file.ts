import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve, sep } from 'node:path'
import { parse } from 'yaml'
import { ANSIBLE_YAML } from '../inventory/yaml-1-1.js'
import { ClusterError } from './errors.js'

/*
 * Kubeconfig files as kubectl loads them (kubernetes/client-go tools/clientcmd/loader.go): each file read on its own
 * (YAML 1.1, as sigs.k8s.io/yaml's go-yaml does; an empty file is an empty config), relative paths resolved against the
 * directory of the file that names them, then the KUBECONFIG list merged with the first file winning for every
 * name and for current-context. Nothing is validated here: only the entries the chosen context uses are (see
 * kubeconfig.ts), so a half-written entry elsewhere does not matter, as with kubectl.
 */

/** One named entry (cluster, user or context), as written, with the file it came from. */
export interface Entry {
  name: string
  /** The `cluster:`, `user:` or `context:` map, paths made absolute. */
  fields: Record<string, unknown>
  file: string
}

export interface RawKubeconfig {
  clusters: Map<string, Entry>
  users: Map<string, Entry>
  contexts: Map<string, Entry>
  currentContext?: string
}

const PATH_FIELDS: Record<'cluster' | 'user', string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
}

function readOne(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ClusterError(`cannot read kubeconfig ${file}: ${(e as Error).message}`)
  }
  try {
    // YAML 1.1 scalars (PyYAML's resolver: the yaml library's own 1.1 schema reads `e1` as NaN)
    const doc: unknown = parse(text, ANSIBLE_YAML)
    if (doc === null || doc === undefined) return {}
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a map at the top level')
    return doc as Record<string, unknown>
  } catch (e) {
    throw new ClusterError(`cannot read kubeconfig ${file}: ${(e as Error).message.split('\n')[0]}`)
  }
}

/** client-go's ResolveLocalPaths: relative file references are relative to the kubeconfig that holds them. */
function absolutePaths(
  kind: 'cluster' | 'user',
  fields: Record<string, unknown>,
  dir: string,
): Record<string, unknown> {
  const out = { ...fields }
  for (const key of PATH_FIELDS[kind]) {
    const value = out[key]
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) out[key] = resolve(dir, value)
  }
  // an exec command is a path only when it names a directory (`./bin/cred`); a bare name is looked up on PATH
  const exec = out.exec as { command?: unknown } | undefined
  if (kind === 'user' && typeof exec?.command === 'string' && exec.command.includes(sep) && !isAbsolute(exec.command)) {
    out.exec = { ...exec, command: resolve(dir, exec.command) }
  }
  return out
}

export function readKubeconfigFiles(files: string[]): RawKubeconfig {
  const raw: RawKubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() }
  for (const file of files) {
    const doc = readOne(file)
    const dir = dirname(resolve(file))
    const take = (list: unknown, kind: 'cluster' | 'user' | 'context', into: Map<string, Entry>) => {
      if (!Array.isArray(list)) return
      for (const item of list as Array<Record<string, unknown> | null>) {
        const name = item?.name
        if (typeof name !== 'string' || into.has(name)) continue
        const fields = (item?.[kind] ?? {}) as Record<string, unknown>
        into.set(name, { name, file, fields: kind === 'context' ? fields : absolutePaths(kind, fields, dir) })
      }
    }
    take(doc.clusters, 'cluster', raw.clusters)
    take(doc.users, 'user', raw.users)
    take(doc.contexts, 'context', raw.contexts)
    const current = doc['current-context']
    if (raw.currentContext === undefined && typeof current === 'string' && current !== '') raw.currentContext = current
  }
  return raw
}
