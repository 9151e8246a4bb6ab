// `meshvm status` on real lab hosts: a healthy fleet is ok (exit 0) and status only reads; then each way a VM decays
// — an older sidecar, a cut connection, a deleted WorkloadEntry, a moved gateway, a rotated root, an expired token with
// a token-only CA, a reboot with no valid certificate left — reported with its verdict, reason and fix in the table,
// the JSON and the Prometheus text.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { readClusterConfig } from '../../src/lab/cluster/config.js'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { runStatus } from '../../src/lab/hosts/run.js'
import { kubeRequest } from '../../src/lab/istiod/kube-client.js'
import { labKubeAccess } from '../../src/lab/life.js'
import { labFleet, onboardFleet, rebootVm, type LabFleet } from '../support/lab-fleet.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { assertVerdict, metric, statusOutputs } from '../support/status-outputs.js'

const onboardFix = (vm: string) => new RegExp(`^meshvm onboard -i \\S+ --kubeconfig \\S+ --limit ${vm}$`)
const VM_STATE = 'sha256sum /etc/certs/* /var/lib/istio/envoy/cluster.env /etc/istio/config/mesh /etc/hosts; systemctl show -p ActiveEnterTimestamp -p NRestarts istio'

describe('meshvm status on a lab fleet (istiod CA)', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet
  let vms: string[]
  before(async () => {
    fleet = await labFleet(4, ['--cert-ttl', '120s'])
    vms = fleet.hosts.map((h) => h.name)
    await onboardFleet(fleet)
  })
  after(() => fleet?.down())

  test('a healthy fleet is ok, exit 0, and status changes nothing on the VMs or in the cluster', async () => {
    const before = await Promise.all(vms.map((vm) => fleet.ssh(vm, `sudo sh -c '${VM_STATE}'`)))
    const apiLog = join(fleet.dir, 'cluster', 'api-requests.log')
    const mark = readFileSync(apiLog, 'utf8').length
    const out = await statusOutputs(fleet)
    assert.equal(out.code, 0, out.table)
    for (const vm of vms) assertVerdict(out, vm, { verdict: 'ok', reason: /^in the mesh/ })
    assert.match(out.table, /^VM +VERDICT +XDS +CERT EXPIRES +TOKEN EXPIRES +ROOT +DRIFT +ENTRY/)
    assert.match(out.table, /4 VM\(s\): 4 ok, 0 attention, 0 broken, 0 unreachable/)
    assert.deepEqual(out.json.summary, { ok: 4, attention: 0, broken: 0, unreachable: 0 })
    const certAt = metric(out, 'vm_cert_expiry_timestamp_seconds', { vm: vms[0] })!
    assert.ok(certAt > Date.now() / 1000 && certAt < Date.now() / 1000 + 130, 'cert expiry as a Unix time')
    assert.equal(metric(out, 'vm_cert_renews_itself', { vm: vms[0] }), 1)
    assert.equal(metric(out, 'vm_xds_connected', { vm: vms[0] }), 1)

    const requests = readFileSync(apiLog, 'utf8').slice(mark).trim().split('\n').map((l) => JSON.parse(l) as { method: string; path: string; user: string })
    const mine = requests.filter((r) => r.user === 'kubernetes-admin')
    assert.ok(mine.length > 0, 'status read the cluster')
    assert.deepEqual(mine.filter((r) => r.method !== 'GET'), [], 'status only reads the cluster')
    const after = await Promise.all(vms.map((vm) => fleet.ssh(vm, `sudo sh -c '${VM_STATE}'`)))
    assert.deepEqual(after.map((r) => r.stdout), before.map((r) => r.stdout), 'status changes nothing on the VMs')
    for (const text of [out.table, JSON.stringify(out.json), out.prometheus]) assert.doesNotMatch(text, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'no token in any output')
  })

  test('an older sidecar, a cut XDS connection and a deleted WorkloadEntry, each with its verdict, reason and fix', async () => {
    const [, older, cut, unregistered] = vms
    // the release before the cluster's on one VM, through an inventory that says so
    const inv = parse(readFileSync(fleet.inventory, 'utf8'))
    const previous = inv.defaults.package.file.replace('1.24.2lab', '1.23.4lab')
    inv.vms[older].package = { file: previous, version: '1.23.4' }
    fleet.inventory = join(fleet.dir, 'inventory-mixed.yaml')
    writeFileSync(fleet.inventory, stringify(inv))
    await onboardFleet(fleet, '--limit', older)

    const cluster = readClusterConfig(fleet.dir)
    const netns = `mvlab-${labIdOf(fleet.dir)}-${cut}`
    const block = ['netns', 'exec', netns, 'iptables', '-I', 'OUTPUT', '-p', 'tcp', '-d', cluster.host, '--dport', String(cluster.istiodPort), '-j', 'REJECT', '--reject-with', 'tcp-reset']
    assert.equal((await runStatus('ip', block)).code, 0)
    const entry = `/apis/networking.istio.io/v1/namespaces/lab-apps/workloadentries/lab-vm-${fleet.hosts[3].address}`
    assert.equal((await kubeRequest(labKubeAccess(fleet.dir), 'DELETE', entry)).status, 200)
    await fleet.waitForLog(cut, /upstream \[\d+\] terminated with unexpected error rpc error: code = Unavailable desc = dial tcp [^ ]+: connect: connection refused/)

    const out = await statusOutputs(fleet)
    assert.equal(out.code, 2, out.table)
    assertVerdict(out, older, { verdict: 'attention', reason: /^sidecar 1\.23\.4lab is older than the cluster's Istio 1\.24\.2$/, fix: onboardFix(older) })
    assertVerdict(out, cut, {
      verdict: 'broken',
      reason: /^not connected to XDS: warn xdsproxy upstream \[\d+\] terminated with unexpected error .*connection refused/,
      fix: new RegExp(`^check the VM's network path to the control plane, then: meshvm verify .* --limit ${cut}$`),
    })
    assertVerdict(out, unregistered, {
      verdict: 'broken',
      reason: /^WorkloadEntry lab-vm-[\d.]+ is missing: the mesh sends the VM no traffic$/,
      fix: new RegExp(`^meshvm run playbooks/restart-istio.yaml -i .* --limit ${unregistered}$`),
    })
    assertVerdict(out, vms[0], { verdict: 'ok', reason: /^in the mesh/ })
    // worst first: the broken VMs lead the table, the ok one is last
    const order = out.table.split('\n').filter((l) => /^vm\d+ /.test(l)).map((l) => l.split(' ')[0])
    assert.deepEqual(order.slice(0, 2).sort(), [cut, unregistered].sort())
    assert.deepEqual(order.slice(-2), [older, vms[0]])
    assert.equal(metric(out, 'vm_state', { vm: cut }), 2)
    assert.equal(metric(out, 'vm_xds_connected', { vm: cut }), 0)
    assert.equal(metric(out, 'vm_workload_entry_present', { vm: unregistered }), 0)
    assert.equal(metric(out, 'vm_sidecar_info', { vm: older, version: '1.23.4lab', cluster_version: '1.24.2' }), 1)

    // the fix named for the deleted entry works: istiod registers the VM again when it reconnects
    const fixed = await fleet.meshvm('run', 'playbooks/restart-istio.yaml', '--limit', unregistered, '--output', 'plain')
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    const again = await fleet.meshvm('status', '--limit', unregistered, '--output', 'json')
    assert.equal(JSON.parse(again.stdout).vms[0].verdict, 'ok', again.stdout)
    assert.equal(again.code, 0)
    await runStatus('ip', block.map((a) => (a === '-I' ? '-D' : a)))
  })

  test('the east-west gateway moved: hosts drift, shown with --diff', async () => {
    const vm = vms[0]
    const access = labKubeAccess(fleet.dir)
    const path = '/api/v1/namespaces/istio-system/services/istio-eastwestgateway'
    const svc = (await kubeRequest(access, 'GET', path)).body as { status: { loadBalancer: { ingress: { ip: string }[] } } }
    const oldIp = svc.status.loadBalancer.ingress[0].ip
    svc.status.loadBalancer.ingress[0].ip = '198.18.254.77'
    assert.equal((await kubeRequest(access, 'PUT', `${path}/status`, svc)).status, 200)
    try {
      const out = await statusOutputs(fleet, '--diff', '--limit', vm)
      assert.equal(out.code, 3, out.table)
      assertVerdict(out, vm, { verdict: 'attention', reason: /^hosts differs from what meshvm makes now$/, fix: onboardFix(vm) })
      assert.match(out.table, new RegExp(`-${oldIp.replaceAll('.', '\\.')} istiod\\.istio-system\\.svc\\n +\\+198\\.18\\.254\\.77 istiod\\.istio-system\\.svc`))
      assert.ok(out.json.vms[0].diff!.includes('+198.18.254.77 istiod.istio-system.svc'))
      assert.equal(metric(out, 'vm_config_drift', { vm, file: 'hosts' }), 1)
      assert.equal(metric(out, 'vm_config_drift', { vm, file: 'cluster.env' }), 0)
    } finally {
      svc.status.loadBalancer.ingress[0].ip = oldIp
      await kubeRequest(access, 'PUT', `${path}/status`, svc)
    }
  })

  test('root drift after a lab root rotation: attention in the overlap, broken once the old root is gone', async () => {
    const vm = vms[0]
    assert.equal((await fleet.lab('rotate-root', 'overlap')).code, 0)
    await new Promise((r) => setTimeout(r, 1500)) // the lab istiod republishes istio-ca-root-cert every 500 ms
    const overlap = await statusOutputs(fleet, '--limit', vm)
    assertVerdict(overlap, vm, { verdict: 'attention', reason: /^root-cert\.pem lacks the cluster's new root [0-9A-F:]+ \(a rotation is under way\)$/, fix: onboardFix(vm) })
    assert.equal(metric(overlap, 'vm_root_in_sync', { vm }), 0)
    assert.equal(overlap.json.vms[0].facts!.root.cluster.length, 2)

    assert.equal((await fleet.lab('rotate-root', 'finish')).code, 0)
    await new Promise((r) => setTimeout(r, 1500))
    const finished = await statusOutputs(fleet, '--limit', vm)
    assert.equal(finished.code, 2)
    assertVerdict(finished, vm, { verdict: 'broken', reason: /^root-cert\.pem trusts none of the cluster's roots/, fix: onboardFix(vm) })
  })
})

describe('meshvm status with a token-only CA (istio-csr default)', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet
  before(async () => {
    fleet = await labFleet(2, ['--cert-ttl', '30s', '--ca-mode', 'token-only'])
    await onboardFleet(fleet)
  })
  after(() => fleet?.down())

  test('an expired token and a rebooted VM with no valid certificate left: broken, with the fix', async () => {
    const [expiring, rebooted] = fleet.hosts.map((h) => h.name)
    // the rebooted VM: its agent stopped (so nothing renews) until the certificate expired, then a reboot wiped /run
    await fleet.ssh(rebooted, 'sudo systemctl stop istio')
    assert.equal((await fleet.lab('token', '--vm', expiring, '--ttl', '2s')).code, 0)
    await fleet.waitForLog(expiring, /failed to rotate the workload certificate: .*code = Unauthenticated/, 40)
    const out = await statusOutputs(fleet, '--limit', expiring)
    assertVerdict(out, expiring, {
      verdict: 'broken',
      reason: /^the workload certificate expires in \d+s \(\S+\) and cannot be renewed: the CA takes tokens only \(cert-manager istio-csr cert-manager\/cert-manager-istio-csr .*--enable-client-cert-authenticator not set \(off by default\)\) and the token expired \d+s ago/,
      fix: onboardFix(expiring),
    })
    assert.equal(metric(out, 'vm_cert_renews_itself', { vm: expiring }), 0)
    assert.ok(metric(out, 'vm_token_expiry_timestamp_seconds', { vm: expiring })! < Date.now() / 1000)

    for (let i = 0; i < 90; i++) {
      const left = await fleet.ssh(rebooted, 'sudo openssl x509 -in /etc/certs/cert-chain.pem -noout -checkend 0')
      if (left.code !== 0) break
      await new Promise((r) => setTimeout(r, 500))
    }
    await rebootVm(fleet, rebooted)
    const gone = await statusOutputs(fleet, '--limit', rebooted)
    assertVerdict(gone, rebooted, {
      verdict: 'broken',
      reason: /^the workload certificate expired \d+s ago and no token on the VM: the agent cannot get an identity$/,
      fix: onboardFix(rebooted),
    })
    assert.equal(metric(gone, 'vm_rebooted_since_onboarding', { vm: rebooted }), 1)
    assert.equal(gone.json.vms[0].facts!.token.present, false)

    // the fix: onboard puts a fresh token on the VM, the agent gets a certificate again
    const fix = await fleet.meshvm('onboard', '--limit', rebooted, '--output', 'plain')
    assert.equal(fix.code, 0, fix.stdout + fix.stderr)
    const back = await fleet.meshvm('status', '--limit', rebooted, '--output', 'json')
    const v = JSON.parse(back.stdout).vms[0]
    assert.notEqual(v.verdict, 'broken', back.stdout)
    assert.equal(v.facts.xds.connected, true)
  })
})
