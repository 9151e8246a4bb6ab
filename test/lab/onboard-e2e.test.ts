// The whole job on real lab hosts, through the real CLI: onboard 3 VMs → verify → onboard again (0 changed) →
// check mode changes nothing → a changed host key and a down VM fail alone → --limit @failed completes them →
// offboard puts every VM back as it was. The token never shows in any output or report.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { runStatus } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

interface Report {
  hosts: Record<string, { status: string; ok: number; changed: number; failed: number; unreachable: number; steps: { name: string; status: string; msg: string }[] }>
}

const VM_STATE =
  'sha256sum /etc/hosts; ls -d /etc/istio /etc/certs /var/lib/istio /var/run/secrets /var/log/istio 2>&1; ' +
  'dpkg-query -W istio-sidecar 2>&1; getent passwd istio-proxy; systemctl is-enabled istio 2>&1; true'

describe('onboard a lab fleet end to end', { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet | undefined
  let dir: string
  let cwd: string
  let hosts: { name: string; address: string }[]
  const pristine = new Map<string, string>()
  const outputs: string[] = []

  const ssh = (address: string, cmd: string, user = 'admin') =>
    runStatus('ssh', [...sshArgs({ address, user, keyFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts') }), cmd])
  const meshvm = async (...args: string[]) => {
    const report = join(cwd, `report-${outputs.length}.json`)
    const r = await runCli([...args, '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--output', 'plain', '--report', report], { XDG_CACHE_HOME: join(cwd, 'cache') }, cwd)
    outputs.push(r.stdout, r.stderr)
    let parsed: Report | undefined
    try {
      parsed = JSON.parse(readFileSync(report, 'utf8')) as Report
      outputs.push(readFileSync(report, 'utf8'))
    } catch {
      parsed = undefined
    }
    return { ...r, report: parsed }
  }
  const changedTotal = (r: Report) => Object.values(r.hosts).reduce((n, h) => n + h.changed, 0)

  before(async () => {
    cwd = mkdtempSync('/tmp/meshvm-e2e-cwd-')
    fleet = await labFleet(3)
    dir = fleet.dir
    hosts = fleet.hosts
    assert.equal(hosts.length, 3)
    for (const h of hosts) pristine.set(h.name, (await ssh(h.address, `sudo sh -c '${VM_STATE}'`)).stdout)
  })
  after(async () => {
    rmSync(cwd, { recursive: true, force: true })
    await fleet?.down()
  })

  test('--check on a fresh cluster and fresh VMs plans everything and changes nothing', async () => {
    const r = await meshvm('onboard', '--check')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stderr, /would-create Namespace lab-apps/)
    for (const h of hosts) {
      assert.ok(r.report!.hosts[h.name].changed >= 10, `${h.name} plans the onboarding steps`)
      assert.equal((await ssh(h.address, `sudo sh -c '${VM_STATE}'`)).stdout, pristine.get(h.name))
    }
    const dry = await runCli(['bundle', '--dry-run', '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig')])
    assert.match(dry.stdout, /would-create +Namespace lab-apps/, 'the cluster was not changed either')
  })

  test('onboard takes every VM to a connected sidecar; verify proves it', async () => {
    const r = await meshvm('onboard')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    for (const h of hosts) {
      const state = await ssh(h.address, "systemctl is-active istio; ps -o comm=,user= -C pilot-agent,envoy; sudo grep -c 'connected to upstream XDS server' /var/log/istio/istio.log")
      assert.match(state.stdout, /^active\n/)
      assert.match(state.stdout, /pilot-agent\s+istio-proxy/)
      assert.match(state.stdout, /envoy\s+istio-proxy/)
      assert.match(state.stdout, /\n[1-9]\d*\n$/)
      assert.equal(r.report!.hosts[h.name].status, 'changed')
    }
    const v = await meshvm('verify')
    assert.equal(v.code, 0, v.stdout)
    for (const h of hosts) assert.match(v.stdout, new RegExp(`WorkloadEntry lab-apps/lab-vm-${h.address.replaceAll('.', '\\.')} present`))
  })

  test('a second onboard changes nothing', async () => {
    const r = await meshvm('onboard')
    assert.equal(r.code, 0, r.stdout)
    assert.equal(changedTotal(r.report!), 0)
    for (const h of Object.values(r.report!.hosts)) assert.ok(h.steps.every((s) => s.status !== 'ok' || s.msg.length > 0), 'every ok has a reason')
  })

  test('a run that died between writing an input and restarting istio is finished by the next run', async () => {
    const vm = hosts[1]
    // the right content, written after istio last started, as a run killed right after its upload leaves it
    await ssh(vm.address, 'sudo touch /var/lib/istio/envoy/cluster.env')
    const r = await meshvm('onboard', '--limit', vm.name)
    assert.equal(r.code, 0, r.stdout)
    const steps = r.report!.hosts[vm.name].steps
    assert.equal(steps.find((s) => s.name === 'Upload cluster.env')!.status, 'ok')
    assert.equal(steps.find((s) => s.name === 'Run istio')!.status, 'changed')
    assert.equal(changedTotal((await meshvm('onboard', '--limit', vm.name)).report!), 0)
  })

  test('--check reports the drift and changes nothing', async () => {
    const vm = hosts[0]
    await ssh(vm.address, "sudo sed -i 's/^ISTIO_SERVICE_CIDR=.*/ISTIO_SERVICE_CIDR=drifted/' /var/lib/istio/envoy/cluster.env")
    const before = (await ssh(vm.address, 'sudo sha256sum /var/lib/istio/envoy/cluster.env; systemctl show -p ActiveEnterTimestamp istio')).stdout
    const r = await meshvm('onboard', '--check', '--diff')
    assert.equal(r.code, 0, r.stdout)
    const step = r.report!.hosts[vm.name].steps.find((s) => s.name === 'Upload cluster.env')!
    assert.equal(step.status, 'changed')
    assert.match(step.msg, /^would /)
    assert.match(r.stdout, /-ISTIO_SERVICE_CIDR=drifted/)
    assert.equal((await ssh(vm.address, 'sudo sha256sum /var/lib/istio/envoy/cluster.env; systemctl show -p ActiveEnterTimestamp istio')).stdout, before)
    const fix = await meshvm('onboard', '--limit', vm.name)
    assert.equal(fix.code, 0, fix.stdout)
    assert.equal(fix.report!.hosts[vm.name].steps.find((s) => s.name === 'Run istio')!.status, 'changed', 'restarted after the fix')
  })

  test('a changed host key and a down VM fail alone; --limit @failed completes them', async () => {
    const [, spoofed, down] = hosts
    const knownHosts = join(dir, 'known_hosts')
    const original = readFileSync(knownHosts, 'utf8')
    const other = original.split('\n').find((l) => l.startsWith(`${hosts[0].address} `))!.split(' ').slice(1).join(' ')
    writeFileSync(knownHosts, original.replace(new RegExp(`^${spoofed.address.replaceAll('.', '\\.')} .*$`, 'm'), `${spoofed.address} ${other}`))
    await ssh(down.address, 'sudo iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset; true').catch(() => undefined)
    await runCli(['offboard', '--yes', '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--limit', hosts[0].name, '--output', 'plain'], {}, cwd)

    const r = await meshvm('onboard')
    assert.equal(r.code, 4, r.stdout + r.stderr)
    assert.equal(r.report!.hosts[hosts[0].name].status, 'changed', 'the healthy VM is onboarded anyway')
    assert.equal(r.report!.hosts[spoofed.name].status, 'unreachable')
    assert.equal(r.report!.hosts[down.name].status, 'unreachable')
    assert.match(r.stdout, /IDENTIFICATION HAS CHANGED/)
    // the hint is the whole command again, limited to the VMs not done
    assert.match(r.stderr, /2 VM\(s\) not done; resume them with: meshvm onboard -i \S+inventory\.yaml --kubeconfig \S+ --output plain --report \S+ --limit @failed {3}\(report: /)
    assert.deepEqual(readFileSync(join(cwd, '.meshvm', 'failed'), 'utf8').trim().split('\n').sort(), [spoofed.name, down.name].sort())

    writeFileSync(knownHosts, original)
    await runStatus('ip', ['netns', 'exec', `mvlab-${labIdOf(dir)}-${down.name}`, 'iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset'])
    const resumed = await meshvm('onboard', '--limit', '@failed')
    assert.equal(resumed.code, 0, resumed.stdout)
    assert.deepEqual(Object.keys(resumed.report!.hosts).sort(), [spoofed.name, down.name].sort())
  })

  test('a user whose sudo asks for a password works with the become password, and fails clearly without it', async () => {
    const inventory = join(cwd, 'operator.yaml')
    writeFileSync(inventory, readFileSync(join(dir, 'inventory.yaml'), 'utf8').replace('user: admin', 'user: operator').replace('knownHostsFile: known_hosts', `knownHostsFile: ${join(dir, 'known_hosts')}`).replace(/file: packages\//, `file: ${dir}/packages/`))
    const args = ['verify', '-i', inventory, '--kubeconfig', join(dir, 'kubeconfig'), '--output', 'plain', '--limit', hosts[0].name]
    const withPassword = await runCli(args, { MESHVM_BECOME_PASSWORD: 'lab-sudo-pass' }, cwd)
    outputs.push(withPassword.stdout, withPassword.stderr)
    assert.equal(withPassword.code, 0, withPassword.stdout + withPassword.stderr)
    assert.doesNotMatch(withPassword.stdout + withPassword.stderr, /lab-sudo-pass/)
    const without = await runCli(args, {}, cwd)
    assert.equal(without.code, 2, without.stdout)
    assert.match(without.stdout, /sudo requires a password; pass --ask-become-pass/)
  })

  test('offboard leaves every VM as it was before onboarding', async () => {
    const r = await meshvm('offboard', '--yes')
    assert.equal(r.code, 0, r.stdout)
    for (const h of hosts) assert.equal((await ssh(h.address, `sudo sh -c '${VM_STATE}'`)).stdout, pristine.get(h.name), h.name)
    const v = await meshvm('verify')
    assert.equal(v.code, 2)
    assert.match(v.stdout, /failed/)
  })

  test('the token appears in no output and no report', async () => {
    const tokenOut = join(cwd, 'bundle')
    const b = await runCli(['bundle', '-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '-o', tokenOut])
    assert.equal(b.code, 0)
    const token = readFileSync(join(tokenOut, hosts[0].name, 'istio-token'), 'utf8')
    assert.ok(token.length > 100)
    // any token minted for these VMs shares its JWT header and claims layout; a token's signature part is unique
    const signatures = [token.split('.')[2]]
    for (const text of [...outputs, b.stdout, b.stderr]) for (const s of signatures) assert.ok(!text.includes(s))
    for (const text of outputs) assert.doesNotMatch(text, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'no JWT in any output')
  })
})
