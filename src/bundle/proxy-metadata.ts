// The proxyMetadata keys istioctl sets for the workload (createMeshConfig in istio/istio istioctl/pkg/workload/workload.go). They end up in both mesh.yaml and
// cluster.env.
import { compareUtf8, goJsonString, goJsonStringMap } from './go-format.js'
import type { VersionBehaviour } from './istio-version.js'
import type { BundleInput } from './types.js'

const CANONICAL_NAME_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app']
const CANONICAL_REVISION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version']

/** `spec.metadata.labels` overlaid by `spec.template.labels` (the template wins, as upstream does). */
export function workloadLabels(input: BundleInput): Record<string, string> {
  const spec = input.workloadGroup.spec
  return { ...spec.metadata?.labels, ...spec.template?.labels }
}

/** Ports as `[name, port]`, sorted by name in byte order: the one order used for every port list we write. */
export function sortedPorts(input: BundleInput): Array<[string, number]> {
  const ports = input.workloadGroup.spec.template?.ports ?? {}
  return Object.entries(ports).sort(([a], [b]) => compareUtf8(a, b))
}

/** The final proxyMetadata: the mesh/annotation entries with the workload's keys set over them. */
export function workloadProxyMetadata(
  input: BundleInput,
  meshMetadata: Record<string, string>,
  meshId: string,
  trustDomain: string,
  behaviour: VersionBehaviour,
): Record<string, string> {
  const wg = input.workloadGroup
  const template = wg.spec.template ?? {}
  const labels = workloadLabels(input)
  // "Present" means the key exists, even with an empty value.
  const firstPresent = (keys: string[], fallback: string) => {
    const key = keys.find((k) => Object.hasOwn(labels, k))
    return key === undefined ? fallback : labels[key]
  }
  const canonicalService = firstPresent(CANONICAL_NAME_LABELS, wg.metadata.name)
  const canonicalRevision = firstPresent(CANONICAL_REVISION_LABELS, 'latest')
  const md = { ...meshMetadata }
  md.CANONICAL_SERVICE = canonicalService
  md.CANONICAL_REVISION = canonicalRevision
  md.POD_NAMESPACE = wg.metadata.namespace
  md.SERVICE_ACCOUNT = template.serviceAccount ?? ''
  md.TRUST_DOMAIN = trustDomain
  md.ISTIO_META_CLUSTER_ID = input.clusterId
  md.ISTIO_META_MESH_ID = meshId
  md.ISTIO_META_NETWORK = template.network ?? ''
  const podPorts = podPortsJson(sortedPorts(input))
  if (podPorts !== '') md.ISTIO_META_POD_PORTS = behaviour.podPortsAsJsonString ? goJsonString(podPorts) : podPorts
  md.ISTIO_META_WORKLOAD_NAME = wg.metadata.name
  md.ISTIO_METAJSON_LABELS = goJsonStringMap({
    ...labels,
    'service.istio.io/canonical-name': canonicalService,
    [behaviour.canonicalRevisionLabel]: canonicalRevision,
  })
  if (input.captureDns) md.ISTIO_META_DNS_CAPTURE = 'true'
  if (input.autoregister) md.ISTIO_META_AUTO_REGISTER_GROUP = wg.metadata.name
  return md
}

// model.PodPort list as encoding/json writes it; '' when there are no ports.
function podPortsJson(ports: Array<[string, number]>): string {
  if (ports.length === 0) return ''
  const items = ports.map(([name, port]) => `{"name":${goJsonString(name)},"containerPort":${port},"protocol":""}`)
  return `[${items.join(',')}]`
}
