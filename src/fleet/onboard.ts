import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, type ConnectOptions } from '../cluster/index.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { objectName } from '../report/cluster-objects.js'
import { ensureGroupObjects } from './group-objects.js'
import { clusterReleases, DefaultPackages } from './default-package.js'
import { packageCacheDir } from './package-cache.js'
import { builtInPlaybook } from './playbooks.js'
import { loadPlaybook } from '../playbook/load.js'
import { validatePlaybook } from '../playbook/render.js'
import { needsDefaultPackage, runFleet, type FleetIo, type FleetOptions } from './run.js'
import { VmBundles } from './vm-bundles.js'
import { ensureManagedEntries } from './managed-entries.js'
import { workloadEntryStep } from './workload-entry.js'

export interface OnboardOptions extends FleetOptions {
  cluster: ConnectOptions
  istioVersion?: IstioVersion
  /** Default playbooks/onboard.yaml. */
  playbookFile?: string
  /** `--istio-version` as given: the release of the default sidecar package. */
  istioRelease?: string
  /** For $MESHVM_PACKAGE_MIRROR and the XDG cache dir of the default package. */
  env: NodeJS.ProcessEnv
}

/** Ensures the VMs' cluster objects, then runs the onboard playbook over them (fleet runs and the wizard). */
export async function onboardVms(o: OnboardOptions, io: FleetIo, vms: Vm[], become: Secret | undefined) {
  const file = o.playbookFile ?? builtInPlaybook('onboard')
  const playbook = await loadPlaybook(file)
  const defaultPackage = needsDefaultPackage(playbook, vms)
  validatePlaybook(playbook, vms, defaultPackage) // all input checked: nothing contacted yet
  const client = connectCluster(o.cluster)
  // before any cluster object is made: a release with no published package stops here
  const packages = defaultPackage
    ? await DefaultPackages.check(
        vms,
        clusterReleases(client, o.istioRelease),
        o.env,
        packageCacheDir(o.env),
        'onboard',
      )
    : undefined
  const groups = await ensureGroupObjects(client, vms, o)
  for (const obj of groups.objects)
    if (obj.result !== 'unchanged' || o.verbose) io.stderr.write(`cluster: ${obj.result} ${objectName(obj)}\n`)
  const bundles = new VmBundles(client, o.istioVersion, o.check, groups.missing)
  await warnUnreachableIstiod(bundles, vms, io)
  const entries = await ensureManagedEntries(client, vms, bundles, o)
  const run = await runFleet(o, io, {
    playbook,
    vms,
    prepare: async (vm, conn) => ({
      bundle: (await bundles.forVm(vm)).files,
      ...(packages && !vm.package ? { package: await packages.forVm(vm, conn, o.check) } : {}),
    }),
    defaultPackage: packages !== undefined,
    cluster: { client, after: (vm) => [workloadEntryStep(vm, 'registered')] },
    decided: (vm) => [...groups.decided(vm), ...entries(vm)],
    become,
  })
  return { ...run, cluster: groups.objects }
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
