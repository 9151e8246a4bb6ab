// The xDS node a sidecar presents when it connects (id + metadata from its ISTIO_META_* environment), as the lab
// protocol carries it in the request body.
import { Refusal } from './refusal.js'

/** The parts of a proxy's node metadata the stand-in istiod acts on. */
export interface ProxyNode {
  id: string
  namespace: string
  serviceAccount: string
  ip: string
  group: string
  /** ISTIO_META_WORKLOAD_ENTRY: the entry (made by someone else) whose health this proxy keeps. */
  workloadEntry: string
  network: string
  labels: Record<string, string>
  hasReadinessProbe: boolean
}

export function parseProxyNode(body: unknown): ProxyNode {
  const node = (body as { node?: { id?: unknown; metadata?: Record<string, unknown> } } | null)?.node
  const md = node?.metadata
  if (typeof node?.id !== 'string' || !md || typeof md !== 'object') {
    throw new Refusal('InvalidArgument', 'the request carries no node id and metadata')
  }
  const text = (key: string) => (typeof md[key] === 'string' ? (md[key] as string) : '')
  const namespace = text('NAMESPACE')
  const ip = text('INSTANCE_IPS').split(',')[0]?.trim() ?? ''
  if (!namespace) throw new Refusal('InvalidArgument', 'node metadata has no NAMESPACE (POD_NAMESPACE is not set)')
  if (!ip) throw new Refusal('InvalidArgument', 'node metadata has no INSTANCE_IPS (INSTANCE_IP is not set)')
  const labels = md.LABELS ?? {}
  if (typeof labels !== 'object' || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw new Refusal('InvalidArgument', 'node metadata LABELS (ISTIO_METAJSON_LABELS) is not a map of strings')
  }
  const proxyConfig = md.PROXY_CONFIG as { readinessProbe?: unknown } | undefined
  return {
    id: node.id,
    namespace,
    serviceAccount: text('SERVICE_ACCOUNT'),
    ip,
    group: text('AUTO_REGISTER_GROUP'),
    workloadEntry: text('WORKLOAD_ENTRY'),
    network: text('NETWORK'),
    labels: labels as Record<string, string>,
    hasReadinessProbe: Boolean(proxyConfig?.readinessProbe),
  }
}
