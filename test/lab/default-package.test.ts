// The default sidecar package end to end on lab hosts, with no internet: an inventory shaped like
// inventory/example.yaml sets no `package`; meshvm finds the cluster's Istio release, takes its istio-sidecar from
// the lab's mirror of Istio's release layout ($MESHVM_PACKAGE_MIRROR), verifies the published sha256 and installs it —
// pushed from the controller's cache to one VM, downloaded by the other VM itself (packageFetch: vm).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runStatus } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

describe('onboarding with the default sidecar package', { skip: labSkipReason, timeout: 300_000 }, () => {
  let fleet: LabFleet | undefined
  let dir: string
  let cwd: string
  let mirror: string
  let hosts: { name: string; address: string }[]
  const ssh = (address: string, cmd: string) =>
    runStatus('ssh', [...sshArgs({ address, user: 'admin', keyFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts') }), cmd])
  const packagesLog = () => readFileSync(join(dir, 'cluster', 'packages.log'), 'utf8')
  const inventory = () => join(cwd, 'inventory.yaml')
  const meshvm = (...args: string[]) =>
    runCli([...args, '-i', inventory(), '--kubeconfig', join(dir, 'kubeconfig'), '--output', 'plain'], { MESHVM_PACKAGE_MIRROR: mirror, XDG_CACHE_HOME: join(cwd, 'cache') }, cwd)

  before(async () => {
    cwd = mkdtempSync('/tmp/meshvm-default-package-')
    fleet = await labFleet(2)
    dir = fleet.dir
    hosts = fleet.hosts
    mirror = /packageMirror: (\S+)/.exec(readFileSync(join(dir, 'inventory.yaml'), 'utf8'))![1]
    const gateway = new URL(mirror).hostname
    // inventory/example.yaml's shape, pointed at the lab: no package anywhere
    writeFileSync(
      inventory(),
      [
        'defaults:',
        '  user: admin',
        `  identityFile: ${join(dir, 'id_ed25519')}`,
        `  knownHostsFile: ${join(dir, 'known_hosts')}`,
        '  namespace: istio-demo',
        '  serviceAccount: vm',
        '  clusterId: Kubernetes',
        `  ingressIP: ${gateway}`,
        '  tokenDuration: 3600',
        'groups:',
        '  web:',
        '    app: nginx-vm',
        '    labels: { app: nginx-vm, version: v1 }',
        '    ports: { http: 80 }',
        '    probe:',
        '      httpGet: { path: /, port: 80 }',
        'vms:',
        `  nginx-vm-1: { address: ${hosts[0].address}, groups: [web] }`,
        `  nginx-vm-2: { address: ${hosts[1].address}, groups: [web], packageFetch: vm }`,
        '',
      ].join('\n'),
    )
  })
  after(async () => {
    rmSync(cwd, { recursive: true, force: true })
    await fleet?.down()
  })

  test('a release with no published package stops before anything is made, saying what to set', async () => {
    const r = await meshvm('onboard', '--istio-version', '1.23.0')
    assert.equal(r.code, 5, r.stdout + r.stderr)
    assert.match(r.stderr, new RegExp(`^Error: no istio-sidecar package of Istio 1\\.23\\.0 at ${mirror}/1\\.23\\.0/ \\(not published there\\); set package in the inventory`, 'm'))
    assert.doesNotMatch(r.stderr, /cluster: created/)
    const dry = await runCli(['bundle', '--dry-run', '-i', inventory(), '--kubeconfig', join(dir, 'kubeconfig')], {}, cwd)
    assert.match(dry.stdout, /would-create +Namespace istio-demo/, 'no cluster object was made')
    assert.doesNotMatch(packagesLog(), new RegExp(hosts.map((h) => h.address.replaceAll('.', '\\.')).join('|')), 'no VM was sent to download')
  })

  test('onboard installs the published package of the cluster\'s release on both VMs, verified against its sha256', async () => {
    const r = await meshvm('onboard')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const published = readFileSync(join(dir, 'packages', 'releases', '1.24.2', 'deb', 'istio-sidecar.deb.sha256'), 'utf8').slice(0, 64)
    const cached = readFileSync(join(cwd, 'cache', 'meshvm', 'packages', published, 'istio-sidecar.deb'))
    assert.equal(createHash('sha256').update(cached).digest('hex'), published, 'the controller cached the verified package')
    for (const h of hosts) {
      const state = await ssh(h.address, "dpkg-query -W -f='${Status}\\n' istio-sidecar; cat /var/lib/meshvm/packages/istio-sidecar.sha256; systemctl is-active istio")
      assert.equal(state.stdout, `install ok installed\n${published}\nactive\n`, h.name)
    }
    const log = packagesLog()
    const fetchedBy = (address: string) => new RegExp(`^(::ffff:)?${address.replaceAll('.', '\\.')} GET /releases/1\\.24\\.2/deb/istio-sidecar\\.deb 200$`, 'm')
    assert.match(log, fetchedBy(hosts[1].address), 'nginx-vm-2 (packageFetch: vm) downloaded it itself')
    assert.doesNotMatch(log, fetchedBy(hosts[0].address), 'nginx-vm-1 got it pushed from the controller')
    assert.match(r.stdout, /Install the istio-sidecar package: changed .*install istio-sidecar/)
  })

  test('a second run finds the package installed and changes nothing', async () => {
    const r = await meshvm('onboard')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /Install the istio-sidecar package: ok .*istio-sidecar 1\.24\.2lab installed \(sha256 matches\)/)
    assert.match(r.stdout, /2 hosts in \S+: ok=\d+ changed=0 /)
  })
})
