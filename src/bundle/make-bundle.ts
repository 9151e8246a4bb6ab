// `istioctl x workload entry configure` as a pure function: cluster facts + flags in, the five files out.
import { clusterEnv } from './cluster-env.js'
import { goPrintStringMap } from './go-format.js'
import { hostsFile, hostsWarning } from './hosts.js'
import { behaviourOf } from './istio-version.js'
import { istiodHost } from './istiod.js'
import { encodeMessage } from './proto-json.js'
import { resolveProxyConfig } from './proxy-config.js'
import { workloadProxyMetadata } from './proxy-metadata.js'
import type { Bundle, BundleInput } from './types.js'
import { toYamlV2 } from './yaml-v2.js'

const PUBLIC = 0o644
const OWNER_ONLY = 0o600

/**
 * A WorkloadGroup fetched from the API may lack `spec.metadata` or `spec.template` (upstream dereferences nil and
 * crashes); here missing parts count as empty. Only a `-f` file gets the `default` service account
 * (see parseWorkloadGroupFile).
 */
export function makeBundle(input: BundleInput): Bundle {
  const behaviour = behaviourOf(input.istioVersion)
  const { proxyConfig, proxyMetadata, trustDomain } = resolveProxyConfig(input, behaviour)
  const meshId = typeof proxyConfig.meshId === 'string' ? proxyConfig.meshId : ''
  const metadata = workloadProxyMetadata(input, proxyMetadata, meshId, trustDomain, behaviour)
  proxyConfig.proxyMetadata = metadata
  const statusPort = typeof proxyConfig.statusPort === 'number' ? proxyConfig.statusPort : 0
  const host = istiodHost(input.istioNamespace, input.revision)
  const hosts = hostsFile(input.ingressIP, host, behaviour)

  const warnings: string[] = []
  const templateLabels = input.workloadGroup.spec.template?.labels ?? {}
  if (Object.keys(templateLabels).length > 0) {
    warnings.push(
      'Labels should be set in the metadata. The following WorkloadEntry labels will override metadata labels: ' +
        goPrintStringMap(templateLabels),
    )
  }
  if (hosts === '') warnings.push(hostsWarning(host, input.istioNamespace))

  return {
    files: [
      { name: 'mesh.yaml', content: toYamlV2({ defaultConfig: encodeMessage(proxyConfig) }), mode: PUBLIC },
      { name: 'cluster.env', content: clusterEnv(input, metadata, statusPort, behaviour), mode: PUBLIC },
      { name: 'root-cert.pem', content: input.rootCert, mode: PUBLIC },
      { name: 'istio-token', content: input.token, mode: OWNER_ONLY },
      { name: 'hosts', content: hosts, mode: PUBLIC },
    ],
    warnings,
  }
}
