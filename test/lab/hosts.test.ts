import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { debUris, hostDebianMirror } from '../../src/lab/hosts/apt-mirror.js'
import { cgroupRoots } from '../../src/lab/hosts/cgroups.js'
import { LAB_OPERATOR_SUDO_PASSWORD, ensureBase, hostsStatus, labIdOf, startHosts, stopHosts } from '../../src/lab/hosts/index.js'
import { labLeftovers, labSkipReason, sshRun, stopOrphanedTestLabs, withLabHosts, type TestHost } from '../support/lab-hosts.js'

test('the base is fetched from the Debian archive named in apt sources, one-line or deb822', () => {
  const list = 'deb [arch=amd64] http://mirror.example/debian/ bookworm main\ndeb http://security.debian.org/debian-security x main\n'
  assert.deepEqual(debUris(list, false), ['http://mirror.example/debian/', 'http://security.debian.org/debian-security'])
  const sources = 'Types: deb-src\nURIs: http://src.example/debian\n\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\n'
  assert.deepEqual(debUris(sources, true), ['http://deb.debian.org/debian'])
  const etc = mkdtempSync('/tmp/meshvm-apt-')
  mkdirSync(join(etc, 'sources.list.d'))
  writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://mirror.example/debian/\n')
  assert.equal(hostDebianMirror(etc), 'http://mirror.example/debian')
  rmSync(join(etc, 'sources.list.d'), { recursive: true })
  assert.equal(hostDebianMirror(etc), 'http://deb.debian.org/debian')
  rmSync(etc, { recursive: true })
})

test('each host gets its own cgroup in both hierarchies on a hybrid machine, in the one tree on pure cgroup2', () => {
  const hybrid = 'cgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n'
  assert.deepEqual(cgroupRoots(hybrid), ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'])
  assert.deepEqual(cgroupRoots('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n'), ['/sys/fs/cgroup'])
})

test('without root the lab refuses plainly with exit code 5', { skip: labSkipReason }, () => {
  const module = new URL('../../src/lab/hosts/require-root.js', import.meta.url).pathname
  const script = `import(${JSON.stringify(module)}).then((m) => { try { m.requireRootOnLinux() } catch (e) { console.log(e.code, e.message) } })`
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' })
  assert.equal(r.stdout.trim(), '5 meshvm lab needs root (run it with sudo)')
})

/** A .deb whose postinst adds a user and whose unit must start, as a real package's would. */
function buildProbeDeb(): Buffer {
  const root = mkdtempSync('/tmp/meshvm-probe-deb-')
  mkdirSync(join(root, 'DEBIAN'))
  mkdirSync(join(root, 'lib/systemd/system'), { recursive: true })
  const control = 'Package: lab-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: meshvm tests <t@example.invalid>\nDescription: probe\n'
  writeFileSync(join(root, 'DEBIAN/control'), control)
  writeFileSync(join(root, 'DEBIAN/postinst'), '#!/bin/sh\nset -e\nid labprobe >/dev/null 2>&1 || useradd --system labprobe\n')
  chmodSync(join(root, 'DEBIAN/postinst'), 0o755)
  const unit = '[Service]\nUser=labprobe\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n'
  writeFileSync(join(root, 'lib/systemd/system/lab-probe.service'), unit)
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, `${root}.deb`], { stdio: 'ignore' })
  const deb = readFileSync(`${root}.deb`)
  rmSync(root, { recursive: true })
  rmSync(`${root}.deb`)
  return deb
}

async function out(host: TestHost, cmd: string, user?: string): Promise<string> {
  const r = await sshRun(host, cmd, { user })
  assert.equal(r.code, 0, `${host.name}: ${cmd}: ${r.stderr}`)
  return r.stdout.trim()
}

async function checkHost(host: TestHost, deb: Buffer, bridgeUrl: string): Promise<void> {
  assert.match(await out(host, 'systemctl is-system-running --wait || systemctl --failed --no-legend'), /^running$/)
  assert.equal(await out(host, 'hostname'), host.name)
  assert.match(await out(host, 'ip -4 -o addr show dev eth0'), new RegExp(` ${host.address.replace(/\./g, '\\.')}/16 `))
  assert.equal(await out(host, 'sudo -n id -un'), 'root')
  assert.notEqual((await sshRun(host, 'sudo -n true', { user: 'operator' })).code, 0, 'operator needs a password')
  assert.equal(await out(host, `echo ${LAB_OPERATOR_SUDO_PASSWORD} | sudo -S -p '' id -un`, 'operator'), 'root')
  assert.equal(await out(host, 'id -un', 'root'), 'root')
  const upload = await sshRun(host, 'cat > /tmp/lab-probe.deb && sudo -n dpkg -i /tmp/lab-probe.deb', { input: deb })
  assert.equal(upload.code, 0, upload.stderr)
  assert.match(await out(host, 'id labprobe'), /labprobe/)
  assert.equal(await out(host, 'sudo -n systemctl enable --now lab-probe && systemctl is-active lab-probe'), 'active')
  assert.equal(await out(host, `curl -s --max-time 5 ${bridgeUrl}`), `hello ${host.address}`)
  assert.equal(await out(host, 'ip route show default'), '')
  // what istio-iptables does: a NAT redirect inside the host's own namespace
  const redirect = 'sudo -n iptables -t nat -A OUTPUT -p tcp --dport 15999 -j REDIRECT --to-ports 15001'
  assert.match(await out(host, `${redirect} && sudo -n iptables -t nat -S OUTPUT`), /REDIRECT --to-ports 15001/)
  assert.match((await sshRun(host, 'ip route get 192.0.2.1')).stderr, /unreachable/)
}

test('3 hosts boot with systemd, sshd, sudo, dpkg and their own name and address; down leaves nothing', { skip: labSkipReason }, async () => {
  const deb = buildProbeDeb()
  let seen = { labId: '', dir: '' }
  await withLabHosts(3, async (hosts, lab) => {
    seen = { labId: labIdOf(lab.dir), dir: lab.dir }
    assert.equal(hosts.length, 3)
    // every host reaches the lab bridge: a server on 198.18.0.1 answers each with the address it sees
    const server = createServer((req, res) => res.end(`hello ${req.socket.remoteAddress}`))
    await new Promise<void>((resolve) => server.listen(0, lab.bridgeAddress, resolve))
    const { port } = server.address() as { port: number }
    try {
      await Promise.all(hosts.map((h) => checkHost(h, deb, `http://${lab.bridgeAddress}:${port}/`)))
    } finally {
      server.close()
    }
    // each host keeps its own files and dpkg database
    const [a, b] = hosts as [TestHost, TestHost]
    await out(a, 'sudo -n touch /etc/only-on-a')
    assert.notEqual((await sshRun(b, 'test -e /etc/only-on-a')).code, 0)
    assert.deepEqual((await hostsStatus(lab.dir)).map((s) => [s.name, s.running, s.sshReachable]), hosts.map((h) => [h.name, true, true]))
  })
  assert.deepEqual(await labLeftovers(seen.labId, seen.dir), [])
})

test('a host rebooted with systemctl reboot comes back with its state kept', { skip: labSkipReason }, async () => {
  await withLabHosts(1, async ([host], lab) => {
    assert.ok(host)
    await out(host, 'echo kept | sudo -n tee /var/lib/lab-kept >/dev/null && sudo -n touch /run/lab-before-reboot')
    await sshRun(host, 'sudo -n systemctl reboot')
    let back = false
    for (let attempt = 0; attempt < 120 && !back; attempt++) {
      await sleep(500)
      const r = await sshRun(host, 'test ! -e /run/lab-before-reboot && systemctl is-system-running --wait')
      back = r.code === 0 && r.stdout.trim() === 'running'
    }
    assert.ok(back, 'the host came back after its reboot')
    assert.equal(await out(host, 'cat /var/lib/lab-kept'), 'kept')
    assert.equal(await out(host, 'hostname'), host.name)
    assert.deepEqual(await hostsStatus(lab.dir), [{ name: host.name, address: host.address, running: true, sshReachable: true }])
  })
})

function killAll(dir: string): void {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
    hosts: Array<{ supervisorPid: number; nspawnPidFile: string }>
  }
  for (const h of state.hosts) {
    const nspawn = Number(readFileSync(h.nspawnPidFile, 'utf8'))
    const guestInit = execFileSync('ps', ['-o', 'pid=', '--ppid', String(nspawn)], { encoding: 'utf8' }).trim()
    for (const pid of [h.supervisorPid, nspawn, Number(guestInit)]) process.kill(pid, 'SIGKILL')
  }
}

test('up is idempotent, and after a kill -9 of everything up and down still work and leave nothing', { skip: labSkipReason }, async () => {
  await stopOrphanedTestLabs()
  const dir = mkdtempSync('/tmp/meshvm-lab-test-')
  try {
    const baseDir = await ensureBase()
    const first = await startHosts({ dir, count: 2, baseDir, firstIndex: 101 })
    const again = await startHosts({ dir, count: 2, baseDir, firstIndex: 101 })
    assert.deepEqual(again.hosts, first.hosts, 'a second up reuses the running hosts')
    killAll(dir)
    const after = await startHosts({ dir, count: 2, baseDir, firstIndex: 101 })
    assert.notDeepEqual(after.hosts.map((h) => h.pid), first.hosts.map((h) => h.pid))
    const hosts = after.hosts.map((h) => ({ ...h, keyFile: after.keyFile, knownHostsFile: after.knownHostsFile }))
    assert.deepEqual(await Promise.all(hosts.map((h) => out(h, 'hostname'))), ['vm101', 'vm102'])
    killAll(dir)
    await stopHosts(dir)
    assert.deepEqual(await labLeftovers(labIdOf(dir), dir), [])
    await stopHosts(dir)
  } finally {
    await stopHosts(dir)
    rmSync(dir, { recursive: true, force: true })
  }
})
