// One VM's verdict: every check's finding, the worst one first. Among equally bad findings the cause comes before
// its symptom (an expired token before the XDS refusal it causes), so the reason and fix name what to repair.
import {
  derive,
  sidecarCheck,
  unitCheck,
  xdsCheck,
  type ClusterSide,
  type Derived,
  type Finding,
  type FixKind,
  type Verdict,
} from './status-checks.js'
import type { VmStatusFacts } from './status-facts.js'
import { driftCheck, identityChecks, rebootCheck, rootCheck, workloadEntryCheck } from './status-identity-checks.js'

export interface VmVerdict {
  verdict: Verdict
  reason: string
  fix?: FixKind
  findings: Finding[]
  derived: Derived
}

const rank: Record<Verdict, number> = { broken: 2, attention: 1, ok: 0 }
const causeFirst = ['sidecar', 'certificate', 'token', 'root', 'drift', 'unit', 'workloadEntry', 'xds', 'reboot']

export const worse = (a: Verdict, b: Verdict): Verdict => (rank[a] >= rank[b] ? a : b)

/** `now`: the VM's clock (certificate and token times are judged as the VM's agent sees them). */
export function judgeVm(f: VmStatusFacts, c: ClusterSide): VmVerdict {
  const d = derive(f, c)
  const findings = [
    sidecarCheck(f, c),
    unitCheck(f),
    xdsCheck(d, f),
    ...identityChecks(f, c, d, f.now),
    rootCheck(d),
    driftCheck(d),
    workloadEntryCheck(c, d.xds.connected),
    rebootCheck(f),
  ]
  const sorted = [...findings].sort(
    (a, b) => rank[b.level] - rank[a.level] || causeFirst.indexOf(a.check) - causeFirst.indexOf(b.check),
  )
  const top = sorted[0]
  if (top.level === 'ok')
    return {
      verdict: 'ok',
      reason: 'in the mesh: connected, identity renews, config current',
      findings: sorted,
      derived: d,
    }
  return { verdict: top.level, reason: top.text, fix: top.fix, findings: sorted, derived: d }
}
