import { workloadGroupSpec } from '../cluster/index.js'
import type { Vm } from '../inventory/types.js'
import type { ClusterStep } from '../steps/cluster-steps.js'

/**
 * The name istiod gives an auto-registered entry: `<group>-<ip with ':' as '-'>[-<network>]`, cut from the front to
 * 253 characters (istio/istio pilot/pkg/autoregistration/controller.go).
 */
export function workloadEntryName(vm: Vm): string | undefined {
  const ip = vm.internalIP ?? vm.externalIP
  if (!ip) return undefined
  const network = vm.workloadGroup.network ? `-${vm.workloadGroup.network}` : ''
  return `${vm.workloadGroup.name}-${ip.replaceAll(':', '-')}${network}`.slice(-253)
}

/**
 * The entry meshvm creates for a VM with workloadEntryHealth: what istiod would make of the WorkloadGroup's template
 * for it (address, labels, service account, network, ports), or undefined when meshvm creates none.
 */
export function managedEntry(vm: Vm): { labels: Record<string, string>; spec: Record<string, unknown> } | undefined {
  const address = vm.internalIP ?? vm.externalIP
  if (!vm.workloadEntryHealth || !address) return undefined
  const g = workloadGroupSpec(vm.workloadGroup) as {
    metadata: { labels: Record<string, string> }
    template: Record<string, unknown>
  }
  const labels = g.metadata.labels
  return { labels, spec: { ...g.template, address, labels } }
}

const names = {
  // onboard: istiod registers the VM once its sidecar connects; wait (bounded) until it has
  registered: 'WorkloadEntry registered',
  // verify: the VM's entry is in the cluster, connected
  present: 'WorkloadEntry present',
  // offboard: istiod would only mark it disconnected
  absent: 'Delete the WorkloadEntry',
  // upgrade: the cluster's half of the gate, after the agent's reconnect
  connected: 'WorkloadEntry connected and healthy',
  // onboard with workloadEntryHealth, before the VM's steps: the sidecar names it when it connects
  managed: 'Create the WorkloadEntry',
}

/** The VM's WorkloadEntry step of a fleet command, run after the VM's own steps (`managed`: before them). */
export function workloadEntryStep(vm: Vm, state: keyof typeof names, since?: number): ClusterStep {
  const wait = state === 'connected' ? { timeoutMs: 60_000, ...(since === undefined ? {} : { since }) } : {}
  const args = {
    namespace: vm.workloadGroup.namespace,
    name: workloadEntryName(vm),
    autoregister: vm.autoregister,
    ...(managedEntry(vm) ? { managed: managedEntry(vm) } : {}),
    state,
    ...wait,
  }
  return { kind: 'workload-entry', name: names[state], args }
}
