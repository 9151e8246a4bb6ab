import { makeBundle } from '../bundle/make-bundle.js'
import type { Bundle, BundleInput, IstioVersion, VmFlags, WorkloadGroupObject } from '../bundle/types.js'
import {
  mintToken,
  plannedToken,
  readClusterFacts,
  workloadGroupSpec,
  type ClusterClient,
  type ClusterFacts,
  type FactsOptions,
} from '../cluster/index.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { workloadEntryName } from './workload-entry.js'

/** The WorkloadGroup object an inventory group stands for, as the bundle reads it. */
export function workloadGroupObject(vm: Vm): WorkloadGroupObject {
  const g = vm.workloadGroup
  return {
    metadata: { name: g.name, namespace: g.namespace },
    spec: workloadGroupSpec(g) as WorkloadGroupObject['spec'],
  }
}

const groupKey = (vm: Vm) => `${vm.workloadGroup.namespace}/${vm.workloadGroup.name}`

/**
 * Makes VM bundles from one cluster: reads cluster facts once per distinct set of inputs, and mints a fresh token per
 * VM at the moment its bundle is made — in check mode only a stand-in with the new token's claims (`plannedToken`),
 * since a TokenRequest is a write to the cluster.
 */
export class VmBundles {
  readonly #facts = new Map<string, Promise<ClusterFacts>>()

  constructor(
    readonly client: ClusterClient,
    readonly istioVersion?: IstioVersion,
    /** Check mode: the bundles' tokens are stand-ins, nothing is asked of the cluster but reads. */
    readonly check = false,
    /** Namespaces and service accounts (`ns`, `ns/sa`) check mode found missing: bundles work around them. */
    readonly missing: ReadonlySet<string> = new Set(),
  ) {}

  facts(vm: Vm): Promise<ClusterFacts> {
    const { revision, istioNamespace, clusterId, ingressIP, ingressService } = vm
    const options: FactsOptions = { revision, istioNamespace, clusterId, ingressIP, ingressService }
    const key = JSON.stringify([groupKey(vm), options])
    let facts = this.#facts.get(key)
    if (!facts) {
      // A namespace that does not exist yet (check mode) will get istiod's root cert, the one of the Istio namespace.
      const certFrom = this.missing.has(vm.workloadGroup.namespace) ? vm.istioNamespace : vm.workloadGroup.namespace
      facts = readClusterFacts(this.client, { name: vm.workloadGroup.name, namespace: certFrom }, options)
      this.#facts.set(key, facts)
      facts.catch(() => this.#facts.delete(key))
    }
    return facts
  }

  async forVm(vm: Vm): Promise<Bundle> {
    const facts = await this.facts(vm)
    const { namespace, serviceAccount } = vm.workloadGroup
    const token = await (this.check ? plannedToken : mintToken)(
      this.client,
      namespace,
      serviceAccount,
      vm.tokenDuration,
    )
    return makeBundle(bundleInput(workloadGroupObject(vm), facts, vmFlags(vm), token, this.istioVersion))
  }
}

/** The VM's flags as its bundle reads them: with the WorkloadEntry meshvm creates for it, when it does. */
export const vmFlags = (vm: Vm) => ({
  ...vm,
  workloadEntry: vm.workloadEntryHealth ? workloadEntryName(vm) : undefined,
})

export function bundleInput(
  workloadGroup: WorkloadGroupObject,
  facts: ClusterFacts,
  flags: VmFlags & { workloadEntry?: string },
  token: Secret,
  istioVersion?: IstioVersion,
): BundleInput {
  const { istioNamespace, internalIP, externalIP, autoregister, captureDns } = flags
  return {
    workloadGroup,
    meshConfig: facts.meshConfig,
    rootCert: facts.rootCert,
    token,
    clusterId: facts.clusterId,
    revision: facts.revision,
    istioNamespace,
    ingressIP: facts.ingressIP,
    internalIP,
    externalIP,
    autoregister,
    captureDns,
    istioVersion: istioVersion ?? facts.istioVersion,
    ...(flags.workloadEntry ? { workloadEntry: flags.workloadEntry } : {}),
  }
}
