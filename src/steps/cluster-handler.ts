import type { ClusterClient } from '../cluster/index.js'
import type { Change, Check } from './handler.js'

/** What a cluster change does to its object. */
export type ClusterVerb = 'create' | 'update' | 'delete' | 'wait'

/**
 * One kind of cluster work, under the VM steps' contract with the cluster as the other side: `read` fetches the facts
 * (through the cluster door), `check` is pure, `apply` is the only write and runs only for a change outside check mode.
 */
export interface ClusterHandler<A, F> {
  read(args: A, cluster: ClusterClient): Promise<F>
  check(args: A, facts: F): Check<ClusterVerb>
  /** Returns an optional message for the result. */
  apply(args: A, change: Change<ClusterVerb>, cluster: ClusterClient): Promise<string | void>
  /** Apply only observes (waits): success is `ok`, not `changed`, and `--check` skips it. */
  observes?(args: A): boolean
}
