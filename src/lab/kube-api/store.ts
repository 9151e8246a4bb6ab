/** A stored Kubernetes object (JSON). */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    generation?: number
    creationTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [k: string]: unknown
  }
  [k: string]: unknown
}

const key = (plural: string, namespace: string | undefined, name: string) => `${plural}/${namespace ?? ''}/${name}`

/**
 * In-memory object storage keyed by resource plural (plurals are unique across the served groups, so versions of one
 * type share storage). Reads and writes copy, so callers never alias stored state. One resourceVersion counter for
 * the whole cluster, as etcd's revision.
 */
export class ObjectStore {
  readonly #objects = new Map<string, KubeObject>()
  #revision = 0

  nextResourceVersion(): string {
    this.#revision += 1
    return String(this.#revision)
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.#objects.get(key(plural, namespace, name))
    return o && structuredClone(o)
  }

  /** Objects of a type, in one namespace or (undefined) all, sorted by namespace then name as etcd keys sort. */
  list(plural: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? `${plural}/` : `${plural}/${namespace}/`
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o))
  }

  /** Writes as-is (the verbs fill in metadata first). */
  put(plural: string, obj: KubeObject): KubeObject {
    this.#objects.set(key(plural, obj.metadata.namespace, obj.metadata.name), structuredClone(obj))
    return structuredClone(obj)
  }

  delete(plural: string, namespace: string | undefined, name: string): boolean {
    return this.#objects.delete(key(plural, namespace, name))
  }

  get revision(): string {
    return String(this.#revision)
  }
}
