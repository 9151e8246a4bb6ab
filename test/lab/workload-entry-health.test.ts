// workloadEntryHealth on real lab hosts: health without auto-registration (Istio 1.19+, istio/istio#44712). meshvm
// creates the VM's WorkloadEntry (health checks on) before the sidecar starts and names it in cluster.env
// (ISTIO_META_WORKLOAD_ENTRY); the lab istiod then holds the entry (connect stamps) and keeps its Healthy condition from
// the sidecar's probe; a VM without the option keeps istioctl's cluster.env; offboard removes the entry.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { kubeRequest } from '../../src/lab/istiod/kube-client.js'
import { labKubeAccess } from '../../src/lab/life.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { labSkipReason } from '../support/lab-hosts.js'

interface Entry {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> }
  spec: { address?: string; serviceAccount?: string }
  status?: { conditions?: { type: string; status: string; message?: string }[] }
}

describe('workloadEntryHealth: a WorkloadEntry meshvm creates, whose health istiod keeps', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet
  let vm = ''
  let plain = ''
  let entryPath = ''
  const entry = async () => {
    const r = await kubeRequest(labKubeAccess(fleet.dir), 'GET', entryPath)
    return r.status === 200 ? (r.body as Entry) : undefined
  }
  const healthy = async (want: string, seconds = 40) => {
    const deadline = Date.now() + seconds * 1000
    let e = await entry()
    while (e?.status?.conditions?.find((c) => c.type === 'Healthy')?.status !== want && Date.now() < deadline) {
      await sleep(500)
      e = await entry()
    }
    assert.equal(e?.status?.conditions?.find((c) => c.type === 'Healthy')?.status, want, JSON.stringify(e?.status))
    return e!
  }
  // the probe's target: a web server on the VM, started and stopped by the test
  const server = (on: boolean) =>
    fleet.ssh(vm, on ? 'sudo systemd-run --unit=probe-target python3 -m http.server 8080 --bind 127.0.0.1' : 'sudo systemctl stop probe-target')

  before(async () => {
    fleet = await labFleet(2)
    ;[vm, plain] = fleet.hosts.map((h) => h.name)
    const inv = parse(readFileSync(fleet.inventory, 'utf8'))
    inv.defaults.probe = { httpGet: { port: 8080, path: '/' } }
    inv.defaults.autoregister = false
    inv.vms[vm].workloadEntryHealth = true
    fleet.inventory = join(fleet.dir, 'inventory-health.yaml')
    writeFileSync(fleet.inventory, stringify(inv))
    entryPath = `/apis/networking.istio.io/v1/namespaces/lab-apps/workloadentries/lab-vm-${fleet.hosts[0].address}`
    assert.equal((await server(true)).code, 0)
  })
  after(() => fleet?.down())

  test('onboard creates the entry before the sidecar starts; istiod holds it and keeps it Healthy from the probe', async () => {
    const r = await fleet.meshvm('onboard', '--output', 'plain')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const line = (host: string, text: string) => new RegExp(`${host} \\[\\d+/\\d+\\] ${text}`)
    assert.match(r.stdout, line(vm, 'Create the WorkloadEntry: changed \\(\\S+\\): create WorkloadEntry lab-apps/lab-vm-\\S+ \\(health checks on\\)'))
    assert.match(r.stdout, line(vm, 'WorkloadEntry registered: ok \\(\\S+\\): WorkloadEntry lab-apps/lab-vm-\\S+ marked connected by istiod'))
    assert.match(r.stdout, line(plain, 'WorkloadEntry registered: skipped'))
    // the entry exists before the first VM step
    assert.ok(r.stdout.indexOf(`${vm} [4/`) < r.stdout.indexOf(`${vm} [5/`))
    const env = (vmName: string) => fleet.ssh(vmName, 'cat /var/lib/istio/envoy/cluster.env').then((x) => x.stdout.split('\n'))
    const [mine, theirs] = await Promise.all([env(vm), env(plain)])
    assert.deepEqual(mine.filter((l) => !theirs.includes(l)).filter((l) => !/^ISTIO_SVC_IP=/.test(l)), [`ISTIO_META_WORKLOAD_ENTRY='lab-vm-${fleet.hosts[0].address}'`])
    assert.ok(!theirs.some((l) => l.startsWith('ISTIO_META_WORKLOAD_ENTRY')), 'off by default: istioctl’s cluster.env')

    const e = await healthy('True')
    assert.equal(e.metadata.annotations?.['proxy.istio.io/health-checks-enabled'], 'true')
    assert.ok(e.metadata.annotations?.['istio.io/connectedAt'], 'istiod stamped the connect')
    assert.equal(e.spec.address, fleet.hosts[0].address)
    assert.equal(e.spec.serviceAccount, 'lab-vm')
    const again = await fleet.meshvm('onboard', '--output', 'plain')
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, new RegExp(`${vm} \\[4/\\d+\\] Create the WorkloadEntry: ok \\(\\S+\\): WorkloadEntry lab-apps/lab-vm-\\S+ present, health checks on`))
    assert.doesNotMatch(again.stdout, /: changed \(/)
  })

  test('the probe failing turns Healthy False with its reason, and back; status and verify read it', async () => {
    assert.equal((await server(false)).code, 0)
    const down = await healthy('False')
    assert.match(down.status!.conditions!.find((c) => c.type === 'Healthy')!.message ?? '', /HTTP probe failed with statuscode: 000/)
    const st = await fleet.meshvm('status', '--output', 'json', '--limit', vm)
    const v = JSON.parse(st.stdout).vms[0]
    assert.match(JSON.stringify(v.checks), /WorkloadEntry lab-vm-\S+ is not Healthy/)
    assert.equal((await server(true)).code, 0)
    await healthy('True')
    const verify = await fleet.meshvm('verify', '--output', 'plain', '--limit', vm)
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  })

  test('a missing entry: istiod refuses the sidecar that names it; onboard puts it back', async () => {
    assert.equal((await kubeRequest(labKubeAccess(fleet.dir), 'DELETE', entryPath)).status, 200)
    await fleet.ssh(vm, 'sudo systemctl restart istio')
    await fleet.waitForLog(vm, /FailedPrecondition desc = proxy metadata indicates that it must correspond to an existing WorkloadEntry, however WorkloadEntry lab-apps\/lab-vm-\S+ is not found/, 40)
    const r = await fleet.meshvm('onboard', '--output', 'plain', '--limit', vm)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /Create the WorkloadEntry: changed \(\S+\): create/)
    await healthy('True', 60)
  })

  test('offboard removes the entry', async () => {
    const r = await fleet.meshvm('offboard', '--yes', '--output', 'plain', '--limit', vm)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(await entry(), undefined)
  })
})
