import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { ClusterError } from './errors.js'
import { readKubeconfigFiles } from './kubeconfig-file.js'
import { selectedConfig } from './kubeconfig-select.js'

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

/** The files kubectl would read, in its order: --kubeconfig, else the KUBECONFIG list (missing files skipped), else ~/.kube/config. */
function kubeconfigFiles(opts: KubeconfigOptions): string[] | undefined {
  const env = opts.env ?? process.env
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) {
      throw new ClusterError(`kubeconfig file ${opts.kubeconfig} does not exist (--kubeconfig)`)
    }
    return [opts.kubeconfig]
  }
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f))
    if (files.length === 0) throw new ClusterError(`none of the files in KUBECONFIG exist: ${env.KUBECONFIG}`)
    return files
  }
  const home = env.HOME && join(env.HOME, '.kube', 'config')
  return home && existsSync(home) ? [home] : undefined
}

function inCluster(opts: KubeconfigOptions): KubeConfig {
  const env = opts.env ?? process.env
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
  const files = kubeconfigFiles(opts)
  if (!files) return inCluster(opts)
  const raw = readKubeconfigFiles(files)
  const names = [...raw.contexts.keys()]
  const available = names.length > 0 ? names.join(', ') : '(none)'
  const wanted = opts.context || raw.currentContext
  if (!wanted) {
    throw new ClusterError(`the kubeconfig has no current-context; pass --context (available contexts: ${available})`)
  }
  const context = raw.contexts.get(wanted)
  if (!context) {
    const how = opts.context ? '--context' : 'current-context'
    throw new ClusterError(`context "${wanted}" (${how}) not found in the kubeconfig; available contexts: ${available}`)
  }
  return selectedConfig(raw, context)
}

/** The contexts of the configuration (for the interactive wizard); `context` marks the current one. */
export function listContexts(opts: KubeconfigOptions = {}): ContextInfo[] {
  const files = kubeconfigFiles(opts)
  if (!files) {
    const kc = inCluster(opts)
    return kc.getContexts().map((c) => ({ name: c.name, cluster: c.cluster, namespace: c.namespace, current: true }))
  }
  const raw = readKubeconfigFiles(files)
  const current = opts.context || raw.currentContext
  return [...raw.contexts.values()].map(({ name, fields }) => ({
    name,
    cluster: String(fields.cluster ?? ''),
    namespace: typeof fields.namespace === 'string' ? fields.namespace : undefined,
    current: name === current,
  }))
}
