// meshvm upgrade on real lab hosts: rolling batches gated on the agent's reconnect and the WorkloadEntry, a VM made to
// fail rolled back and reconnected, the rollout halted by --max-fail, a re-run finishing it, a kill -9 mid-rollout
// resumed with --limit @failed, and no ISTIO_* iptables chains left after stopping or offboarding the sidecar.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

const VMS = 10
let names: string[] = []
/** The i-th lab VM (1-based): lab host names depend on the other labs running. */
const n = (i: number) => names[i - 1]!
const list = (...is: number[]) => is.map(n).join(' ')
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

describe(`meshvm upgrade of ${VMS} lab VMs in batches of 3`, { skip: labSkipReason, timeout: 600_000 }, () => {
  let fleet: LabFleet
  let current: string
  let previous: string
  const meshvm = (...args: string[]) =>
    runCli([...args, '-i', join(fleet.dir, 'inventory.yaml'), '--kubeconfig', join(fleet.dir, 'kubeconfig')], {}, fleet.dir)
  const versions = async () => Promise.all(names.map(async (vm) => (await fleet.ssh(vm, "dpkg-query -W -f='${Version}' istio-sidecar")).stdout))
  const chains = async (vm: string) => (await fleet.ssh(vm, 'sudo iptables -t nat -S')).stdout.split('\n').filter((l) => /^-N ISTIO_/.test(l))
  // the last start of the agent and whether it connected after it
  const lastStart = async (vm: string) => {
    const log = (await fleet.ssh(vm, 'sudo cat /var/log/istio/istio.log')).stdout
    const since = log.slice(log.lastIndexOf('\tVersion '))
    return { version: /Version (\S+)/.exec(since)?.[1], connected: /connected to upstream XDS server/.test(since) }
  }

  before(async () => {
    fleet = await labFleet(VMS)
    names = fleet.hosts.map((h) => h.name)
    const inventory = join(fleet.dir, 'inventory.yaml')
    const text = readFileSync(inventory, 'utf8')
    current = /file: (\S+_1\.24\.2lab_\S+\.deb)/.exec(text)![1]
    previous = current.replace('1.24.2lab', '1.23.4lab')
    // the fleet runs the release before the cluster's
    writeFileSync(inventory, text.replace(current, previous).replace('version: 1.24.2', 'version: 1.23.4'))
    const r = await meshvm('onboard', '--output', 'plain')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(await versions(), names.map(() => '1.23.4lab'))
  })
  after(() => fleet?.down())

  test('a failing VM is rolled back and reconnected, the rollout halts, a re-run finishes it', async () => {
    await fleet.ssh(n(5), "sudo sh -c 'mkdir -p /etc/meshvm-lab && echo 1.24.2-lab > /etc/meshvm-lab/fail-versions'")
    const up = ['upgrade', '--to', '1.24.2', '--package', join(fleet.dir, current), '--serial', '3', '--max-fail', '0', '--output', 'plain']
    const r = await meshvm(...up)
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stdout, new RegExp(`batch 1/4: ${list(1, 2, 3)}\n`))
    assert.match(r.stdout, new RegExp(`batch 2/4: ${list(4, 5, 6)}\n`))
    assert.doesNotMatch(r.stdout, /batch 3\/4/)
    assert.match(r.stderr, /upgrade to 1\.24\.2 stopped after batch 2 of 10 VM\(s\) in batches of 3:/)
    assert.match(r.stderr, new RegExp(`${n(5)} \\(batch 2\\) failed: Wait for the XDS connection since the restart: no line .*; rescued`, 's'))
    assert.match(r.stderr, new RegExp(`not started \\(--max-fail\\): ${list(7, 8, 9, 10)}`))
    assert.match(r.stdout, new RegExp(`${n(5)} \\[\\d+/\\d+\\] Roll back to the previous istio-sidecar package: changed .*roll back to istio-sidecar 1\\.23\\.4lab`))
    assert.match(r.stdout, new RegExp(`${n(5)} \\[\\d+/\\d+\\] WorkloadEntry connected and healthy: ok .*connected since the restart and healthy`))
    assert.deepEqual(await versions(), ['1.24.2lab', '1.24.2lab', '1.24.2lab', '1.24.2lab', '1.23.4lab', '1.24.2lab', ...names.slice(6).map(() => '1.23.4lab')])
    // every upgraded VM restarted on the new package and reconnected (an in-place dpkg -i alone does not restart)
    assert.deepEqual(await lastStart(n(1)), { version: '1.24.2-lab', connected: true })
    assert.deepEqual(await lastStart(n(5)), { version: '1.23.4-lab', connected: true })
    assert.deepEqual(await lastStart(n(7)), { version: '1.23.4-lab', connected: true })
    const report = JSON.parse(readFileSync(join(fleet.dir, '.meshvm', 'last-run.json'), 'utf8'))
    assert.deepEqual(report.batches, [[n(1), n(2), n(3)], [n(4), n(5), n(6)]])
    assert.equal(report.hosts[n(5)].batch, 2)
    assert.equal(report.hosts[n(7)].status, 'not-run')
    assert.deepEqual(readFileSync(join(fleet.dir, '.meshvm', 'failed'), 'utf8').split('\n').filter(Boolean), [5, 7, 8, 9, 10].map(n))

    await fleet.ssh(n(5), 'sudo rm /etc/meshvm-lab/fail-versions')
    const again = await meshvm(...up)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stderr, new RegExp(`resuming the upgrade to 1\\.24\\.2: 5 VM\\(s\\) already upgraded and back in the mesh \\(${list(1, 2, 3, 4, 6)}\\); 5 to go: ${list(5, 7, 8, 9, 10)}`))
    assert.match(again.stdout, new RegExp(`batch 1/2: ${list(5, 7, 8)}\n`))
    assert.deepEqual(await versions(), names.map(() => '1.24.2lab'))
    for (const vm of names) assert.deepEqual(await lastStart(vm), { version: '1.24.2-lab', connected: true }, vm)
    // a finished rollout leaves no state: the next run is a new one, and every VM is already there
    const done = await meshvm(...up)
    assert.equal(done.code, 0, done.stderr)
    assert.doesNotMatch(done.stderr, /resuming/)
    assert.match(done.stdout, new RegExp(`${n(1)} \\[1/4\\] Install the new istio-sidecar package: ok .*sha256 matches`))
    assert.doesNotMatch(done.stdout, /: changed/)
  })

  test('kill -9 mid-rollout: --limit @failed continues with the VMs not done', async () => {
    const args = ['upgrade', '--to', '1.23.4', '--package', join(fleet.dir, previous), '--serial', '2', '--output', 'plain']
    const inv = ['-i', join(fleet.dir, 'inventory.yaml'), '--kubeconfig', join(fleet.dir, 'kubeconfig')]
    const child = spawn(process.execPath, [join(process.cwd(), 'bin/meshvm.js'), ...args, ...inv], { cwd: fleet.dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const killed = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        out += String(d)
        if (/batch 3\/5/.test(out) && child.exitCode === null && !child.killed) child.kill('SIGKILL')
      })
      child.on('exit', () => resolve())
    })
    await killed
    assert.match(out, new RegExp(`batch 3/5: ${list(5, 6)}`))
    assert.equal(child.signalCode, 'SIGKILL')
    const left = readFileSync(join(fleet.dir, '.meshvm', 'failed'), 'utf8').split('\n').filter(Boolean)
    // batches 3-5 had not started; a VM of batch 2 may have finished just before its progress was saved
    for (const vm of names.slice(4)) assert.ok(left.includes(vm), `${vm} is not done after the kill: ${left.join(' ')}`)
    for (const vm of left) assert.ok(names.slice(2).includes(vm), `${vm} of batch 1 was done: ${left.join(' ')}`)
    const r = await meshvm(...args, '--limit', '@failed')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stderr, new RegExp(`resuming the upgrade to 1\\.23\\.4: .*; ${left.length} to go: ${re(left.join(' '))}`))
    assert.deepEqual(await versions(), names.map(() => '1.23.4lab'))
  })

  test("renew with istiod's CA pushes no token while the certificate renews itself", async () => {
    assert.equal((await fleet.lab('token', '--vm', n(2), '--ttl', '2s')).code, 0)
    const r = await meshvm('renew', '--limit', n(2), '--output', 'plain')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /Renew istio-token: ok .*not needed: the VM renews with its certificate \/etc\/certs\/cert-chain\.pem, valid until /)
    assert.match(r.stdout, /Update root-cert\.pem: ok .*holds the cluster's 1 root\(s\)/)
  })

  test('stopping and removing the sidecar leave no ISTIO_* iptables chains', async () => {
    assert.deepEqual(await chains(n(1)), ['-N ISTIO_INBOUND', '-N ISTIO_IN_REDIRECT', '-N ISTIO_OUTPUT', '-N ISTIO_REDIRECT'], 'installed once, after restarts')
    await fleet.ssh(n(1), 'sudo systemctl stop istio')
    assert.deepEqual(await chains(n(1)), [])
    const r = await meshvm('offboard', '--yes', '--output', 'plain')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    for (const vm of names) assert.deepEqual(await chains(vm), [], vm)
    assert.equal((await fleet.ssh(n(2), 'sudo ls /var/lib/meshvm')).code, 2, 'the package cache went with offboard')
  })
})
