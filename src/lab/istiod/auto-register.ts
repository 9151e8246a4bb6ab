// WorkloadEntry auto-registration as istiod's controller does it (istio/istio pilot/pkg/autoregistration/controller.go): one entry per connected
// proxy of a WorkloadGroup, created from the group's template, stamped with connect / disconnect times.
import type { KubeObject } from '../kube-api/store.js'
import { kubeRequest, type KubeAccess } from './kube-client.js'
import { Refusal } from './refusal.js'
import type { VerifiedIdentity } from './authenticate.js'

const groupAnnotation = 'istio.io/autoRegistrationGroup'
const controllerAnnotation = 'istio.io/workloadController'
const connectedAtAnnotation = 'istio.io/connectedAt'
const disconnectedAtAnnotation = 'istio.io/disconnectedAt'
const healthChecksAnnotation = 'proxy.istio.io/health-checks-enabled'
const localityLabel = 'istio-locality'
const api = '/apis/networking.istio.io/v1'

/** What auto-registration needs from the proxy's node metadata. */
export interface RegisteringProxy {
  namespace: string
  ip: string
  group: string
  network: string
  labels: Record<string, string>
  hasReadinessProbe: boolean
}


interface WorkloadGroupSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  template?: { serviceAccount?: string; labels?: Record<string, string>; [k: string]: unknown }
}

/** `<group>-<ip, ':'→'-'>[-<network>]`, cut from the front to Kubernetes' 253-character limit. */
export function workloadEntryName(proxy: Pick<RegisteringProxy, 'group' | 'ip' | 'network'>): string {
  const name = [proxy.group, proxy.ip.replaceAll(':', '-'), ...(proxy.network ? [proxy.network] : [])].join('-')
  return name.length > 253 ? name.slice(name.length - 253) : name
}

/** Go's time.RFC3339Nano: UTC, fraction without trailing zeros. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z')
}

/** Creates the proxy's WorkloadEntry, or marks an existing auto-registered one connected; returns its name. */
export async function registerWorkload(
  kube: KubeAccess,
  proxy: RegisteringProxy,
  id: VerifiedIdentity,
  controller: string,
  connectedAt: Date,
): Promise<string> {
  const groupRes = await kubeRequest(kube, 'GET', `${api}/namespaces/${proxy.namespace}/workloadgroups/${proxy.group}`)
  if (groupRes.status === 404) {
    throw new Refusal(
      'FailedPrecondition',
      `auto-registration WorkloadEntry of ${proxy.namespace}/${proxy.ip} failed: cannot find WorkloadGroup ${proxy.namespace}/${proxy.group}`,
    )
  }
  if (groupRes.status !== 200) throw new Refusal('Unavailable', `reading WorkloadGroup failed: HTTP ${groupRes.status}`)
  const group = groupRes.body as KubeObject
  const groupSpec = (group.spec ?? {}) as WorkloadGroupSpec
  const templateSa = groupSpec.template?.serviceAccount
  if (templateSa && templateSa !== id.serviceAccount) {
    throw new Refusal(
      'PermissionDenied',
      `proxy with identity ${id.namespace}/${id.serviceAccount} cannot control WorkloadEntry of group ${proxy.group}: the group's service account is ${templateSa}`,
    )
  }
  const name = workloadEntryName(proxy)
  const entryPath = `${api}/namespaces/${proxy.namespace}/workloadentries`
  const existing = await kubeRequest(kube, 'GET', `${entryPath}/${name}`)
  if (existing.status === 200) {
    const entry = existing.body as KubeObject
    // A hand-made entry of the same name is not ours to stamp.
    if (!entry.metadata.annotations?.[groupAnnotation]) return name
    setConnectMeta(entry, controller, connectedAt)
    await put(kube, `${entryPath}/${name}`, entry)
    return name
  }
  const entry = entryFromGroup(name, proxy, group, groupSpec)
  setConnectMeta(entry, controller, connectedAt)
  const created = await kubeRequest(kube, 'POST', entryPath, entry)
  if (created.status !== 201 && created.status !== 200) {
    throw new Refusal('Unavailable', `creating WorkloadEntry ${proxy.namespace}/${name} failed: HTTP ${created.status}`)
  }
  return name
}

/**
 * A proxy without auto-registration that names its entry (ISTIO_META_WORKLOAD_ENTRY): the entry must exist; when it
 * has health checks on, the proxy must be its service account, and this istiod becomes its controller (connect and
 * disconnect stamps, health). Otherwise health updates are ignored. Returns the name it controls, if any.
 */
export async function controlWorkloadEntry(
  kube: KubeAccess,
  proxy: { namespace: string; workloadEntry: string },
  id: VerifiedIdentity,
  controller: string,
  connectedAt: Date,
): Promise<string | undefined> {
  const path = `${api}/namespaces/${proxy.namespace}/workloadentries/${proxy.workloadEntry}`
  const res = await kubeRequest(kube, 'GET', path)
  if (res.status === 404) {
    throw new Refusal(
      'FailedPrecondition',
      `proxy metadata indicates that it must correspond to an existing WorkloadEntry, however WorkloadEntry ${proxy.namespace}/${proxy.workloadEntry} is not found`,
    )
  }
  if (res.status !== 200) throw new Refusal('Unavailable', `reading WorkloadEntry failed: HTTP ${res.status}`)
  const entry = res.body as KubeObject
  if (entry.metadata.annotations?.[healthChecksAnnotation] === undefined) return undefined
  const sa = (entry.spec as { serviceAccount?: string } | undefined)?.serviceAccount
  if (sa && sa !== id.serviceAccount) {
    throw new Refusal('PermissionDenied', `registration of WorkloadEntry service account mismatch: "${id.serviceAccount}" vs "${sa}"`)
  }
  setConnectMeta(entry, controller, connectedAt)
  await put(kube, path, entry)
  return proxy.workloadEntry
}

/** The Healthy condition of an entry this controller holds, from the agent's probe (only on a change). */
export async function updateHealth(kube: KubeAccess, namespace: string, name: string, controller: string, healthy: boolean, message: string) {
  const path = `${api}/namespaces/${namespace}/workloadentries/${name}`
  const res = await kubeRequest(kube, 'GET', path)
  if (res.status !== 200) throw new Refusal('Unavailable', `failed to update health status: WorkloadEntry ${namespace}/${name} not found`)
  const entry = res.body as KubeObject & { status?: { conditions?: Record<string, unknown>[] } }
  if (entry.metadata.annotations?.[controllerAnnotation] !== controller) return false
  if (entry.metadata.annotations?.[healthChecksAnnotation] === undefined) return false
  const at = rfc3339Nano(new Date())
  const condition = { type: 'Healthy', status: healthy ? 'True' : 'False', lastProbeTime: at, lastTransitionTime: at, ...(healthy ? {} : { message }) }
  const others = (entry.status?.conditions ?? []).filter((c) => c.type !== 'Healthy')
  entry.status = { ...entry.status, conditions: [...others, condition] }
  await put(kube, `${path}/status`, entry)
  return true
}

/** Stamps `istio.io/disconnectedAt` on an entry this controller holds (auto-registered or named by its proxy). */
export async function markDisconnected(kube: KubeAccess, namespace: string, name: string, controller: string, at: Date) {
  const path = `${api}/namespaces/${namespace}/workloadentries/${name}`
  const res = await kubeRequest(kube, 'GET', path)
  if (res.status !== 200) return
  const entry = res.body as KubeObject
  const annotations = entry.metadata.annotations ?? {}
  if (annotations[controllerAnnotation] !== controller) return
  delete annotations[connectedAtAnnotation]
  annotations[disconnectedAtAnnotation] = rfc3339Nano(at)
  entry.metadata.annotations = annotations
  await put(kube, path, entry)
}

function entryFromGroup(name: string, proxy: RegisteringProxy, group: KubeObject, spec: WorkloadGroupSpec): KubeObject {
  const template = structuredClone(spec.template ?? {})
  // Precedence: proxy metadata labels > group metadata labels > template labels.
  const labels = { ...template.labels, ...spec.metadata?.labels, ...proxy.labels }
  delete labels[localityLabel]
  const annotations: Record<string, string> = { [groupAnnotation]: group.metadata.name, ...spec.metadata?.annotations }
  if (proxy.hasReadinessProbe) annotations[healthChecksAnnotation] = 'true'
  const entrySpec: Record<string, unknown> = { ...template, address: proxy.ip, labels }
  if (proxy.network) entrySpec.network = proxy.network
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'WorkloadEntry',
    metadata: {
      name,
      namespace: proxy.namespace,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: group.apiVersion ?? 'networking.istio.io/v1',
          kind: 'WorkloadGroup',
          name: group.metadata.name,
          uid: group.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: entrySpec,
  }
}

function setConnectMeta(entry: KubeObject, controller: string, at: Date): void {
  const annotations = entry.metadata.annotations ?? {}
  annotations[controllerAnnotation] = controller
  annotations[connectedAtAnnotation] = rfc3339Nano(at)
  delete annotations[disconnectedAtAnnotation]
  entry.metadata.annotations = annotations
}

async function put(kube: KubeAccess, path: string, entry: KubeObject): Promise<void> {
  const res = await kubeRequest(kube, 'PUT', path, entry)
  if (res.status !== 200 && res.status !== 201) throw new Refusal('Unavailable', `updating ${path} failed: HTTP ${res.status}`)
}
