// `meshvm status`: the fleet as it is. Cluster reads are shared by the fleet (per WorkloadGroup, Istio namespace and
// namespace), then one SSH round trip per VM; nothing is written, on the VMs or in the cluster (no token is minted:
// the expected bundle is made with an empty one, and the token file is never compared).
import { randomBytes } from 'node:crypto'
import { makeBundle } from '../bundle/make-bundle.js'
import type { IstioVersion } from '../bundle/types.js'
import {
  connectCluster,
  listWorkloadEntries,
  readControlPlane,
  type ClusterClient,
  type ConnectOptions,
  type ControlPlaneFacts,
  type WorkloadEntryObject,
} from '../cluster/index.js'
import { runPool } from '../executor/pool.js'
import type { Vm } from '../inventory/types.js'
import type { BundleName, ClusterSide } from '../plan/status-checks.js'
import { parseStatusOutput, statusScript } from '../plan/status-facts.js'
import { judgeVm, type VmVerdict } from '../plan/status-verdict.js'
import { Secret } from '../secret.js'
import { isUnreachable } from '../ssh/errors.js'
import { connectVm, type SshChoices } from './connect.js'
import { bundleInput, vmFlags, VmBundles, workloadGroupObject } from './vm-bundles.js'
import { workloadEntryName } from './workload-entry.js'

export interface StatusOptions extends SshChoices {
  forks: number
  cluster: ConnectOptions
  istioVersion?: IstioVersion
}

/** One VM's status: reachable and judged, or why not. Files are kept for `--diff`. */
export interface VmStatus {
  name: string
  address: string
  reachable: boolean
  /** Unreachable, or its facts or the cluster's could not be read. */
  error?: string
  judged?: VmVerdict & { cluster: ClusterSide; facts: ReturnType<typeof parseStatusOutput> }
}

export interface FleetStatus {
  at: Date
  vms: VmStatus[]
}

const BUNDLE_NAMES: BundleName[] = ['cluster.env', 'mesh.yaml', 'hosts']

/** Per-fleet memo of cluster reads: each distinct thing is read once, however many VMs share it. */
class ClusterReads {
  readonly bundles: VmBundles
  readonly #controlPlanes = new Map<string, Promise<ControlPlaneFacts>>()
  readonly #entries = new Map<string, Promise<Map<string, WorkloadEntryObject>>>()

  constructor(
    readonly client: ClusterClient,
    readonly istioVersion?: IstioVersion,
  ) {
    this.bundles = new VmBundles(client, istioVersion)
  }

  #memo<T>(map: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
    let p = map.get(key)
    if (!p) map.set(key, (p = read()))
    return p
  }

  async forVm(vm: Vm): Promise<ClusterSide> {
    const facts = await this.bundles.facts(vm)
    const bundle = makeBundle(
      bundleInput(workloadGroupObject(vm), facts, vmFlags(vm), new Secret(''), this.istioVersion),
    )
    const text = (name: BundleName) => String(bundle.files.find((f) => f.name === name)?.content ?? '')
    const cp = await this.#memo(this.#controlPlanes, `${vm.istioNamespace}/${facts.revision}`, () =>
      readControlPlane(this.client, vm.istioNamespace, facts.revision),
    )
    const ns = vm.workloadGroup.namespace
    const entries = await this.#memo(
      this.#entries,
      ns,
      async () =>
        new Map((await listWorkloadEntries(this.client, ns)).map((e) => [e.metadata.name, e as WorkloadEntryObject])),
    )
    const name = workloadEntryName(vm)
    const entry = name ? entries.get(name) : undefined
    const healthy = entry?.status?.conditions?.find((c) => c.type === 'Healthy')
    return {
      release: cp.release,
      revision: facts.revision,
      rootsPem: facts.rootCert,
      ca: cp.ca,
      expected: Object.fromEntries(BUNDLE_NAMES.map((n) => [n, text(n)])) as Record<BundleName, string>,
      entry: {
        name,
        autoregister: vm.autoregister,
        createdByOnboard: vm.workloadEntryHealth === true,
        present: entry !== undefined,
        healthy: healthy ? { status: healthy.status, reason: healthy.reason } : undefined,
        disconnectedAt: entry?.metadata.annotations?.['istio.io/disconnectedAt'],
      },
    }
  }
}

async function statusOfVm(
  vm: Vm,
  o: StatusOptions,
  reads: ClusterReads,
  become: Secret | undefined,
): Promise<VmStatus> {
  const base = { name: vm.name, address: vm.ssh.host }
  let cluster: ClusterSide
  try {
    cluster = await reads.forVm(vm)
  } catch (e) {
    return { ...base, reachable: true, error: `cluster: ${(e as Error).message}` }
  }
  const nonce = randomBytes(8).toString('hex')
  let stdout: string
  try {
    const conn = await connectVm(vm, o, become)
    try {
      const r = await conn.exec(statusScript(nonce), { sudo: true, timeoutMs: 60_000 })
      stdout = r.stdout
    } finally {
      await conn.close()
    }
  } catch (e) {
    if (isUnreachable(e)) return { ...base, reachable: false, error: (e as Error).message }
    return { ...base, reachable: true, error: `reading the VM: ${(e as Error).message}` }
  }
  try {
    const facts = parseStatusOutput(stdout, nonce)
    return { ...base, reachable: true, judged: { ...judgeVm(facts, cluster), cluster, facts } }
  } catch (e) {
    return { ...base, reachable: true, error: `reading the VM: ${(e as Error).message}` }
  }
}

export async function fleetStatus(o: StatusOptions, vms: Vm[], become?: Secret): Promise<FleetStatus> {
  const reads = new ClusterReads(connectCluster(o.cluster), o.istioVersion)
  const results = new Map<string, VmStatus>()
  await runPool(
    vms,
    o.forks,
    async (vm) => void results.set(vm.name, await statusOfVm(vm, o, reads, become)),
    () => false,
  )
  return { at: new Date(), vms: vms.map((vm) => results.get(vm.name)!) }
}
