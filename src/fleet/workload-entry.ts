import { setTimeout as sleep } from 'node:timers/promises'
import { deleteWorkloadEntry, getWorkloadEntry, type ClusterClient } from '../cluster/index.js'
import type { ControllerStep } from '../executor/host.js'
import type { Vm } from '../inventory/types.js'

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

const where = (vm: Vm, name: string) => `WorkloadEntry ${vm.workloadGroup.namespace}/${name}`

/** onboard: istiod registers the VM once its sidecar connects; wait (bounded) until it has. */
export function awaitRegistration(client: ClusterClient, timeoutMs = 30_000): ControllerStep {
  return {
    kind: 'workload-entry',
    name: 'WorkloadEntry registered',
    run: async (vm, check) => {
      const name = workloadEntryName(vm)
      if (!vm.autoregister || !name) return { status: 'skipped', msg: 'auto-registration is off for this VM' }
      if (check) return { status: 'skipped', msg: `check mode: istiod would register ${where(vm, name)}` }
      const deadline = Date.now() + timeoutMs
      for (let i = 0; i < 300; i++) {
        if (await getWorkloadEntry(client, vm.workloadGroup.namespace, name)) return { status: 'ok', msg: `${where(vm, name)} registered by istiod` }
        if (Date.now() > deadline) break
        await sleep(500)
      }
      return { status: 'failed', msg: `${where(vm, name)} did not appear within ${timeoutMs / 1000} s: is auto-registration enabled in istiod?` }
    },
  }
}

/** verify: the VM's entry is in the cluster. */
export function entryPresent(client: ClusterClient): ControllerStep {
  return {
    kind: 'workload-entry',
    name: 'WorkloadEntry present',
    run: async (vm) => {
      const name = workloadEntryName(vm)
      if (!vm.autoregister || !name) return { status: 'skipped', msg: 'auto-registration is off for this VM' }
      const entry = await getWorkloadEntry(client, vm.workloadGroup.namespace, name)
      if (!entry) return { status: 'failed', msg: `${where(vm, name)} not found` }
      const disconnected = entry.metadata.annotations?.['istio.io/disconnectedAt']
      if (disconnected) return { status: 'failed', msg: `${where(vm, name)} is marked disconnected since ${disconnected}` }
      return { status: 'ok', msg: `${where(vm, name)} present` }
    },
  }
}

/** offboard: remove the entry istiod registered (istiod would only mark it disconnected). */
export function entryRemoved(client: ClusterClient): ControllerStep {
  return {
    kind: 'workload-entry',
    name: 'Delete the WorkloadEntry',
    run: async (vm, check) => {
      const name = workloadEntryName(vm)
      if (!name) return { status: 'skipped', msg: 'the VM has no mesh IP, so no WorkloadEntry of its own' }
      if (check) {
        const present = await getWorkloadEntry(client, vm.workloadGroup.namespace, name)
        return present ? { status: 'changed', msg: `would delete ${where(vm, name)}` } : { status: 'ok', msg: `${where(vm, name)} absent` }
      }
      const r = await deleteWorkloadEntry(client, vm.workloadGroup.namespace, name)
      return r === 'deleted' ? { status: 'changed', msg: `deleted ${where(vm, name)}` } : { status: 'ok', msg: `${where(vm, name)} absent` }
    },
  }
}
