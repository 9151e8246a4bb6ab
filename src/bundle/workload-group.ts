// A WorkloadGroup read from a `-f` file, with the defaults istioctl applies on that path only
// (istio/istio istioctl/pkg/workload/workload.go; 1.10: istioctl/cmd/workload.go).
import { InputError } from '../errors.js'
import { isJsonMap } from './proto-json.js'
import type { WorkloadGroupObject } from './types.js'
import { parseYamlV2 } from './yaml-v2-parse.js'

const MAX_PORT = 2 ** 32 - 1 // ports are uint32 in the WorkloadEntry proto
const NEEDS_STRING = 'the WorkloadGroup file needs a non-empty string (quote it if YAML reads it as another type) at'

/** Parses the file; `apiVersion`/`kind` are not checked (istioctl does not either). */
export function parseWorkloadGroupFile(text: string): WorkloadGroupObject {
  const doc = parseYamlV2(text, 'the WorkloadGroup file')
  if (!isJsonMap(doc)) throw new InputError('the WorkloadGroup file must hold a YAML mapping')
  const metadata = mapping(doc.metadata, 'metadata')
  const spec = mapping(doc.spec, 'spec')
  const name = metadata.name
  const namespace = metadata.namespace
  if (typeof name !== 'string' || name === '') throw new InputError(`${NEEDS_STRING} metadata.name`)
  if (typeof namespace !== 'string' || namespace === '') throw new InputError(`${NEEDS_STRING} metadata.namespace`)
  const specMetadata = mapping(spec.metadata, 'spec.metadata')
  const template = mapping(spec.template, 'spec.template')
  const serviceAccount = optionalString(template.serviceAccount, 'spec.template.serviceAccount')
  const network = optionalString(template.network, 'spec.template.network')
  return {
    metadata: { name, namespace, annotations: stringMap(metadata.annotations, 'metadata.annotations') },
    spec: {
      metadata: {
        labels: stringMap(specMetadata.labels, 'spec.metadata.labels'),
        annotations: stringMap(specMetadata.annotations, 'spec.metadata.annotations'),
      },
      template: {
        ...template,
        serviceAccount: serviceAccount || 'default',
        network,
        ports: portMap(template.ports),
        labels: stringMap(template.labels, 'spec.template.labels'),
      },
      probe: spec.probe === undefined || spec.probe === null ? undefined : mapping(spec.probe, 'spec.probe'),
    },
  }
}

function mapping(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (!isJsonMap(value)) throw new InputError(`${path} in the WorkloadGroup file must be a mapping`)
  return value
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new InputError(`${path} in the WorkloadGroup file must be a string`)
  return value
}

function stringMap(value: unknown, path: string): Record<string, string> {
  const map = mapping(value, path)
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') throw new InputError(`${path}.${k} in the WorkloadGroup file must be a string`)
  }
  return map as Record<string, string>
}

function portMap(value: unknown): Record<string, number> {
  const map = mapping(value, 'spec.template.ports')
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_PORT) {
      throw new InputError(`spec.template.ports.${k} in the WorkloadGroup file must be a port number`)
    }
  }
  return map as Record<string, number>
}
