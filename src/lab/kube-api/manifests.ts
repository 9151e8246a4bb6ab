import { parseAllDocuments } from 'yaml'
import { resourceTable, typeOfKind } from './resources.js'
import type { KubeObject, ObjectStore } from './store.js'
import { createObject } from './verbs.js'

/**
 * Loads multi-document YAML manifests as `kubectl create` would, except that a namespace an object names is created
 * when missing (fixture files such as the conformance fake-cluster.yaml list no Namespace objects).
 */
export function loadManifests(store: ObjectStore, texts: string[]): void {
  const table = resourceTable()
  const objects = texts.flatMap((text) =>
    parseAllDocuments(text).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid manifest YAML: ${doc.errors[0].message}`)
      const o = doc.toJS() as (KubeObject & { items?: KubeObject[] }) | null
      return !o ? [] : o.kind === 'List' ? (o.items ?? []) : [o]
    }),
  )
  // Namespaces first, so objects in them can be created whatever the document order.
  objects.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'))
  for (const o of objects) {
    const type = typeOfKind(table, o.apiVersion ?? '', o.kind ?? '')
    if (!type) throw new Error(`manifest kind ${o.apiVersion}/${o.kind} is not served by the emulator`)
    const version = (o.apiVersion ?? '').split('/').pop()!
    const namespace = type.namespaced ? (o.metadata.namespace ?? 'default') : undefined
    if (namespace && !store.get('namespaces', undefined, namespace)) {
      const nsType = typeOfKind(table, 'v1', 'Namespace')!
      createObject(store, { type: nsType, version: 'v1' }, { metadata: { name: namespace } })
    }
    createObject(store, { type, version, namespace }, o)
  }
}
