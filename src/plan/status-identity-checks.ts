// The identity rules of `meshvm status`: can the VM keep (or get) a workload certificate by itself, does the token
// still matter, does it trust the cluster's roots, does its config match what meshvm makes now, is it registered.
// The token matters only when the CA takes no client certificate or no valid certificate is on disk
// (istio architecture/security/istio-agent.md; cert-manager/istio-csr#279).
import type { Finding } from './status-checks.js'
import { inHuman, type ClusterSide, type Derived } from './status-checks.js'
import type { VmStatusFacts } from './status-facts.js'

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** The certificate and the token together: what they mean depends on each other and on the CA. */
export function identityChecks(f: VmStatusFacts, c: ClusterSide, d: Derived, now: number): Finding[] {
  const exp = f.token.claims?.exp !== undefined ? f.token.claims.exp * 1000 : undefined
  const tokenValid = exp !== undefined && exp > now
  const tokenText = !f.token.present
    ? 'no token on the VM'
    : f.token.unreadable || exp === undefined
      ? 'a token without readable claims'
      : tokenValid
        ? `the token expires ${inHuman(exp - now)} (${iso(exp)})`
        : `the token expired ${inHuman(exp - now)} (${iso(exp)})`
  const cert = d.cert
  const certValid = cert !== undefined && cert.notAfter > now
  const acceptsCert = c.ca.acceptsClientCert
  const findings: Finding[] = []

  if (!certValid) {
    const what = cert
      ? `the workload certificate expired ${inHuman(cert.notAfter - now)}`
      : 'no workload certificate in /etc/certs'
    // Without a valid certificate only the token can get one (first start, a long downtime).
    findings.push({
      check: 'certificate',
      level: 'broken',
      text: tokenValid
        ? `${what}; the agent needs its token to get one`
        : `${what} and ${tokenText}: the agent cannot get an identity`,
      fix: 'onboard',
    })
    findings.push({
      check: 'token',
      level: tokenValid ? 'ok' : 'broken',
      text: `${tokenText}; it matters: no valid certificate on disk`,
      fix: tokenValid ? undefined : 'onboard',
    })
    return findings
  }
  const left = `the workload certificate expires ${inHuman(cert.notAfter - now)} (${iso(cert.notAfter)})`
  if (acceptsCert === true) {
    findings.push({ check: 'certificate', level: 'ok', text: `${left}; it renews itself: ${c.ca.how}` })
    findings.push({
      check: 'token',
      level: 'ok',
      text: `${tokenText}; it does not matter while the certificate renews itself`,
    })
    return findings
  }
  const caText =
    acceptsCert === false ? `the CA takes tokens only (${c.ca.how})` : `the CA may need a token (${c.ca.how})`
  if (!tokenValid) {
    const level = acceptsCert === false ? 'broken' : 'attention'
    findings.push({
      check: 'certificate',
      level,
      text: `${left} and cannot be renewed: ${caText} and ${tokenText}`,
      fix: 'onboard',
    })
    findings.push({ check: 'token', level, text: `${tokenText}; it matters: ${caText}`, fix: 'onboard' })
    return findings
  }
  // Renewals keep working until the token expires; the last certificate then lives one more lifetime.
  const lifetime = cert.notAfter - cert.notBefore
  findings.push({ check: 'certificate', level: 'ok', text: `${left}; renews while the token is valid: ${caText}` })
  const soon = exp - now < Math.max(lifetime, 3600_000)
  findings.push({
    check: 'token',
    level: soon ? 'attention' : 'ok',
    text: `${tokenText}; it matters: ${caText}`,
    fix: soon ? 'onboard' : undefined,
  })
  return findings
}

export function rootCheck(d: Derived): Finding {
  const r = d.roots
  const short = (fps: string[]) => fps.map((f) => f.slice(0, 23)).join(', ')
  switch (r.state) {
    case 'same':
      return { check: 'root', level: 'ok', text: "root-cert.pem holds the cluster's roots" }
    case 'missing-on-vm':
      return { check: 'root', level: 'broken', text: 'no root certificate in /etc/certs/root-cert.pem', fix: 'onboard' }
    case 'disjoint':
      return {
        check: 'root',
        level: 'broken',
        text: "root-cert.pem trusts none of the cluster's roots (rotated in the cluster, never pushed)",
        fix: 'onboard',
      }
    case 'lacks-new':
      return {
        check: 'root',
        level: 'attention',
        text: `root-cert.pem lacks the cluster's new root ${short(r.missing)} (a rotation is under way)`,
        fix: 'onboard',
      }
    case 'keeps-old':
      return {
        check: 'root',
        level: 'attention',
        text: `root-cert.pem still trusts ${short(r.extra)}, which the cluster dropped`,
        fix: 'onboard',
      }
  }
}

export function driftCheck(d: Derived): Finding {
  if (d.drifted.length === 0)
    return { check: 'drift', level: 'ok', text: 'cluster.env, mesh config and hosts block as meshvm makes them now' }
  return {
    check: 'drift',
    level: 'attention',
    text: `${d.drifted.join(', ')} differ${d.drifted.length === 1 ? 's' : ''} from what meshvm makes now`,
    fix: 'onboard',
  }
}

export function workloadEntryCheck(c: ClusterSide, connected: boolean): Finding {
  const e = c.entry
  const name = e.name ?? '(no address)'
  if (!e.present && !e.autoregister && !e.createdByOnboard)
    // Without auto-registration (or workloadEntryHealth) onboarding makes no WorkloadEntry, as Istio's VM guide: one
    // is the user's to add.
    return {
      check: 'workloadEntry',
      level: 'ok',
      text: `no WorkloadEntry ${name} (auto-registration is off; the mesh routes to the VM once one is added)`,
    }
  if (!e.present) {
    // istiod re-creates an auto-registered entry only when the proxy connects again.
    const fix = e.autoregister && connected ? 'restart' : 'onboard'
    return {
      check: 'workloadEntry',
      level: 'broken',
      text: `WorkloadEntry ${name} is missing: the mesh sends the VM no traffic`,
      fix,
    }
  }
  if (e.healthy?.status === 'False')
    return {
      check: 'workloadEntry',
      level: 'broken',
      text: `WorkloadEntry ${name} is not Healthy${e.healthy.reason ? ` (${e.healthy.reason})` : ''}`,
      fix: 'restart',
    }
  if (e.disconnectedAt)
    return {
      check: 'workloadEntry',
      level: connected ? 'attention' : 'broken',
      text: `istiod marked WorkloadEntry ${name} disconnected at ${e.disconnectedAt}`,
      fix: 'restart',
    }
  return {
    check: 'workloadEntry',
    level: 'ok',
    text: `WorkloadEntry ${name} present${e.healthy ? `, Healthy=${e.healthy.status}` : ''}`,
  }
}

export function rebootCheck(f: VmStatusFacts): Finding {
  if (f.bootAt === undefined || f.clusterEnvWrittenAt === undefined)
    return { check: 'reboot', level: 'ok', text: 'boot time unknown' }
  const rebooted = f.bootAt > f.clusterEnvWrittenAt
  const text = rebooted
    ? `rebooted at ${iso(f.bootAt)}, after onboarding (${iso(f.clusterEnvWrittenAt)}): /run and the token were wiped`
    : `not rebooted since onboarding (${iso(f.clusterEnvWrittenAt)})`
  return { check: 'reboot', level: 'ok', text }
}
