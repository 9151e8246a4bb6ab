// cluster.env (createClusterEnv in istio/istio istioctl/pkg/workload/workload.go): every proxyMetadata entry plus the workload's overrides, one shell-quoted KEY=value per
// line, lines in byte order.
import { compareUtf8 } from './go-format.js'
import { istiodAddress, isRevisioned } from './istiod.js'
import type { VersionBehaviour } from './istio-version.js'
import { sortedPorts } from './proxy-metadata.js'
import { shellQuote } from './shell-quote.js'
import type { BundleInput } from './types.js'

const DEFAULT_STATUS_PORT = 15020

export function clusterEnv(
  input: BundleInput,
  proxyMetadata: Record<string, string>,
  statusPort: number,
  behaviour: VersionBehaviour,
): string {
  const wg = input.workloadGroup
  // Upstream joins ports in Go map order, which is random; we use port-name order (as ISTIO_META_POD_PORTS does).
  const ports = sortedPorts(input).map(([, port]) => String(port))
  const env: Record<string, string> = {
    ...proxyMetadata,
    ISTIO_INBOUND_PORTS: ports.length > 0 ? ports.join(',') : '*',
    ISTIO_NAMESPACE: wg.metadata.namespace,
    ISTIO_SERVICE: `${wg.metadata.name}.${wg.metadata.namespace}`,
    ISTIO_SERVICE_CIDR: '*',
    ISTIO_LOCAL_EXCLUDE_PORTS: excludePorts(statusPort, behaviour),
    SERVICE_ACCOUNT: wg.spec.template?.serviceAccount ?? '',
  }
  if (behaviour.revisionAddresses && isRevisioned(input.revision)) {
    env.CA_ADDR = istiodAddress(input.istioNamespace, input.revision)
  }
  if (behaviour.workloadIpInClusterEnv && input.internalIP) {
    env.ISTIO_SVC_IP = input.internalIP
  } else if (behaviour.workloadIpInClusterEnv && input.externalIP) {
    env.ISTIO_SVC_IP = input.externalIP
    env.REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION = 'true'
  }
  if (input.workloadEntry) env.ISTIO_META_WORKLOAD_ENTRY = input.workloadEntry
  const lines = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`)
  return lines.sort(compareUtf8).join('\n') + '\n'
}

// Ports istio-iptables must leave alone on the VM: ssh (1.13+), Envoy's stats and readiness ports, the agent's
// status port.
function excludePorts(statusPort: number, behaviour: VersionBehaviour): string {
  const base = behaviour.excludeSsh ? '22,15090,15021' : '15090,15021'
  if (statusPort === 15090 || statusPort === 15021) return base
  if (statusPort !== 0) return `${base},${statusPort}`
  return behaviour.excludeDefaultStatusPort ? `${base},${DEFAULT_STATUS_PORT}` : base
}
