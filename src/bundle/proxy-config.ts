// The ProxyConfig a VM gets (createMeshConfig in istio/istio istioctl/pkg/workload/workload.go): the mesh's defaultConfig, the revision's discovery address,
// `proxy.istio.io/config` annotations layered on top, and the group's probe as readinessProbe.
import { InputError } from '../errors.js'
import { istiodAddress, isRevisioned } from './istiod.js'
import type { VersionBehaviour } from './istio-version.js'
import { decodeMessage, fieldName, isJsonMap, type JsonMap } from './proto-json.js'
import type { BundleInput } from './types.js'
import { parseYamlV2 } from './yaml-v2-parse.js'

const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config'

export interface MeshDefaults {
  /** The decoded defaultConfig after all layering; its proxyMetadata is `proxyMetadata` below. */
  proxyConfig: JsonMap
  /** Mesh and annotation proxyMetadata merged, before the workload's own keys are set. */
  proxyMetadata: Record<string, string>
  /** Top-level `trustDomain` of the mesh config ('' when unset). */
  trustDomain: string
}

export function resolveProxyConfig(input: BundleInput, behaviour: VersionBehaviour): MeshDefaults {
  const mesh = parseYamlV2(input.meshConfig, 'the mesh config') ?? {}
  if (!isJsonMap(mesh)) throw new InputError('the mesh config must be a YAML mapping')
  // Top-level fields present in the mesh text replace the pre-filled ones wholesale (ApplyYAML semantics).
  let proxyConfig: JsonMap = { proxyMetadata: {} }
  let trustDomain = ''
  for (const [raw, value] of Object.entries(mesh)) {
    if (value === null) continue
    const name = fieldName(raw)
    if (name === 'defaultConfig') proxyConfig = decodeMessage(value, 'defaultConfig')
    if (name === 'trustDomain') {
      if (typeof value !== 'string') throw new InputError('trustDomain in the mesh config must be a string')
      trustDomain = value
    }
  }
  if (behaviour.revisionAddresses && isRevisioned(input.revision) && !proxyConfig.discoveryAddress) {
    proxyConfig.discoveryAddress = istiodAddress(input.istioNamespace, input.revision)
  }

  // Annotations replace ProxyConfig fields, but their proxyMetadata entries are merged key by key into the mesh's.
  // Upstream writes into a nil map (and panics) when the mesh's defaultConfig has no proxyMetadata; we start empty.
  const wg = input.workloadGroup
  // decodeMessage has checked that every proxyMetadata value is a string.
  const metadata = { ...(proxyConfig.proxyMetadata as Record<string, string> | undefined) }
  for (const annotations of [wg.metadata.annotations, wg.spec.metadata?.annotations]) {
    const text = annotations?.[PROXY_CONFIG_ANNOTATION]
    if (text === undefined) continue
    const overlay = parseYamlV2(text, `annotation ${PROXY_CONFIG_ANNOTATION}`) ?? {}
    Object.assign(proxyConfig, decodeMessage(overlay, PROXY_CONFIG_ANNOTATION))
    Object.assign(metadata, proxyConfig.proxyMetadata)
  }
  proxyConfig.proxyMetadata = metadata

  // Always assigned: a group without a probe removes a readinessProbe set by the mesh or an annotation.
  delete proxyConfig.readinessProbe
  if (wg.spec.probe) proxyConfig.readinessProbe = decodeMessage(wg.spec.probe, 'spec.probe')
  return { proxyConfig, proxyMetadata: metadata, trustDomain }
}
