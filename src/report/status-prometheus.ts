// `meshvm status --output prometheus`: the Prometheus text exposition format (prom-client), for node_exporter's
// textfile collector or a pushgateway, so teams alert on expiry and drift. Times are Unix seconds.
import { Gauge, Registry } from 'prom-client'
import type { RowVerdict, StatusRow } from './status-view.js'

const STATE: Record<RowVerdict, number> = { ok: 0, attention: 1, broken: 2, unreachable: 3 }
const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : undefined)
const bit = (b: boolean) => (b ? 1 : 0)

export async function renderStatusPrometheus(rows: StatusRow[], at: Date): Promise<string> {
  const registry = new Registry()
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name: `meshvm_status_${name}`, help, labelNames: ['vm', ...labelNames], registers: [registry] })
  const verdict = gauge(
    'vm_verdict',
    'The VM verdict (1 per VM), with its reason and the meshvm command that fixes it.',
    ['verdict', 'reason', 'fix'],
  )
  const state = gauge('vm_state', 'Verdict as a number: 0 ok, 1 attention, 2 broken, 3 unreachable.')
  const reachable = gauge('vm_reachable', '1 when the VM answered over SSH.')
  const xds = gauge('vm_xds_connected', '1 when the agent is connected to XDS since the istio unit started.')
  const certExpiry = gauge('vm_cert_expiry_timestamp_seconds', 'When the workload certificate in /etc/certs expires.')
  const renews = gauge(
    'vm_cert_renews_itself',
    '1 when the CA accepts the workload certificate for renewal (no token needed).',
  )
  const tokenExpiry = gauge(
    'vm_token_expiry_timestamp_seconds',
    'When the istio-token on the VM expires (from its claims).',
  )
  const rootSync = gauge('vm_root_in_sync', '1 when root-cert.pem holds exactly the roots of istio-ca-root-cert.')
  const drift = gauge('vm_config_drift', '1 when the file differs from what meshvm would generate now.', ['file'])
  const entry = gauge('vm_workload_entry_present', '1 when the WorkloadEntry exists.')
  const healthy = gauge('vm_workload_entry_healthy', '1 when the WorkloadEntry condition Healthy is True.')
  const sidecar = gauge(
    'vm_sidecar_info',
    'The sidecar package version on the VM and the Istio release of the cluster.',
    ['version', 'cluster_version'],
  )
  const rebooted = gauge(
    'vm_rebooted_since_onboarding',
    '1 when the VM booted after meshvm last wrote its cluster.env.',
  )
  const run = new Gauge({
    name: 'meshvm_status_timestamp_seconds',
    help: 'When this status was taken.',
    registers: [registry],
  })
  run.set(Math.floor(at.getTime() / 1000))

  for (const r of rows) {
    const vm = { vm: r.vm }
    verdict.set({ ...vm, verdict: r.verdict, reason: r.reason, fix: r.fix ?? '' }, 1)
    state.set(vm, STATE[r.verdict])
    reachable.set(vm, bit(r.verdict !== 'unreachable'))
    const f = r.facts
    if (!f) continue
    xds.set(vm, bit(f.xds.connected))
    const certAt = seconds(f.certificate.notAfter)
    if (certAt !== undefined) certExpiry.set(vm, certAt)
    if (f.certificate.renewsItself !== undefined) renews.set(vm, bit(f.certificate.renewsItself))
    const tokenAt = seconds(f.token.expiresAt)
    if (tokenAt !== undefined) tokenExpiry.set(vm, tokenAt)
    rootSync.set(vm, bit(f.root.state === 'same'))
    for (const file of ['cluster.env', 'mesh.yaml', 'hosts'])
      drift.set({ ...vm, file }, bit(f.drift.files.includes(file)))
    entry.set(vm, bit(f.workloadEntry.present))
    if (f.workloadEntry.healthy !== undefined) healthy.set(vm, bit(f.workloadEntry.healthy === 'True'))
    sidecar.set({ ...vm, version: f.sidecar.version ?? '', cluster_version: f.sidecar.clusterRelease ?? '' }, 1)
    if (f.reboot.rebootedSinceOnboarding !== undefined) rebooted.set(vm, bit(f.reboot.rebootedSinceOnboarding))
  }
  return registry.metrics()
}
