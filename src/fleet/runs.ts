import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, type ConnectOptions } from '../cluster/index.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { builtInPlaybook } from './playbooks.js'
import { checkedPlaybook, runFleet, type FleetIo, type FleetOptions } from './run.js'
import { ensureGroupObjects } from './group-objects.js'
import { VmBundles } from './vm-bundles.js'
import { workloadEntryStep } from './workload-entry.js'

/** A playbook that needs no bundle, plus one cluster-side step per VM (verify, offboard). */
export async function runWithClusterStep(
  o: FleetOptions & { cluster: ConnectOptions },
  io: FleetIo,
  vms: Vm[],
  playbook: 'verify' | 'offboard',
  become: Secret | undefined,
): Promise<number> {
  const checked = await checkedPlaybook(builtInPlaybook(playbook), vms)
  const client = connectCluster(o.cluster)
  const entry = playbook === 'verify' ? 'present' : 'absent'
  const run = await runFleet(o, io, {
    playbook: checked,
    vms,
    prepare: async () => ({ bundle: [] }),
    cluster: { client, after: (vm) => [workloadEntryStep(vm, entry)] },
    become,
  })
  return run.code
}

/** Any playbook; bundle files (and a fresh token) are made only when the playbook uploads them. */
export async function runAnyPlaybook(
  o: FleetOptions & { cluster: ConnectOptions; istioVersion?: IstioVersion },
  io: FleetIo,
  vms: Vm[],
  playbookFile: string,
  become: Secret | undefined,
): Promise<number> {
  const playbook = await checkedPlaybook(playbookFile, vms)
  const usesBundle = playbook.steps.some((step) => 'bundle' in step.args)
  const client = usesBundle ? connectCluster(o.cluster) : undefined
  const groups = client ? await ensureGroupObjects(client, vms, o) : undefined
  const bundles = client ? new VmBundles(client, o.istioVersion, o.check, groups!.missing) : undefined
  const { code } = await runFleet(o, io, {
    playbook,
    vms,
    prepare: async (vm) => ({ bundle: bundles ? (await bundles.forVm(vm)).files : [] }),
    decided: groups?.decided,
    become,
  })
  return code
}
