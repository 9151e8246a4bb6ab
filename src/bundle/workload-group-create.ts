// What `istioctl x workload group create` prints (istioctl/pkg/workload/workload.go, createCommand and
// generateWorkloadGroupYAML; docs/istio-vm-spec.md §5): a WorkloadGroup built from flags, as sigs.k8s.io/yaml writes it.
import type { JsonValue } from './yaml-v2.js'
import { toYamlV2 } from './yaml-v2.js'

export interface WorkloadGroupFlags {
  name: string
  namespace: string
  /** `k=v` items (already split at commas, as pflag's StringSlice does). */
  labels: string[]
  annotations: string[]
  ports: string[]
  serviceAccount: string
  network: string
  locality: string
  weight: number
  /** networking.istio.io/v1 from Istio 1.24; v1alpha3 before. */
  apiVersion: 'v1' | 'v1alpha3'
}

const MAX_UINT32 = 2 ** 32 - 1

/** convertToStringMap: split at the first `=`; no `=` gives the value "". */
function stringMap(items: string[]): Record<string, string> {
  const map: Record<string, string> = {}
  for (const item of items) {
    const at = item.indexOf('=')
    map[at === -1 ? item : item.slice(0, at)] = at === -1 ? '' : item.slice(at + 1)
  }
  return map
}

/**
 * convertToUnsignedInt32Map: what Go's strconv.ParseUint(v, 10, 32) returns, errors included (0 for a syntax error,
 * the maximum for a value out of range); the errors are what istioctl logs.
 */
export function portMap(items: string[]): { ports: Record<string, number>; errors: string[] } {
  const ports: Record<string, number> = {}
  const errors: string[] = []
  for (const [name, value] of Object.entries(stringMap(items))) {
    if (!/^\d+$/.test(value)) {
      ports[name] = 0
      errors.push(`failed to parse port "${value}": strconv.ParseUint: parsing "${value}": invalid syntax`)
    } else if (Number(value) > MAX_UINT32) {
      ports[name] = MAX_UINT32
      errors.push(`failed to parse port "${value}": strconv.ParseUint: parsing "${value}": value out of range`)
    } else ports[name] = Number(value)
  }
  return { ports, errors }
}

const nonEmpty = <T extends object>(m: T): T | undefined => (Object.keys(m).length > 0 ? m : undefined)

/** The YAML text istioctl prints, and the port errors it logs. */
export function workloadGroupYaml(f: WorkloadGroupFlags): { yaml: string; errors: string[] } {
  const { ports, errors } = portMap(f.ports)
  // protojson leaves out empty maps, empty strings and zero numbers
  const template = {
    ports: nonEmpty(ports),
    serviceAccount: f.serviceAccount || undefined,
    network: f.network || undefined,
    locality: f.locality || undefined,
    weight: f.weight || undefined,
  }
  const object = {
    apiVersion: `networking.istio.io/${f.apiVersion}`,
    kind: 'WorkloadGroup',
    metadata: { name: f.name, namespace: f.namespace },
    spec: {
      metadata: { labels: nonEmpty(stringMap(f.labels)), annotations: nonEmpty(stringMap(f.annotations)) },
      template,
    },
  }
  return { yaml: toYamlV2(object as unknown as JsonValue), errors }
}
