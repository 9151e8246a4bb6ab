import type { ClusterClient } from '../cluster/index.js'
import { ExitError } from '../errors.js'
import { runClusterStep } from '../executor/cluster-step.js'
import type { DecidedStep } from '../executor/host.js'
import type { Vm, WorkloadGroupSpec } from '../inventory/types.js'
import type { EnsuredObject } from '../report/cluster-objects.js'
import type { ClusterStep } from '../steps/cluster-steps.js'

/** The objects of the run's groups: what each came to, the steps of the VM they were done for, what check mode lacks. */
export interface GroupObjects {
  objects: EnsuredObject[]
  /** The group's object steps, reported as the first steps of the first VM of the group. */
  decided: (vm: Vm) => DecidedStep[]
  /** Namespaces and service accounts (`ns`, `ns/sa`) check mode found missing: bundles work around them. */
  missing: Set<string>
}

const groupKey = (vm: Vm) => `${vm.workloadGroup.namespace}/${vm.workloadGroup.name}`

/** The steps that give a group its Namespace, ServiceAccount and WorkloadGroup, with the object each is about. */
function groupSteps(
  g: WorkloadGroupSpec,
): Array<{ step: ClusterStep; object: Omit<EnsuredObject, 'result' | 'reason'> }> {
  const { namespace, serviceAccount } = g
  return [
    {
      step: { kind: 'namespace', name: `Namespace ${namespace}`, args: { name: namespace } },
      object: { kind: 'Namespace', name: namespace },
    },
    {
      step: {
        kind: 'service-account',
        name: `ServiceAccount ${namespace}/${serviceAccount}`,
        args: { namespace, name: serviceAccount },
      },
      object: { kind: 'ServiceAccount', name: serviceAccount, namespace },
    },
    {
      step: { kind: 'workload-group', name: `WorkloadGroup ${namespace}/${g.name}`, args: { group: g } },
      object: { kind: 'WorkloadGroup', name: g.name, namespace },
    },
  ]
}

/**
 * Ensures the Namespace, ServiceAccount and WorkloadGroup of every distinct group once, before any VM runs (its VMs
 * need them for their tokens), as cluster steps: facts, pure check, apply (none in check mode). A failure stops the
 * command: no VM of the run could get a token.
 */
export async function ensureGroupObjects(
  client: ClusterClient,
  vms: Vm[],
  o: { check: boolean; diff: boolean },
): Promise<GroupObjects> {
  const objects: EnsuredObject[] = []
  const decided = new Map<string, DecidedStep[]>()
  const missing = new Set<string>()
  const owners = new Map<string, Vm>()
  for (const vm of vms) if (!owners.has(groupKey(vm))) owners.set(groupKey(vm), vm)
  for (const vm of owners.values()) {
    const steps: DecidedStep[] = []
    for (const { step, object } of groupSteps(vm.workloadGroup)) {
      const started = Date.now()
      const { result, verb } = await runClusterStep(step, client, o)
      if (result.status === 'failed') throw new ExitError(result.msg)
      steps.push({ kind: step.kind, name: step.name, result: { ...result, ms: Date.now() - started } })
      const changed = result.status === 'changed' && (verb === 'create' || verb === 'update')
      const word = !changed ? 'unchanged' : o.check ? (`would-${verb}` as const) : (`${verb}d` as const)
      objects.push({ ...object, result: word, reason: result.msg })
      if (o.check && verb === 'create' && object.kind !== 'WorkloadGroup')
        missing.add(object.namespace ? `${object.namespace}/${object.name}` : object.name)
    }
    decided.set(vm.name, steps)
  }
  return { objects, decided: (vm) => decided.get(vm.name) ?? [], missing }
}
