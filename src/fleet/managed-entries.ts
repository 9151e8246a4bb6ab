import type { ClusterClient } from '../cluster/index.js'
import { ExitError } from '../errors.js'
import { runClusterStep } from '../executor/cluster-step.js'
import type { DecidedStep } from '../executor/host.js'
import type { Vm } from '../inventory/types.js'
import type { VmBundles } from './vm-bundles.js'
import { managedEntry, workloadEntryStep } from './workload-entry.js'

/** istiod keeps the health of an entry a proxy names (ISTIO_META_WORKLOAD_ENTRY) since 1.19 (istio/istio#44712). */
const SINCE = { major: 1, minor: 19 }

/**
 * Creates (or puts back) the WorkloadEntry of every VM with workloadEntryHealth before any VM runs: istiod refuses a
 * proxy that names an entry it cannot find (pilot/pkg/autoregistration/controller.go, OnConnect). Each VM's step is
 * reported as its first; a failure stops the command, as the group objects' do.
 */
export async function ensureManagedEntries(
  client: ClusterClient,
  vms: Vm[],
  bundles: VmBundles,
  o: { check: boolean; diff: boolean },
): Promise<(vm: Vm) => DecidedStep[]> {
  const decided = new Map<string, DecidedStep[]>()
  for (const vm of vms.filter((v) => managedEntry(v))) {
    const { istioVersion: v } = await bundles.facts(vm)
    const version = bundles.istioVersion ?? v
    if (version.major === SINCE.major && version.minor < SINCE.minor)
      throw new ExitError(
        `${vm.name}: workloadEntryHealth needs Istio ${SINCE.major}.${SINCE.minor} or later (istiod keeps the health of a named WorkloadEntry since then); the cluster runs ${version.major}.${version.minor}`,
      )
    const step = workloadEntryStep(vm, 'managed')
    const started = Date.now()
    const { result } = await runClusterStep(step, client, o)
    if (result.status === 'failed') throw new ExitError(`${vm.name}: ${step.name}: ${result.msg}`)
    decided.set(vm.name, [{ kind: step.kind, name: step.name, result: { ...result, ms: Date.now() - started } }])
  }
  return (vm) => decided.get(vm.name) ?? []
}
