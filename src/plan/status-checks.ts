// The rules of `meshvm status`: each check turns facts into a finding (ok / attention / broken, why, and which fix).
// Pure: the VM's facts, the cluster's, and the time.
import type { CaFacts } from '../cluster/control-plane.js'
import type { VmStatusFacts } from './status-facts.js'
import {
  certificateFacts,
  compareRoots,
  fingerprints,
  xdsFacts,
  type CertificateFacts,
  type RootComparison,
} from './status-identity.js'

export type Verdict = 'ok' | 'attention' | 'broken'
/** onboard: `meshvm onboard --limit VM`; restart: the restart-istio playbook; network: nothing meshvm can change. */
export type FixKind = 'onboard' | 'restart' | 'network'
export type CheckName =
  'sidecar' | 'unit' | 'xds' | 'certificate' | 'token' | 'root' | 'drift' | 'workloadEntry' | 'reboot'

export interface Finding {
  check: CheckName
  level: Verdict
  text: string
  fix?: FixKind
}

export type BundleName = 'cluster.env' | 'mesh.yaml' | 'hosts'

/** What the cluster says the VM should have, read once for the fleet (per WorkloadGroup). */
export interface ClusterSide {
  /** istiod's release, e.g. 1.24.2. */
  release?: string
  revision: string
  rootsPem: string
  ca: CaFacts
  /** What meshvm would upload now (the hosts file is the managed block's content). */
  expected: Record<BundleName, string>
  entry: {
    name?: string
    autoregister: boolean
    /** meshvm creates it at onboarding (workloadEntryHealth), though the VM does not register itself. */
    createdByOnboard?: boolean
    present: boolean
    healthy?: { status: string; reason?: string }
    disconnectedAt?: string
  }
}

export interface Derived {
  cert?: CertificateFacts
  roots: RootComparison
  xds: ReturnType<typeof xdsFacts>
  /** The managed hosts block on the VM (its content between the markers), undefined when absent. */
  hostsBlock?: string
  drifted: BundleName[]
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
export const inHuman = (ms: number) => {
  const s = Math.round(Math.abs(ms) / 1000)
  const text =
    s < 120
      ? `${s}s`
      : s < 7200
        ? `${Math.round(s / 60)}m`
        : s < 172800
          ? `${Math.round(s / 3600)}h`
          : `${Math.round(s / 86400)}d`
  return ms < 0 ? `${text} ago` : `in ${text}`
}

/** The content of meshvm's managed block `# BEGIN meshvm istio` … `# END meshvm istio` (steps/hosts-block.ts). */
export function hostsBlockOf(etcHosts: string | undefined): string | undefined {
  const m = /^# BEGIN meshvm istio\n([^]*?)^# END meshvm istio$/m.exec(etcHosts ?? '')
  return m ? m[1] : undefined
}

export function derive(f: VmStatusFacts, c: ClusterSide): Derived {
  const hostsBlock = hostsBlockOf(f.files.hosts)
  const onVm: Record<BundleName, string | undefined> = {
    'cluster.env': f.files['cluster.env'],
    'mesh.yaml': f.files['mesh.yaml'],
    hosts: hostsBlock,
  }
  const drifted = (Object.keys(c.expected) as BundleName[]).filter(
    (k) => (onVm[k] ?? '').trimEnd() !== c.expected[k].trimEnd(),
  )
  return {
    cert: certificateFacts(f.chainPem, [f.rootPem ?? '', c.rootsPem]),
    roots: compareRoots(fingerprints(f.rootPem), fingerprints(c.rootsPem)),
    xds: xdsFacts(f.logLines, f.unit.activeSince),
    hostsBlock,
    drifted,
  }
}

const release = (v: string | undefined) =>
  /(\d+)\.(\d+)\.(\d+)/
    .exec(v ?? '')
    ?.slice(1)
    .map(Number)

export function sidecarCheck(f: VmStatusFacts, c: ClusterSide): Finding {
  if (!f.packageVersion)
    return { check: 'sidecar', level: 'broken', text: 'istio-sidecar is not installed', fix: 'onboard' }
  const [vm, cl] = [release(f.packageVersion), release(c.release)]
  if (!vm || !cl)
    return { check: 'sidecar', level: 'ok', text: `sidecar ${f.packageVersion} (cluster version unknown)` }
  const cmp = vm[0] - cl[0] || vm[1] - cl[1] || vm[2] - cl[2]
  if (cmp === 0)
    return { check: 'sidecar', level: 'ok', text: `sidecar ${f.packageVersion} matches Istio ${c.release}` }
  const minorsBehind = (cl[0] - vm[0]) * 100 + cl[1] - vm[1]
  if (cmp > 0)
    return {
      check: 'sidecar',
      level: 'attention',
      text: `sidecar ${f.packageVersion} is newer than the cluster's Istio ${c.release}`,
      fix: 'onboard',
    }
  // Istio supports a data plane at most one minor behind its control plane.
  const level = minorsBehind > 1 ? 'broken' : 'attention'
  return {
    check: 'sidecar',
    level,
    text: `sidecar ${f.packageVersion} is older than the cluster's Istio ${c.release}`,
    fix: 'onboard',
  }
}

export function unitCheck(f: VmStatusFacts): Finding {
  const u = f.unit
  if (!u.loaded) return { check: 'unit', level: 'broken', text: 'no istio unit', fix: 'onboard' }
  const since = u.activeSince ? ` since ${iso(u.activeSince)}` : ''
  if (u.active !== 'active')
    return { check: 'unit', level: 'broken', text: `istio is ${u.active} (${u.sub})`, fix: 'onboard' }
  return { check: 'unit', level: 'ok', text: `istio active${since}` }
}

export function xdsCheck(d: Derived, f: VmStatusFacts): Finding {
  if (d.xds.connected) return { check: 'xds', level: 'ok', text: `connected to XDS since ${iso(d.xds.lastConnectAt!)}` }
  const last = d.xds.lastError?.text ?? 'no connect line since istio started'
  const fix: FixKind = /no such host|connection refused|i\/o timeout/.test(last)
    ? 'network'
    : f.unit.active === 'active'
      ? 'restart'
      : 'onboard'
  return { check: 'xds', level: 'broken', text: `not connected to XDS: ${last}`, fix }
}
