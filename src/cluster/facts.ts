import { isIP } from 'node:net'
import type { IstioVersion, WorkloadEntryFlags } from '../bundle/types.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'
import { isRevisioned, revisioned } from '../bundle/revision.js'
import { detectIstioVersion, resolveRevision, type IstioVersionSource } from './istio-install.js'
import { waitForRootCert } from './root-cert-wait.js'

/** The flags istioctl reads the cluster with. */
export interface FactsOptions extends Pick<
  WorkloadEntryFlags,
  'revision' | 'istioNamespace' | 'clusterId' | 'ingressIP' | 'ingressService'
> {
  /** Error text for a missing mesh ConfigMap: istioctl's (`workload entry configure`) or ours (default). */
  wording?: 'istioctl' | 'meshvm'
}

/** What the cluster says about the mesh a VM joins: what istioctl/pkg/workload/workload.go reads for `configure`. */
export interface ClusterFacts {
  /** Resolved: `default` or a revision name. */
  revision: string
  /** `data.mesh` of `istio[-<rev>]`. */
  meshConfig: string
  rootCert: string
  clusterId: string
  /** '' when none could be found. */
  ingressIP: string
  istioVersion: IstioVersion
  istioVersionSource: IstioVersionSource
}

const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert'
const ROOT_CERT_GRACE_MS = 10_000

function readConfigMap(client: ClusterClient, namespace: string, name: string) {
  return client.call({ verb: 'get', resource: 'configmaps', namespace, name }, () =>
    client.core.readNamespacedConfigMap({ namespace, name }),
  )
}

const cause = (e: ClusterError) => e.apiMessage ?? e.message

async function injectorValues(client: ClusterClient, istioNamespace: string, revision: string) {
  const fail = (detail: string) =>
    new ClusterError(`failed to automatically determine the --clusterID: ${detail}`, 'not-found')
  let text: string | undefined
  try {
    text = (await readConfigMap(client, istioNamespace, revisioned('istio-sidecar-injector', revision))).data?.values
  } catch (e) {
    if (e instanceof ClusterError) throw fail(`fetch injection template: ${cause(e)}`)
    throw e
  }
  try {
    return JSON.parse(text ?? '') as Record<string, unknown>
  } catch (e) {
    throw fail(text ? (e as Error).message : 'unexpected end of JSON input')
  }
}

function clusterNameOf(values: Record<string, unknown>): string {
  const multiCluster = (values.global as { multiCluster?: { clusterName?: unknown } } | undefined)?.multiCluster
  return typeof multiCluster?.clusterName === 'string' ? multiCluster.clusterName : ''
}

const answered = (e: ClusterError) => e.status !== undefined

async function meshConfigMap(client: ClusterClient, o: FactsOptions, revision: string) {
  const name = revisioned('istio', revision)
  try {
    return await readConfigMap(client, o.istioNamespace, name)
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e
    // only an answer of the API server is about the configmap; a bad config or an unreachable server is said as it is
    if (!answered(e)) throw e
    if (o.wording === 'istioctl') {
      const text = `configmap ${name} was not found in namespace ${o.istioNamespace}: ${cause(e)}`
      throw new ClusterError(text, e.kind, e.status, e.apiMessage)
    }
    if (e.kind !== 'not-found') throw e
    const what = isRevisioned(revision) ? `Istio revision "${revision}" is not installed` : 'Istio is not installed'
    const text = `${what} in namespace ${o.istioNamespace} (configmap ${name} not found)`
    throw new ClusterError(text, 'not-found', 404, e.apiMessage)
  }
}

async function rootCert(client: ClusterClient, namespace: string): Promise<string> {
  // a namespace another run (a parallel shard) just created gets istiod's copy of the root cert a moment later
  const found = await waitForRootCert(client, namespace, ROOT_CERT_GRACE_MS)
  if (found !== undefined) return found
  try {
    return (await readConfigMap(client, namespace, ROOT_CERT_CONFIGMAP)).data?.['root-cert.pem'] ?? ''
  } catch (e) {
    if (!(e instanceof ClusterError) || !answered(e)) throw e
    const text = `configmap ${ROOT_CERT_CONFIGMAP} was not found in namespace ${namespace}: ${cause(e)}`
    throw new ClusterError(text, e.kind, e.status, e.apiMessage)
  }
}

/** The gateway address for the VM's `hosts` line; lookup errors are swallowed, as upstream does. */
export async function ingressAddress(
  client: ClusterClient,
  ingressIP: string | undefined,
  ingressService: string,
  istioNamespace: string,
): Promise<string> {
  if (ingressIP && isIP(ingressIP)) return ingressIP
  const parts = ingressService.split('.')
  const [name, namespace] = parts.length === 2 ? parts : [ingressService, istioNamespace]
  try {
    const svc = await client.call({ verb: 'get', resource: 'services', namespace, name }, () =>
      client.core.readNamespacedService({ namespace, name }),
    )
    const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip || svc.spec?.externalIPs?.[0] || ''
    return isIP(ip) ? ip : ''
  } catch (e) {
    if (e instanceof ClusterError) return ''
    throw e
  }
}

/**
 * Reads what `istioctl x workload entry configure` reads, in its order: revision, cluster ID (only when not given),
 * mesh config, root certificate, ingress address; then the Istio version.
 */
export async function readClusterFacts(
  client: ClusterClient,
  wg: { name: string; namespace: string },
  o: FactsOptions,
): Promise<ClusterFacts> {
  const revision = await resolveRevision(client, o.revision, o.istioNamespace)
  const values = o.clusterId === undefined ? await injectorValues(client, o.istioNamespace, revision) : undefined
  const clusterId = o.clusterId ?? clusterNameOf(values!)
  const mesh = await meshConfigMap(client, o, revision)
  const cert = await rootCert(client, wg.namespace)
  const ingressIP = await ingressAddress(client, o.ingressIP, o.ingressService, o.istioNamespace)
  const detected = await detectIstioVersion(client, {
    revision,
    istioNamespace: o.istioNamespace,
    injectorValues: values,
    meshLabels: mesh.metadata?.labels,
  })
  return {
    revision,
    meshConfig: mesh.data?.mesh ?? '',
    rootCert: cert,
    clusterId,
    ingressIP,
    istioVersion: detected.version,
    istioVersionSource: detected.source,
  }
}
