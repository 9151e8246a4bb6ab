import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, type ConnectOptions, type EnsuredObject } from '../cluster/index.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { builtInPlaybook } from './playbooks.js'
import { runFleet, type FleetIo, type FleetOptions } from './run.js'
import { VmBundles } from './vm-bundles.js'
import { awaitRegistration } from './workload-entry.js'

export interface OnboardOptions extends FleetOptions {
  cluster: ConnectOptions
  istioVersion?: IstioVersion
  /** Default playbooks/onboard.yaml. */
  playbookFile?: string
}

/** Ensures the VMs' cluster objects, then runs the onboard playbook over them (fleet runs and the wizard). */
export async function onboardVms(o: OnboardOptions, io: FleetIo, vms: Vm[], become: Secret | undefined) {
  const client = connectCluster(o.cluster)
  const bundles = new VmBundles(client, o.istioVersion)
  const cluster: EnsuredObject[] = await bundles.ensureGroups(vms, o.check)
  for (const obj of cluster) {
    const name = `${obj.namespace ? `${obj.namespace}/` : ''}${obj.name}`
    if (obj.result !== 'unchanged' || o.verbose) io.stderr.write(`cluster: ${obj.result} ${obj.kind} ${name}\n`)
  }
  await warnUnreachableIstiod(bundles, vms, io)
  const run = await runFleet(o, io, {
    playbookFile: o.playbookFile ?? builtInPlaybook('onboard'),
    vms,
    prepare: async (vm) => ({ bundle: (await bundles.forVm(vm)).files }),
    controllerSteps: [awaitRegistration(client)],
    become,
  })
  return { ...run, cluster }
}

/** Said before the run, not in the middle of the live tree: VMs that will get no hosts line for istiod. */
async function warnUnreachableIstiod(bundles: VmBundles, vms: Vm[], io: FleetIo) {
  const without: string[] = []
  for (const vm of vms) {
    // a facts error here is the VM's own failure, reported by its run
    const facts = await bundles.facts(vm).catch(() => undefined)
    if (facts?.ingressIP === '') without.push(vm.name)
  }
  if (without.length === 0) return
  io.stderr.write(
    `warning: no address for istiod found for ${without.join(', ')} (no ingressIP, and the ingress Service has no ` +
      'load-balancer IP): their /etc/hosts gets no istiod line, so their sidecars can only reach istiod through DNS\n',
  )
}
