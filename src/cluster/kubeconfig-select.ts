import { readFileSync } from 'node:fs'
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node'
import { ClusterError } from './errors.js'
import type { Entry, RawKubeconfig } from './kubeconfig-file.js'

/*
 * The chosen context's cluster and user as kubectl uses them (kubernetes/client-go tools/clientcmd/client_config.go,
 * plugin/pkg/client/auth/exec/exec.go), checked only here. Over plain http (a `kubectl proxy` address) kubectl sends
 * no credentials, and neither does meshvm.
 */

/** Impersonation beyond client-node's `as` (kubectl's `as-groups`, `as-uid`): read by the cluster client's headers. */
export interface Impersonation {
  user?: string
  groups: string[]
  uid?: string
}

const IMPERSONATION = Symbol('impersonation')

export const impersonationOf = (user: User | null): Impersonation | undefined =>
  (user as (User & { [IMPERSONATION]?: Impersonation }) | null)?.[IMPERSONATION]

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function clusterOf(entry: Entry): Cluster {
  const f = entry.fields
  const server = text(f.server)
  if (!server) throw new ClusterError(`cluster "${entry.name}" (${entry.file}) has no server`)
  return {
    name: entry.name,
    server,
    caData: text(f['certificate-authority-data']),
    caFile: text(f['certificate-authority']),
    // client-node refuses http: unless TLS checks are off; there is no TLS to check
    skipTLSVerify: f['insecure-skip-tls-verify'] === true || server.startsWith('http:'),
    tlsServerName: text(f['tls-server-name']),
    proxyUrl: text(f['proxy-url']),
  }
}

/** What an exec plugin reads from KUBERNETES_EXEC_INFO (client.authentication.k8s.io ExecCredential). */
function execInfo(exec: Record<string, unknown>, cluster: Cluster, entry: Entry): string {
  const spec: Record<string, unknown> = { interactive: false }
  if (exec.provideClusterInfo === true) {
    const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined)
    const extensions = (entry.fields.extensions ?? []) as Array<{ name?: string; extension?: unknown }>
    const config = extensions.find((e) => e?.name === 'client.authentication.k8s.io/exec')?.extension
    spec.cluster = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.skipTLSVerify && !cluster.server.startsWith('http:') ? { 'insecure-skip-tls-verify': true } : {}),
      ...(ca ? { 'certificate-authority-data': ca } : {}),
      ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
      ...(config !== undefined ? { config } : {}),
    }
  }
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion, spec })
}

function userOf(entry: Entry | undefined, name: string, cluster: Cluster, clusterEntry: Entry): User {
  const f = entry?.fields ?? {}
  const impersonation: Impersonation = {
    user: text(f.as),
    groups: Array.isArray(f['as-groups']) ? (f['as-groups'] as unknown[]).map(String) : [],
    uid: text(f['as-uid']),
  }
  const base = { name, impersonateUser: impersonation.user, [IMPERSONATION]: impersonation }
  if (cluster.server.startsWith('http:')) return base
  // client-go: the file's content, read last, takes precedence over `token`
  let token = text(f.token)
  const tokenFile = text(f.tokenFile)
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim()
    } catch (e) {
      throw new ClusterError(
        `user "${name}" (${entry!.file}): cannot read tokenFile ${tokenFile}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      )
    }
  }
  const exec = f.exec as Record<string, unknown> | undefined
  if (exec && typeof exec.command !== 'string')
    throw new ClusterError(`user "${name}" (${entry!.file}): exec has no command`)
  const credentials = ['client-certificate', 'client-certificate-data', 'auth-provider', 'username'].some((k) => f[k])
  if (!token && !exec && !credentials) {
    // kubectl asks for a user name and password on a terminal here, and fails without one
    const who = entry ? `user "${name}" has no credentials` : name ? `user "${name}" is not defined` : 'no user is set'
    throw new ClusterError(
      `${who} for ${cluster.server}: give the context a token, tokenFile, client certificate or exec plugin`,
    )
  }
  const env = [...((exec?.env as Array<{ name: string; value: string }>) ?? [])]
  if (exec) env.push({ name: 'KUBERNETES_EXEC_INFO', value: execInfo(exec, cluster, clusterEntry) })
  return {
    ...base,
    token,
    certData: text(f['client-certificate-data']),
    certFile: text(f['client-certificate']),
    keyData: text(f['client-key-data']),
    keyFile: text(f['client-key']),
    exec: exec ? { ...exec, env } : undefined,
    authProvider: f['auth-provider'],
    username: text(f.username),
    password: text(f.password),
  }
}

/** A KubeConfig holding only the chosen context, its cluster and its user (a context without a user sends none). */
export function selectedConfig(raw: RawKubeconfig, context: Entry): KubeConfig {
  const clusterName = text(context.fields.cluster)
  const clusterEntry = clusterName ? raw.clusters.get(clusterName) : undefined
  if (!clusterEntry) {
    const what = clusterName
      ? `names cluster "${clusterName}", which the kubeconfig does not define`
      : 'names no cluster'
    throw new ClusterError(`context "${context.name}" ${what}`)
  }
  const cluster = clusterOf(clusterEntry)
  const userName = text(context.fields.user) ?? ''
  const user = userOf(raw.users.get(userName), userName, cluster, clusterEntry)
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [
      { name: context.name, cluster: cluster.name, user: userName, namespace: text(context.fields.namespace) },
    ],
    currentContext: context.name,
  })
  return kc
}
