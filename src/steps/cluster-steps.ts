import type { ClusterHandler } from './cluster-handler.js'
import { namespace } from './namespace.js'
import { serviceAccount } from './service-account.js'
import { workloadEntry } from './workload-entry.js'
import { workloadGroup } from './workload-group.js'

/** Every kind of cluster step and its handler. */
const all = {
  namespace,
  'service-account': serviceAccount,
  'workload-group': workloadGroup,
  'workload-entry': workloadEntry,
}

type ArgsOfHandler<H> = H extends ClusterHandler<infer A, infer _F> ? A : never

export type ClusterStepArgs = { [K in keyof typeof all]: ArgsOfHandler<(typeof all)[K]> }
export type ClusterStepKind = keyof ClusterStepArgs

/** One step of cluster work for a run (meshvm makes these; playbooks hold VM steps only). */
export type ClusterStep<K extends ClusterStepKind = ClusterStepKind> = K extends ClusterStepKind
  ? { kind: K; name: string; args: ClusterStepArgs[K] }
  : never

export const clusterHandlers: { [K in ClusterStepKind]: ClusterHandler<ClusterStepArgs[K], unknown> } = all

export const clusterHandlerOf = <K extends ClusterStepKind>(
  step: ClusterStep<K>,
): ClusterHandler<ClusterStepArgs[K], unknown> => clusterHandlers[step.kind as K]
