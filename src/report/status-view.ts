// The fleet status as every output shows it: one row per VM with its verdict, reason and fixing command, worst first,
// plus the facts behind it (never the token: only its expiry).
import { X509Certificate } from 'node:crypto'
import type { FleetStatus, VmStatus } from '../fleet/status.js'
import type { Finding, FixKind, Verdict } from '../plan/status-checks.js'

export type RowVerdict = Verdict | 'unreachable'

export interface StatusRow {
  vm: string
  address: string
  verdict: RowVerdict
  reason: string
  /** The meshvm command that fixes it (or what to do when meshvm cannot). */
  fix?: string
  findings: Finding[]
  facts?: StatusFacts
}

/** The facts of a reachable VM that outputs show as fields and metrics. */
export interface StatusFacts {
  sidecar: { version?: string; clusterRelease?: string; revision: string }
  unit: { active: string; sub: string; since?: string; restarts?: number }
  xds: { connected: boolean; lastConnectAt?: string; lastError?: string }
  certificate: { present: boolean; notAfter?: string; spiffeId?: string; renewsItself?: boolean; ca: string }
  token: { present: boolean; expiresAt?: string }
  root: { vm: string[]; cluster: string[]; state: string }
  drift: { files: string[] }
  workloadEntry: { name?: string; present: boolean; autoregister: boolean; healthy?: string; disconnectedAt?: string }
  reboot: { bootAt?: string; onboardedAt?: string; rebootedSinceOnboarding?: boolean }
}

/** Turns a fix kind into a command line for one VM (the command decides the flags it repeats). */
export type FixCommand = (kind: FixKind, vm: string) => string

const order: Record<RowVerdict, number> = { broken: 0, unreachable: 1, attention: 2, ok: 3 }
const iso = (ms: number | undefined) =>
  ms === undefined ? undefined : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

function factsOf(s: VmStatus): StatusFacts | undefined {
  const j = s.judged
  if (!j) return undefined
  const { facts: f, cluster: c, derived: d } = j
  return {
    sidecar: { version: f.packageVersion, clusterRelease: c.release, revision: c.revision },
    unit: { active: f.unit.active, sub: f.unit.sub, since: iso(f.unit.activeSince), restarts: f.unit.restarts },
    xds: { connected: d.xds.connected, lastConnectAt: iso(d.xds.lastConnectAt), lastError: d.xds.lastError?.text },
    certificate: {
      present: d.cert !== undefined,
      notAfter: iso(d.cert?.notAfter),
      spiffeId: d.cert?.spiffeId,
      renewsItself: c.ca.acceptsClientCert,
      ca: c.ca.how,
    },
    token: {
      present: f.token.present,
      expiresAt: iso(f.token.claims?.exp === undefined ? undefined : f.token.claims.exp * 1000),
    },
    root: { vm: fingerprintsOf(j, 'vm'), cluster: fingerprintsOf(j, 'cluster'), state: d.roots.state },
    drift: { files: d.drifted },
    workloadEntry: {
      name: c.entry.name,
      present: c.entry.present,
      autoregister: c.entry.autoregister || c.entry.createdByOnboard === true,
      healthy: c.entry.healthy?.status,
      disconnectedAt: c.entry.disconnectedAt,
    },
    reboot: {
      bootAt: iso(f.bootAt),
      onboardedAt: iso(f.clusterEnvWrittenAt),
      rebootedSinceOnboarding:
        f.bootAt !== undefined && f.clusterEnvWrittenAt !== undefined ? f.bootAt > f.clusterEnvWrittenAt : undefined,
    },
  }
}

function fingerprintsOf(j: NonNullable<VmStatus['judged']>, side: 'vm' | 'cluster'): string[] {
  const pem = side === 'vm' ? j.facts.rootPem : j.cluster.rootsPem
  return (pem?.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((p) =>
    sha256Fingerprint(p),
  )
}

const sha256Fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256

export function statusRows(status: FleetStatus, fix: FixCommand): StatusRow[] {
  const rows = status.vms.map((s): StatusRow => {
    const base = { vm: s.name, address: s.address }
    if (!s.reachable)
      return {
        ...base,
        verdict: 'unreachable',
        reason: `unreachable: ${s.error}`,
        fix: fix('network', s.name),
        findings: [],
      }
    if (!s.judged)
      return { ...base, verdict: 'broken', reason: s.error ?? 'no facts', fix: fix('onboard', s.name), findings: [] }
    const j = s.judged
    return {
      ...base,
      verdict: j.verdict,
      reason: j.reason,
      fix: j.fix && fix(j.fix, s.name),
      findings: j.findings,
      facts: factsOf(s),
    }
  })
  return rows.sort(
    (a, b) => order[a.verdict] - order[b.verdict] || a.vm.localeCompare(b.vm, undefined, { numeric: true }),
  )
}

/** Exit code: 0 all ok; 2 a VM is broken; 4 a VM is unreachable (none broken); 3 a VM needs attention only. */
export function statusExitCode(rows: StatusRow[]): number {
  const has = (v: RowVerdict) => rows.some((r) => r.verdict === v)
  return has('broken') ? 2 : has('unreachable') ? 4 : has('attention') ? 3 : 0
}

export function tally(rows: StatusRow[]): Record<RowVerdict, number> {
  const t: Record<RowVerdict, number> = { ok: 0, attention: 0, broken: 0, unreachable: 0 }
  for (const r of rows) t[r.verdict]++
  return t
}
