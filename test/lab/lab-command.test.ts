// `meshvm lab up / status / down` through the real CLI: real hosts, the lab cluster, nothing left behind.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { labIdOf, sshExec } from '../../src/lab/hosts/index.js'
import { pidAlive } from '../../src/lab/hosts/processes.js'
import { labLeftovers, labSkipReason, stopOrphanedTestLabs } from '../support/lab-hosts.js'
import { runCli } from '../support/run-cli.js'

// Never probe 198.18.0.1 once the bridge is gone (the address would no longer be ours): ask the kernel for listeners.
const listening = (address: string, port: number) =>
  spawnSync('ss', ['-Hltn'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.includes(` ${address}:${port} `))

test('lab up --vms 3 boots hosts and the cluster; status; reset; down leaves nothing', { skip: labSkipReason, timeout: 300_000 }, async () => {
  await stopOrphanedTestLabs()
  const dir = mkdtempSync('/tmp/meshvm-lab-test-')
  try {
    const up = await runCli(['lab', 'up', '--vms', '3', '--dir', dir])
    assert.equal(up.code, 0, up.stderr)
    for (const f of ['inventory.yaml', 'kubeconfig', 'known_hosts', 'id_ed25519']) assert.ok(existsSync(join(dir, f)), f)
    assert.match(up.stdout, /inventory: .*inventory\.yaml/)
    assert.match(up.stdout, /kubeconfig: .*kubeconfig/)
    assert.equal((readFileSync(join(dir, 'known_hosts'), 'utf8').match(/ssh-ed25519/g) ?? []).length, 3)
    // other labs may run beside this one: hosts are numbered after theirs, the cluster has its own address
    const first = /^ {2}(vm\d+) /m.exec(up.stdout)![1]
    const clusterAddress = /cluster API https:\/\/([\d.]+):/.exec(up.stdout)![1]

    const again = await runCli(['lab', 'up', '--vms', '3', '--dir', dir])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /reusing the lab cluster/)
    // a different size on a running lab is refused: its hosts are never torn down by `lab up`
    const resized = await runCli(['lab', 'up', '--vms', '2', '--dir', dir])
    assert.equal(resized.code, 5, resized.stderr)
    assert.match(resized.stderr, /already runs 3 host\(s\); nothing was changed\. `meshvm lab up --vms 3` reuses it; `meshvm lab down` first/)

    const status = await runCli(['lab', 'status', '--dir', dir, '--json'])
    assert.equal(status.code, 0, status.stdout)
    const s = JSON.parse(status.stdout)
    assert.equal(s.hosts.length, 3)
    assert.ok(s.hosts.every((h: { sshReachable: boolean }) => h.sshReachable))
    const clusterPid: number = s.cluster.pid
    assert.equal(listening(clusterAddress, 6443), true)

    // The lab kubeconfig reaches a cluster seeded like a fresh Istio install: bundles come out for every lab VM.
    const out = join(dir, 'bundles')
    const bundle = await runCli(['bundle', '-i', join(dir, 'inventory.yaml'), '-o', out, '--kubeconfig', join(dir, 'kubeconfig')])
    assert.equal(bundle.code, 0, bundle.stderr)
    assert.equal(readFileSync(join(out, first, 'hosts'), 'utf8'), `${clusterAddress} istiod.istio-system.svc\n`)
    assert.equal(readFileSync(join(out, first, 'root-cert.pem'), 'utf8'), readFileSync(join(dir, 'pki', 'root-cert.pem'), 'utf8'))

    // reset: what a host changed is gone; same address and host key (the known_hosts of lab up still works)
    const addressOf = (name: string) => new RegExp(`^ {2}${name} +([\\d.]+)`, 'm').exec(up.stdout)![1]!
    const target = { address: addressOf(first), keyFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts') }
    const mark = await sshExec(target, 'sudo touch /etc/meshvm-test-mark && ls /etc/meshvm-test-mark && hostname')
    assert.equal(mark.code, 0, mark.stderr)
    assert.equal(mark.stdout, `/etc/meshvm-test-mark\n${first}\n`)
    const reset = await runCli(['lab', 'reset', '--dir', dir])
    assert.equal(reset.code, 0, reset.stderr)
    assert.match(reset.stdout, /^lab reset in [\d.]+ s: 3 host\(s\) back to the fresh base$/m)
    const after = await sshExec(target, 'ls /etc/meshvm-test-mark; hostname; sudo -n true && echo sudo-ok')
    assert.equal(after.stdout, `${first}\nsudo-ok\n`, after.stderr)
    assert.match(after.stderr, /No such file or directory/)
    assert.equal(readFileSync(join(dir, 'known_hosts'), 'utf8').split('\n').length, 4)

    const down = await runCli(['lab', 'down', '--dir', dir])
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(await labLeftovers(labIdOf(dir), dir), [])
    assert.equal(pidAlive(clusterPid), false)
    assert.equal(listening(clusterAddress, 6443), false)
    assert.equal(listening(clusterAddress, 15012), false)
    const stopped = await runCli(['lab', 'status', '--dir', dir])
    assert.equal(stopped.code, 4)
    assert.match(stopped.stdout, /cluster: stopped/)
  } finally {
    await runCli(['lab', 'down', '--dir', dir])
    rmSync(dir, { recursive: true, force: true })
  }
})

test('lab without root says so and exits 5', { skip: process.getuid?.() !== 0 ? 'needs root to drop to nobody' : false }, async () => {
  const bin = new URL('../../../bin/meshvm.js', import.meta.url).pathname
  const r = spawnSync(process.execPath, [bin, 'lab', 'up', '--dir', '/tmp/meshvm-nobody-lab'], { uid: 65534, gid: 65534, encoding: 'utf8' })
  assert.equal(r.status, 5)
  assert.match(r.stderr, /meshvm lab needs root/)
})
