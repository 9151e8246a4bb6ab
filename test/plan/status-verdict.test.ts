// The status rules as data: facts of one VM and of its cluster → verdict, reason and fix. Certificates are real
// (the lab CA signs them with openssl); times are moved by the VM clock (`now`).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { CaFacts } from '../../src/cluster/control-plane.js'
import { createLabPki, signWorkloadCsr } from '../../src/lab/pki.js'
import type { ClusterSide } from '../../src/plan/status-checks.js'
import type { VmStatusFacts } from '../../src/plan/status-facts.js'
import { xdsFacts } from '../../src/plan/status-identity.js'
import { judgeVm } from '../../src/plan/status-verdict.js'

const ISTIOD: CaFacts = { kind: 'istiod', acceptsClientCert: true, how: "istiod's own CA" }
const CSR_DEFAULT: CaFacts = { kind: 'istio-csr', acceptsClientCert: false, how: 'istio-csr, client certificates off' }
const HOSTS = '198.18.0.1 istiod.istio-system.svc\n'
const ENV = "CANONICAL_SERVICE='web'\n"
const MESH = 'defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n'
const T0 = Date.parse('2026-12-01T10:00:00Z')
const line = (ms: number, level: string, scope: string, msg: string) =>
  `${new Date(ms).toISOString()}\t${level}\t${scope}\t${msg}`

let dir: string
let oldRoot: string
let newRoot: string
let chain: string
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshvm-status-rules-'))
  const pki = await createLabPki(join(dir, 'old'))
  oldRoot = pki.caCertPem
  newRoot = (await createLabPki(join(dir, 'new'), 'second root')).caCertPem
  const csr = execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'k'),
      '-subj',
      '/O=cluster.local',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  ).toString()
  chain = await signWorkloadCsr(pki, csr, 'spiffe://cluster.local/ns/lab-apps/sa/lab-vm', 3600)
})
after(() => rmSync(dir, { recursive: true, force: true }))

/** A VM in the mesh: now is ten minutes into its certificate's hour, the token valid for 50 more minutes. */
function healthyVm(now: number): VmStatusFacts {
  return {
    now,
    packageVersion: '1.24.2',
    unit: { loaded: true, active: 'active', sub: 'running', activeSince: now - 600_000, restarts: 0 },
    bootAt: now - 900_000,
    chainPem: chain,
    rootPem: oldRoot,
    token: { present: true, claims: { exp: Math.floor((now + 3000_000) / 1000), aud: ['istio-ca'] } },
    files: {
      'cluster.env': ENV,
      'mesh.yaml': MESH,
      hosts: `127.0.0.1 localhost\n# BEGIN meshvm istio\n${HOSTS}# END meshvm istio\n`,
    },
    clusterEnvWrittenAt: now - 700_000,
    logLines: [
      line(now - 599_000, 'info', 'xdsproxy', 'connected to upstream XDS server: istiod.istio-system.svc:15012'),
    ],
  }
}
const cluster = (o: Partial<ClusterSide> = {}): ClusterSide => ({
  release: '1.24.2',
  revision: 'default',
  rootsPem: oldRoot,
  ca: ISTIOD,
  expected: { 'cluster.env': ENV, 'mesh.yaml': MESH, hosts: HOSTS },
  entry: { name: 'lab-vm-198.18.0.4', autoregister: true, present: true },
  ...o,
})

interface Case {
  name: string
  vm?: (f: VmStatusFacts) => void
  cluster?: () => Partial<ClusterSide>
  /** Minutes after the certificate was issued (default 10). */
  at?: number
  verdict: string
  reason: RegExp
  fix?: string
}

const cases: Case[] = [
  { name: 'healthy, istiod CA', verdict: 'ok', reason: /^in the mesh/ },
  {
    name: 'healthy after a reboot that wiped the token: the certificate renews itself',
    vm: (f) => void (f.token = { present: false }),
    verdict: 'ok',
    reason: /^in the mesh/,
  },
  {
    name: 'token-only CA, token expired, certificate still valid',
    cluster: () => ({ ca: CSR_DEFAULT }),
    vm: (f) => void (f.token.claims!.exp = Math.floor((f.now - 60_000) / 1000)),
    verdict: 'broken',
    reason:
      /^the workload certificate expires in 50m \(\S+\) and cannot be renewed: the CA takes tokens only \(istio-csr, client certificates off\) and the token expired 60s ago/,
    fix: 'onboard',
  },
  {
    name: 'token-only CA, token valid for less than a certificate lifetime',
    cluster: () => ({ ca: CSR_DEFAULT }),
    verdict: 'attention',
    reason: /^the token expires in 50m .*it matters: the CA takes tokens only/,
    fix: 'onboard',
  },
  {
    name: 'certificate expired, no token (off longer than the lifetime, rebooted)',
    at: 70,
    vm: (f) => void (f.token = { present: false }),
    verdict: 'broken',
    reason: /^the workload certificate expired 10m ago and no token on the VM: the agent cannot get an identity$/,
    fix: 'onboard',
  },
  {
    name: 'no certificate but a valid token: the agent can get one',
    vm: (f) => void (f.chainPem = undefined),
    verdict: 'broken',
    reason: /^no workload certificate in \/etc\/certs; the agent needs its token to get one$/,
    fix: 'onboard',
  },
  {
    name: 'root overlap in the cluster',
    cluster: () => ({ rootsPem: oldRoot + newRoot }),
    verdict: 'attention',
    reason: /^root-cert\.pem lacks the cluster's new root [0-9A-F:]{23} \(a rotation is under way\)$/,
    fix: 'onboard',
  },
  {
    name: 'root rotated, never pushed',
    cluster: () => ({ rootsPem: newRoot }),
    verdict: 'broken',
    reason: /^root-cert\.pem trusts none of the cluster's roots/,
    fix: 'onboard',
  },
  {
    name: 'an old root kept after the rotation',
    vm: (f) => void (f.rootPem = oldRoot + newRoot),
    verdict: 'attention',
    reason: /^root-cert\.pem still trusts .* which the cluster dropped$/,
    fix: 'onboard',
  },
  {
    name: 'the gateway moved',
    cluster: () => ({
      expected: { 'cluster.env': ENV, 'mesh.yaml': MESH, hosts: '198.18.9.9 istiod.istio-system.svc\n' },
    }),
    verdict: 'attention',
    reason: /^hosts differs from what meshvm makes now$/,
    fix: 'onboard',
  },
  {
    name: 'sidecar one minor behind',
    vm: (f) => void (f.packageVersion = '1.23.4'),
    verdict: 'attention',
    reason: /^sidecar 1\.23\.4 is older than the cluster's Istio 1\.24\.2$/,
    fix: 'onboard',
  },
  {
    name: 'sidecar two minors behind',
    vm: (f) => void (f.packageVersion = '1.22.0'),
    verdict: 'broken',
    reason: /^sidecar 1\.22\.0 is older/,
    fix: 'onboard',
  },
  {
    name: 'sidecar newer than istiod',
    vm: (f) => void (f.packageVersion = '1.25.0'),
    verdict: 'attention',
    reason: /is newer than/,
    fix: 'onboard',
  },
  {
    name: 'not installed',
    vm: (f) => void (f.packageVersion = undefined),
    verdict: 'broken',
    reason: /^istio-sidecar is not installed$/,
    fix: 'onboard',
  },
  {
    name: 'disconnected: a refused connection after the connect line',
    vm: (f) =>
      f.logLines.push(
        line(
          f.now - 5000,
          'warn',
          'xdsproxy',
          'upstream [1] terminated with unexpected error rpc error: code = Unavailable desc = dial tcp 198.18.0.1:15012: connect: connection refused',
        ),
      ),
    verdict: 'broken',
    reason: /^not connected to XDS: warn xdsproxy upstream \[1\] terminated .*connection refused$/,
    fix: 'network',
  },
  {
    name: 'WorkloadEntry deleted while connected',
    cluster: () => ({ entry: { name: 'e', autoregister: true, present: false } }),
    verdict: 'broken',
    reason: /^WorkloadEntry e is missing/,
    fix: 'restart',
  },
  {
    name: "no WorkloadEntry without auto-registration: onboarding makes none, so it is the user's to add",
    cluster: () => ({ entry: { name: 'e', autoregister: false, present: false } }),
    verdict: 'ok',
    reason: /^in the mesh/,
  },
  {
    name: 'WorkloadEntry not Healthy',
    cluster: () => ({
      entry: { name: 'e', autoregister: true, present: true, healthy: { status: 'False', reason: 'Probe failed' } },
    }),
    verdict: 'broken',
    reason: /^WorkloadEntry e is not Healthy \(Probe failed\)$/,
    fix: 'restart',
  },
  {
    name: 'istio stopped',
    vm: (f) => void (f.unit = { loaded: true, active: 'inactive', sub: 'dead' }),
    verdict: 'broken',
    reason: /^istio is inactive \(dead\)$/,
    fix: 'onboard',
  },
]

describe('status verdicts', () => {
  for (const c of cases) {
    test(c.name, () => {
      const issued = Date.parse(new X509Certificate(chain).validFrom)
      const f = healthyVm(issued + (c.at ?? 10) * 60_000)
      c.vm?.(f)
      const v = judgeVm(f, cluster(c.cluster?.()))
      assert.equal(v.verdict, c.verdict, v.reason)
      assert.match(v.reason, c.reason)
      assert.equal(v.fix, c.fix)
      assert.ok(
        v.findings.every((x) => x.text.length > 0),
        'every finding says why',
      )
    })
  }
})

test('XDS: connected needs a connect line since the unit started and no later failure; renewal errors do not count', () => {
  const t = T0
  const connect = line(t, 'info', 'xdsproxy', 'connected to upstream XDS server: a:1')
  assert.equal(xdsFacts([connect], t - 500).connected, true)
  assert.equal(xdsFacts([connect], t + 60_000).connected, false, 'a connect of an earlier start')
  const renewal = line(t + 1000, 'error', 'cache', 'resource:default failed to rotate the workload certificate')
  assert.equal(xdsFacts([connect, renewal], t).connected, true)
  assert.equal(
    xdsFacts([connect, renewal], t).lastError?.text,
    'error cache resource:default failed to rotate the workload certificate',
  )
  const cut = line(t + 2000, 'warn', 'xdsproxy', 'upstream [1] terminated')
  assert.equal(xdsFacts([connect, cut], t).connected, false)
  assert.equal(
    xdsFacts([connect, cut, line(t + 3000, 'info', 'xdsproxy', 'connected to upstream XDS server: a:1')], t).connected,
    true,
  )
})
