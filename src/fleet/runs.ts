import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, type ClusterClient, type ConnectOptions } from '../cluster/index.js'
import type { ControllerStep } from '../executor/host.js'
import type { Vm } from '../inventory/types.js'
import { loadPlaybook } from '../playbook/load.js'
import type { Secret } from '../secret.js'
import { builtInPlaybook } from './playbooks.js'
import { runFleet, type FleetIo, type FleetOptions } from './run.js'
import { VmBundles } from './vm-bundles.js'

/** A playbook that needs no bundle, plus one cluster-side step per VM (verify, offboard). */
export async function runWithClusterStep(
  o: FleetOptions & { cluster: ConnectOptions },
  io: FleetIo,
  vms: Vm[],
  playbook: 'verify' | 'offboard',
  clusterStep: (client: ClusterClient) => ControllerStep,
  become: Secret | undefined,
): Promise<number> {
  const client = connectCluster(o.cluster)
  const run = await runFleet(o, io, {
    playbookFile: builtInPlaybook(playbook),
    vms,
    prepare: async () => ({ bundle: [] }),
    controllerSteps: [clusterStep(client)],
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
  const usesBundle = (await loadPlaybook(playbookFile)).steps.some((step) => 'bundle' in step.args)
  const bundles = usesBundle ? new VmBundles(connectCluster(o.cluster), o.istioVersion) : undefined
  if (bundles) await bundles.ensureGroups(vms, o.check)
  const { code } = await runFleet(o, io, {
    playbookFile,
    vms,
    prepare: async (vm) => ({ bundle: bundles ? (await bundles.forVm(vm)).files : [] }),
    become,
  })
  return code
}
