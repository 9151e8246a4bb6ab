// `meshvm lab`: real test hosts (systemd-nspawn) plus the lab cluster (API emulator + stand-in istiod), on one machine.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { stringify } from 'yaml'
import { ensureHostPackages } from './host-packages.js'
import {
  ensureBase,
  hostsStatus,
  labIdOf,
  requireRootOnLinux,
  resetHosts,
  startHosts,
  stopHosts,
  type HostStatus,
} from './hosts/index.js'
import { otherClaims } from './hosts/registry.js'
import { claimClusterAddress, releaseClusterAddress } from './cluster/address.js'
import { readState } from './hosts/state.js'
import { pidAlive } from './hosts/processes.js'
import { writeKubeconfig } from './kube-api/kubeconfig-file.js'
import { createLabPki } from './pki.js'
import { buildSidecarDeb } from './sidecar/build-deb.js'
import { clusterConfigFile, DEFAULT_PACKAGES_PORT, packageMirrorUrl, type LabClusterConfig } from './cluster/config.js'
import { publishRelease } from './sidecar/publish.js'
import { clusterPid, ensureClusterProcess, stopClusterProcess } from './cluster/process.js'
import type { CaMode } from './istiod/index.js'
import { InputError } from '../errors.js'

export const LAB_ISTIO_VERSION = '1.24.2'
/** The release before the lab's: `lab up` builds its sidecar too, for VMs that lag the cluster (and upgrades). */
export const LAB_PREVIOUS_ISTIO_VERSION = '1.23.4'
const API_PORT = 6443
const ISTIOD_PORT = 15012
const BRIDGE = 'mvlab0'

export interface LabUpOptions {
  dir: string
  vms: number
  /** Extra MiB in the sidecar package, for realistic transfer sizes in benchmarks. */
  payloadMiB?: number
  /** Lifetime of workload certificates the lab istiod issues (default 24 h). */
  certTtlSeconds?: number
  /** `token-only`: the lab CA runs as cert-manager istio-csr's default (renewal needs a valid token). */
  caMode?: CaMode
  log: (line: string) => void
}

/** What `lab up` made: the files a user points meshvm at. */
export interface Lab {
  dir: string
  inventory: string
  kubeconfig: string
  knownHosts: string
  key: string
  hosts: { name: string; address: string }[]
  apiUrl: string
  reusedCluster: boolean
  /** The lab's sidecar packages: the cluster's version (the inventory's default) and the one before it. */
  packages: { current: string; previous: string }
}

/** Cluster addresses of the other labs on this machine (their configs, found through the lab registry). */
function otherClusterAddresses(labId: string): string[] {
  return otherClaims(labId).flatMap((c) => {
    try {
      return [(JSON.parse(readFileSync(clusterConfigFile(c.dir), 'utf8')) as LabClusterConfig).host]
    } catch {
      return []
    }
  })
}

/** Seconds the lab API grants a token at least: seconds, so a test can watch one expire (kube-apiserver: 600). */
const LAB_MIN_TOKEN_SECONDS = 1

async function clusterConfig(dir: string, bridge: string, o: LabUpOptions): Promise<LabClusterConfig> {
  const file = clusterConfigFile(dir)
  if (existsSync(file)) {
    const config = JSON.parse(readFileSync(file, 'utf8')) as LabClusterConfig
    const differs = (o.certTtlSeconds !== undefined && o.certTtlSeconds !== config.certTtlSeconds) || (o.caMode !== undefined && o.caMode !== (config.caMode ?? 'istiod'))
    // The cluster keeps its objects in memory: changing how it runs would lose them, so say what to do instead.
    if (differs && clusterPid(dir)) throw new InputError(`the lab cluster in ${dir} runs with other --cert-ttl/--ca-mode settings: run \`meshvm lab down\` first`)
    return { ...config, certTtlSeconds: o.certTtlSeconds ?? config.certTtlSeconds, caMode: o.caMode ?? config.caMode }
  }
  return {
    certTtlSeconds: o.certTtlSeconds,
    caMode: o.caMode ?? 'istiod',
    minTokenSeconds: LAB_MIN_TOKEN_SECONDS,
    host: await claimClusterAddress(bridge, otherClusterAddresses(labIdOf(dir))),
    apiPort: API_PORT,
    istiodPort: ISTIOD_PORT,
    packagesPort: DEFAULT_PACKAGES_PORT,
    token: `lab-${randomBytes(24).toString('hex')}`,
    istioVersion: LAB_ISTIO_VERSION,
    clusterName: 'lab-cluster',
  }
}

function labInventory(dir: string, hosts: { name: string; address: string }[], deb: string, mirror: string, key: string): string {
  const header = [
    '# Written by `meshvm lab up`: the lab VMs as a meshvm inventory. Lab-only credentials; see README "The lab".',
    `# Try: meshvm onboard -i ${join(dir, 'inventory.yaml')} --kubeconfig ${join(dir, 'kubeconfig')}`,
    '',
  ].join('\n')
  const inventory = {
    defaults: {
      user: 'admin',
      identityFile: key,
      knownHostsFile: 'known_hosts',
      app: 'lab-vm',
      namespace: 'lab-apps',
      serviceAccount: 'lab-vm',
      labels: { app: 'lab-vm', version: 'v1' },
      ports: { http: 8080 },
      autoregister: true,
      package: { file: relative(dir, deb), version: LAB_ISTIO_VERSION },
      // without `package`, the default one (the cluster's release) comes from the lab's mirror of Istio's releases
      packageMirror: mirror,
    },
    vms: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address }])),
  }
  return header + stringify(inventory)
}

/** A lab whose hosts run is reused as it is, or left alone: `lab up` never tears down running hosts. */
function refuseToReplaceRunningHosts(dir: string, vms: number): void {
  const hosts = readState(dir)?.hosts ?? []
  const running = hosts.filter((h) => pidAlive(h.supervisorPid)).length
  if (running === 0 || (running === hosts.length && hosts.length === vms)) return
  const size = running === hosts.length ? `${hosts.length} host(s)` : `${running} of its ${hosts.length} host(s)`
  throw new InputError(
    `the lab in ${dir} already runs ${size}; nothing was changed. ` +
      (running === hosts.length ? `\`meshvm lab up --vms ${hosts.length}\` reuses it; ` : '') +
      '`meshvm lab down` first to start a different one (or `meshvm lab reset` for fresh hosts)',
  )
}

export async function labUp(o: LabUpOptions): Promise<Lab> {
  requireRootOnLinux()
  const dir = resolve(o.dir)
  refuseToReplaceRunningHosts(dir, o.vms)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await ensureHostPackages(o.log)
  o.log('base image: checking the cache (the first build takes about 45 s)')
  const baseDir = await ensureBase(undefined, o.log)
  const deb = await buildSidecarDeb({ outDir: join(dir, 'packages'), version: `${LAB_ISTIO_VERSION}-lab`, payloadMiB: o.payloadMiB })
  const previous = await buildSidecarDeb({ outDir: join(dir, 'packages'), version: `${LAB_PREVIOUS_ISTIO_VERSION}-lab`, payloadMiB: o.payloadMiB })
  o.log(`sidecar packages: ${deb} (the cluster's), ${previous} (the release before)`)
  const releases = join(dir, 'packages', 'releases')
  await publishRelease(deb, releases, LAB_ISTIO_VERSION)
  await publishRelease(previous, releases, LAB_PREVIOUS_ISTIO_VERSION)
  await createLabPki(join(dir, 'pki'))
  o.log(`booting ${o.vms} host(s)`)
  const lab = await startHosts({ dir, count: o.vms, baseDir, bridge: BRIDGE, log: o.log })
  const config = await clusterConfig(dir, lab.bridge, o)
  const cluster = await ensureClusterProcess(dir, config)
  o.log(`${cluster.reused ? 'reusing' : 'started'} the lab cluster (pid ${cluster.pid}) on ${config.host}`)
  const apiUrl = `https://${config.host}:${config.apiPort}`
  const caCert = readFileSync(join(dir, 'pki', 'root-cert.pem'), 'utf8')
  const kubeconfig = await writeKubeconfig({ url: apiUrl, caCert }, join(dir, 'kubeconfig'), { context: 'meshvm-lab', token: config.token })
  const hosts = lab.hosts.map((h) => ({ name: h.name, address: h.address }))
  const inventory = join(dir, 'inventory.yaml')
  await writeFile(inventory, labInventory(dir, hosts, deb, packageMirrorUrl(config), lab.keyFile), { mode: 0o644 })
  const packages = { current: deb, previous }
  return { dir, inventory, kubeconfig, knownHosts: lab.knownHostsFile, key: lab.keyFile, hosts, apiUrl, reusedCluster: cluster.reused, packages }
}

export interface LabStatus {
  dir: string
  cluster: { running: boolean; pid?: number }
  hosts: HostStatus[]
}

export async function labStatus(dir: string): Promise<LabStatus> {
  const pid = clusterPid(resolve(dir))
  return { dir: resolve(dir), cluster: { running: pid !== undefined, pid }, hosts: await hostsStatus(dir) }
}

/**
 * Re-creates every lab host from the fresh base (same names, addresses and host keys); the lab cluster keeps running
 * and keeps what it holds. For benchmarks and tests that need never-onboarded VMs without a new lab.
 */
export async function labReset(dir: string, log: (line: string) => void): Promise<number> {
  return resetHosts(dir, log)
}

/** Stops the cluster first (it listens on the bridge), then the hosts; removes what the lab made but the key. */
export async function labDown(dir: string): Promise<{ cluster: boolean; hosts: number }> {
  requireRootOnLinux()
  const abs = resolve(dir)
  const hosts = readState(abs)?.hosts.length ?? 0
  const cluster = await stopClusterProcess(abs)
  if (existsSync(clusterConfigFile(abs))) await releaseClusterAddress(BRIDGE, JSON.parse(readFileSync(clusterConfigFile(abs), 'utf8')).host)
  await stopHosts(abs)
  for (const f of ['inventory.yaml', 'kubeconfig', 'cluster']) await rm(join(abs, f), { recursive: true, force: true })
  return { cluster, hosts }
}
