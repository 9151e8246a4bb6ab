import { isDeepStrictEqual } from 'node:util'
import { stringify } from 'yaml'
import {
  readWorkloadGroupBody,
  workloadGroupSpec,
  writeWorkloadGroup,
  type WorkloadGroupBody,
} from '../cluster/index.js'
import type { WorkloadGroupSpec } from '../inventory/types.js'
import type { ClusterHandler } from './cluster-handler.js'
import { change, ok } from './handler.js'

export interface Args {
  group: WorkloadGroupSpec
}

const where = (g: WorkloadGroupSpec) => `WorkloadGroup ${g.namespace}/${g.name}`

/** The WorkloadGroup of an inventory group, as the inventory describes it: created when missing, its spec replaced when different. */
export const workloadGroup: ClusterHandler<Args, { current?: WorkloadGroupBody }> = {
  read: async (a, cluster) => ({ current: await readWorkloadGroupBody(cluster, a.group.namespace, a.group.name) }),
  check(a, f) {
    const spec = workloadGroupSpec(a.group)
    if (!f.current) return change(`create ${where(a.group)}`, 'create', { before: '', after: stringify(spec) })
    if (isDeepStrictEqual(f.current.spec, spec)) return ok(`${where(a.group)} is up to date`)
    return change(`update ${where(a.group)}`, 'update', { before: stringify(f.current.spec), after: stringify(spec) })
  },
  async apply(a, c, cluster) {
    const current =
      c.data === 'update' ? await readWorkloadGroupBody(cluster, a.group.namespace, a.group.name) : undefined
    await writeWorkloadGroup(cluster, a.group, current)
    return `${c.data === 'update' ? 'updated' : 'created'} ${where(a.group)}`
  },
}
