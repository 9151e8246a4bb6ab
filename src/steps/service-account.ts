import { createServiceAccount, serviceAccountExists } from '../cluster/index.js'
import type { ClusterHandler } from './cluster-handler.js'
import { change, ok } from './handler.js'

export interface Args {
  namespace: string
  name: string
}

/** The service account a WorkloadGroup's VMs get their tokens for exists. */
export const serviceAccount: ClusterHandler<Args, { exists: boolean }> = {
  read: async (a, cluster) => ({ exists: await serviceAccountExists(cluster, a.namespace, a.name) }),
  check: (a, f) =>
    f.exists
      ? ok(`ServiceAccount ${a.namespace}/${a.name} exists`)
      : change(`create ServiceAccount ${a.namespace}/${a.name}`, 'create', { before: 'absent', after: 'present' }),
  async apply(a, _c, cluster) {
    await createServiceAccount(cluster, a.namespace, a.name)
    return `created ServiceAccount ${a.namespace}/${a.name}`
  },
}
