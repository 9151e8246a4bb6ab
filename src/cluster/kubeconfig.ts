import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node'
import { ClusterError } from './errors.js'

/** Where to find the cluster (`--kubeconfig`, `--context`). */
export interface KubeconfigOptions {
  kubeconfig?: string
  context?: string
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Root prefixed to /var/run/secrets/kubernetes.io/serviceaccount for in-cluster config (tests). */
  inClusterRoot?: string
}

/** A kubeconfig context, for pickers. */
export interface ContextInfo {
  name: string
  cluster: string
  namespace?: string
  current: boolean
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token'

function readFile(file: string): KubeConfig {
  const kc = new KubeConfig()
  try {
    kc.loadFromFile(file)
  } catch (e) {
    throw new ClusterError(`cannot read kubeconfig ${file}: ${(e as Error).message}`)
  }
  return kc
}

// kubectl's merge of a KUBECONFIG list: for every name, and for current-context, the first file that sets it wins.
function mergeFirstWins(configs: KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: T[][]) => {
    const seen = new Map<string, T>()
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item)
    return [...seen.values()]
  }
  const merged = new KubeConfig()
  merged.loadFromOptions({
    clusters: firstByName<Cluster>(configs.map((c) => c.getClusters())),
    users: firstByName<User>(configs.map((c) => c.getUsers())),
    contexts: firstByName<Context>(configs.map((c) => c.getContexts())),
    currentContext: configs.map((c) => c.getCurrentContext()).find((name) => !!name) ?? '',
  })
  return merged
}

function load(opts: KubeconfigOptions): KubeConfig {
  const env = opts.env ?? process.env
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) {
      throw new ClusterError(`kubeconfig file ${opts.kubeconfig} does not exist (--kubeconfig)`)
    }
    return readFile(opts.kubeconfig)
  }
  if (env.KUBECONFIG) {
    // kubectl skips list entries that do not exist.
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f))
    if (files.length === 0) throw new ClusterError(`none of the files in KUBECONFIG exist: ${env.KUBECONFIG}`)
    return mergeFirstWins(files.map(readFile))
  }
  const home = env.HOME && join(env.HOME, '.kube', 'config')
  if (home && existsSync(home)) return readFile(home)
  const root = opts.inClusterRoot ?? ''
  if (env.KUBERNETES_SERVICE_HOST && existsSync(root + SA_TOKEN)) {
    const kc = new KubeConfig()
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT }
    // The library reads process.env; hand it the environment we were given.
    process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST
    process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT ?? '443'
    try {
      kc.loadFromCluster(root)
    } finally {
      restoreEnv('KUBERNETES_SERVICE_HOST', saved.host)
      restoreEnv('KUBERNETES_SERVICE_PORT', saved.port)
    }
    return kc
  }
  throw new ClusterError(
    'no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config ' +
      '(in a pod, KUBERNETES_SERVICE_HOST and a service-account token are used)',
  )
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** Loads the configuration as kubectl: --kubeconfig, else the KUBECONFIG list, else ~/.kube/config, else in-cluster. */
export function loadKubeConfig(opts: KubeconfigOptions = {}): KubeConfig {
  const kc = load(opts)
  const names = kc.getContexts().map((c) => c.name)
  const available = names.length > 0 ? names.join(', ') : '(none)'
  const wanted = opts.context || kc.getCurrentContext()
  if (!wanted) {
    throw new ClusterError(`the kubeconfig has no current-context; pass --context (available contexts: ${available})`)
  }
  if (!names.includes(wanted)) {
    const how = opts.context ? '--context' : 'current-context'
    throw new ClusterError(`context "${wanted}" (${how}) not found in the kubeconfig; available contexts: ${available}`)
  }
  kc.setCurrentContext(wanted)
  if (!kc.getCurrentCluster()) {
    const cluster = kc.getContextObject(wanted)?.cluster
    throw new ClusterError(`context "${wanted}" names cluster "${cluster}", which the kubeconfig does not define`)
  }
  return kc
}

/** The contexts of the configuration (for the interactive wizard); `context` marks the current one. */
export function listContexts(opts: KubeconfigOptions = {}): ContextInfo[] {
  const kc = load(opts)
  const current = opts.context || kc.getCurrentContext()
  return kc
    .getContexts()
    .map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace, current: c.name === current }))
}
