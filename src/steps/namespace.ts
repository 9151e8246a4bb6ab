import { createNamespace, namespaceExists, waitForRootCert } from '../cluster/index.js'
import type { ClusterHandler } from './cluster-handler.js'
import { change, ok } from './handler.js'

export interface Args {
  name: string
}

/** The namespace of a WorkloadGroup exists; a new one is given the moment istiod takes to copy its root cert in. */
export const namespace: ClusterHandler<Args, { exists: boolean }> = {
  read: async (a, cluster) => ({ exists: await namespaceExists(cluster, a.name) }),
  check: (a, f) =>
    f.exists
      ? ok(`Namespace ${a.name} exists`)
      : change(`create Namespace ${a.name}`, 'create', { before: 'absent', after: 'present' }),
  async apply(a, _c, cluster) {
    await createNamespace(cluster, a.name)
    await waitForRootCert(cluster, a.name)
    return `created Namespace ${a.name}`
  },
}
