import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildSidecarDeb } from '../../src/lab/sidecar/build-deb.js'
import { createLabPki } from '../../src/lab/pki.js'
import { startTestCluster, type TestCluster } from './istiod-fixture.js'

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
const nobody = 65534

describe('lab istio-sidecar package', () => {
  let dir: string
  let deb: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshvm-sidecar-test-'))
    deb = await buildSidecarDeb({ outDir: dir })
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('has the real package layout, metadata, conffiles and postinst', () => {
    const files = sh('dpkg-deb', ['-c', deb])
      .split('\n')
      .filter((l) => l.startsWith('-'))
      .map((l) => `${l.split(/\s+/)[0]} ${l.split(/\s+/)[1]} ${l.split(/\s+/).pop()}`)
    assert.deepEqual(files.sort(), [
      '-rw-r--r-- root/root ./lib/systemd/system/istio.service',
      '-rw-r--r-- root/root ./var/lib/istio/envoy/envoy_bootstrap_tmpl.json',
      '-rw-r--r-- root/root ./var/lib/istio/envoy/sidecar.env',
      '-rwxr-xr-x root/root ./usr/local/bin/envoy',
      '-rwxr-xr-x root/root ./usr/local/bin/istio-start.sh',
      '-rwxr-xr-x root/root ./usr/local/bin/pilot-agent',
    ])
    assert.equal(sh('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Depends']), 'Package: istio-sidecar\nVersion: 1.24.2lab\nDepends: iproute2, iptables, sudo, hostname\n')
    assert.match(sh('dpkg-deb', ['-f', deb, 'Description']), /lab stand-in, not Istio/)
    assert.equal(sh('dpkg-deb', ['-I', deb, 'conffiles']), '/var/lib/istio/envoy/envoy_bootstrap_tmpl.json\n/var/lib/istio/envoy/sidecar.env\n')
    const postinst = sh('dpkg-deb', ['-I', deb, 'postinst'])
    for (const line of [
      'useradd --system --gid istio-proxy --home-dir /var/lib/istio istio-proxy',
      'ln -s /var/lib/istio /etc/istio',
      'mkdir -p /var/lib/istio/envoy /var/lib/istio/proxy /var/lib/istio/config /var/log/istio',
      'touch /var/lib/istio/config/mesh',
      'chmod 2755 /usr/local/bin/envoy /usr/local/bin/pilot-agent',
    ]) {
      assert.ok(postinst.includes(line), `postinst has: ${line}`)
    }
    assert.throws(() => execFileSync('dpkg-deb', ['-I', deb, 'postrm'], { stdio: 'ignore' }), 'no removal script, as upstream')

    const root = join(dir, 'x')
    sh('dpkg-deb', ['-x', deb, root])
    const unit = readFileSync(join(root, 'lib/systemd/system/istio.service'), 'utf8')
    for (const line of ['ExecStart=/usr/local/bin/istio-start.sh', 'ExecStopPost=/usr/local/bin/istio-start.sh clean', 'Restart=always', 'RestartSec=10', 'KillMode=mixed']) {
      assert.ok(unit.includes(line), `istio.service has ${line}`)
    }
    assert.ok(readFileSync(join(root, 'var/lib/istio/envoy/sidecar.env'), 'utf8').split('\n').every((l) => l === '' || l.startsWith('#')))
    JSON.parse(readFileSync(join(root, 'var/lib/istio/envoy/envoy_bootstrap_tmpl.json'), 'utf8').replace('{{ .meta_json_str }}', '{}'))
    const start = readFileSync(join(root, 'usr/local/bin/istio-start.sh'), 'utf8')
    assert.match(start, /exec sudo -E -u "\$\{EXEC_USER\}" -s \/bin\/bash -c ".*exec \$\{ISTIO_BIN_BASE\}\/pilot-agent proxy .*2>> \$\{ISTIO_LOG_DIR\}\/istio.err.log >> \$\{ISTIO_LOG_DIR\}\/istio.log"/)
    for (const script of ['pilot-agent', 'envoy', 'istio-start.sh']) sh('bash', ['-n', join(root, 'usr/local/bin', script)])
    sh('sh', ['-n', writePostinst(dir, postinst)])
    assert.match(sh(join(root, 'usr/local/bin/pilot-agent'), ['version']), /1\.24\.2-lab \(meshvm lab stand-in, not Istio\)/)
  })

  it('carries an incompressible payload of the requested size, and reuses an unchanged build', async () => {
    const big = await buildSidecarDeb({ outDir: dir, payloadMiB: 3 })
    assert.match(sh('dpkg-deb', ['-c', big]), /3145728 .* \.\/usr\/local\/lib\/istio-lab\/payload\.bin/)
    assert.ok(statSync(big).size > 3 * 1024 * 1024, 'the payload does not compress')
    const mtime = statSync(big).mtimeMs
    assert.equal(await buildSidecarDeb({ outDir: dir, payloadMiB: 3 }), big)
    assert.equal(statSync(big).mtimeMs, mtime)
  })
})

function writePostinst(dir: string, text: string): string {
  const p = join(dir, 'postinst')
  writeFileSync(p, text)
  return p
}

describe('stand-in pilot-agent against the lab istiod', () => {
  let c: TestCluster
  let bin: string
  const running = new Set<ChildProcess>()
  before(async () => {
    // 600 ms of grace: between two polls the agent runs curl, whose TLS handshake now carries its client certificate
    c = await startTestCluster({ streamHoldMs: 300, disconnectGraceMs: 600 })
    const deb = await buildSidecarDeb({ outDir: join(c.dir, 'deb') })
    const pkg = join(c.dir, 'pkg')
    sh('dpkg-deb', ['-x', deb, pkg])
    chmodSync(c.dir, 0o755)
    bin = join(pkg, 'usr/local/bin')
  })
  after(async () => {
    // Each agent leads its own process group (envoy, its sleep, curl): a failed test leaves none of them behind.
    for (const p of running) if (p.exitCode === null) process.kill(-p.pid!, 'SIGKILL')
    await c.close()
  })

  /** A VM's files in a directory of their own, owned by `nobody` as onboarding chowns them to istio-proxy. */
  function vmRoot(name: string, o: { token?: string; rootCert?: string; hostsLine?: boolean } = {}) {
    const root = join(c.dir, name)
    for (const d of ['var/run/secrets/tokens', 'etc/certs', 'etc/istio/config', 'etc/istio/proxy', 'var/lib/istio/envoy']) mkdirSync(join(root, d), { recursive: true })
    writeFileSync(join(root, 'var/run/secrets/tokens/istio-token'), o.token ?? c.token('vm-sa'))
    writeFileSync(join(root, 'etc/certs/root-cert.pem'), o.rootCert ?? c.pki.caCertPem)
    writeFileSync(join(root, 'etc/istio/config/mesh'), `defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:${c.istiod.port}\n`)
    cpSync(join(bin, '../../../var/lib/istio/envoy/envoy_bootstrap_tmpl.json'), join(root, 'var/lib/istio/envoy/envoy_bootstrap_tmpl.json'))
    sh('chown', ['-R', `${nobody}:${nobody}`, root])
    writeFileSync(join(root, 'hosts'), `127.0.0.1 localhost\n${o.hostsLine === false ? '' : '127.0.0.1 istiod.istio-system.svc\n'}`)
    writeFileSync(join(root, 'resolv.conf'), '')
    return root
  }

  /** Runs `pilot-agent proxy` as nobody in `root`, with that root's /etc/hosts and no DNS (a private mount namespace). */
  function startAgent(root: string, env: Record<string, string> = {}) {
    const script = 'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf && cd "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" proxy'
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/bash', '-c', script, 'agent', root, join(bin, 'pilot-agent')], {
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        POD_NAMESPACE: 'vm-ns',
        SERVICE_ACCOUNT: 'vm-sa',
        POD_NAME: 'vm1',
        INSTANCE_IP: '10.0.0.8',
        ISTIO_META_AUTO_REGISTER_GROUP: 'web',
        ISTIO_METAJSON_LABELS: '{"app":"web","service.istio.io/canonical-name":"web"}',
        PROV_CERT: './etc/certs',
        OUTPUT_CERTS: './etc/certs',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    running.add(child)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    return { child, exited, output: () => out }
  }

  async function waitFor(what: string, ok: () => boolean) {
    for (let i = 0; i < 150 && !ok(); i++) await sleep(100)
    assert.ok(ok(), `waited 15 s for ${what}`)
  }

  it('connects, logs the XDS line, runs envoy as its child, registers and keeps polling', async () => {
    const root = vmRoot('vm-ok')
    const agent = startAgent(root)
    await waitFor('the connected line', () => agent.output().includes('\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:'))
    assert.match(agent.output(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod\.istio-system\.svc:\d+\tid=1$/m)
    const pid = agent.child.pid!
    assert.equal(sh('ps', ['-o', 'comm=,user=', '-p', String(pid)]).trim().replace(/\s+/g, ' '), 'pilot-agent nobody')
    await waitFor('envoy child', () => /envoy/.test(sh('ps', ['-o', 'comm=', '--ppid', String(pid)])))
    const envoyPid = Number(sh('pgrep', ['-P', String(pid), '-x', 'envoy']).trim())
    assert.equal(sh('ps', ['-o', 'user=', '-p', String(envoyPid)]).trim(), 'nobody')

    const we = c.kube.store.get('workloadentries', 'vm-ns', 'web-10.0.0.8')
    assert.ok(we, 'WorkloadEntry web-10.0.0.8 created')
    assert.equal(we.metadata.labels?.app, 'web')
    assert.match(sh('openssl', ['x509', '-in', join(root, 'etc/certs/cert-chain.pem'), '-noout', '-ext', 'subjectAltName']), /spiffe:\/\/cluster\.local\/ns\/vm-ns\/sa\/vm-sa/)
    assert.ok(readFileSync(join(root, 'etc/istio/proxy/envoy-rev.json'), 'utf8').includes('sidecar~10.0.0.8~vm1.vm-ns~vm-ns.svc.cluster.local'))

    await sleep(1000) // several 300 ms polls: istiod must still count it connected after its grace period
    assert.ok(c.istiod.connections().some((x) => x.workloadEntry === 'web-10.0.0.8'), 'still connected while polling')
    assert.ok(!agent.output().includes(readFileSync(join(root, 'var/run/secrets/tokens/istio-token'), 'utf8')), 'token never printed')

    agent.child.kill('SIGTERM')
    assert.equal(await agent.exited, 0)
    assert.throws(() => process.kill(envoyPid, 0), /ESRCH/, 'envoy stopped with the agent')
    await waitFor('disconnectedAt', () => Boolean(c.kube.store.get('workloadentries', 'vm-ns', 'web-10.0.0.8')?.metadata.annotations?.['istio.io/disconnectedAt']))
  })

  it('connects without auto-registration or labels, and registers nothing', async () => {
    const before = c.kube.store.list('workloadentries', 'vm-ns').length
    const agent = startAgent(vmRoot('vm-plain'), { ISTIO_META_AUTO_REGISTER_GROUP: '', ISTIO_METAJSON_LABELS: '', INSTANCE_IP: '10.0.0.9' })
    await waitFor('the connected line', () => agent.output().includes('connected to upstream XDS server'))
    assert.equal(c.kube.store.list('workloadentries', 'vm-ns').length, before)
    assert.ok(c.istiod.connections().some((x) => x.ip === '10.0.0.9' && x.workloadEntry === undefined))
    agent.child.kill('SIGTERM')
    assert.equal(await agent.exited, 0)
  })

  const failures: [string, () => { root: string; env?: Record<string, string> }, RegExp][] = [
    ['missing hosts line', () => ({ root: vmRoot('vm-nohosts', { hostsLine: false }) }), /lookup istiod\.istio-system\.svc: no such host/],
    ['forged token', () => ({ root: vmRoot('vm-badtoken', { token: forge(c.token('vm-sa')) }) }), /error\tcitadelclient\tfailed to sign CSR.*code = Unauthenticated desc = authentication failure/],
    ['token for another service account', () => ({ root: vmRoot('vm-othersa', { token: c.token('other-sa') }), env: { ISTIO_META_AUTO_REGISTER_GROUP: 'web', SERVICE_ACCOUNT: 'other-sa' } }), /upstream \[1\] terminated with unexpected error rpc error: code = PermissionDenied/],
    ['root cert of another CA', () => ({ root: vmRoot('vm-otherca', { rootCert: otherCa }) }), /code = Unavailable desc = transport: authentication handshake failed/],
    ['token not readable by the proxy user', () => { const root = vmRoot('vm-unreadable'); sh('chown', ['0:0', join(root, 'var/run/secrets/tokens/istio-token')]); chmodSync(join(root, 'var/run/secrets/tokens/istio-token'), 0o600); return { root } }, /error\tcache\tfailed to read token file .*permission denied \(running as nobody\)/],
    ['no root certificate', () => { const root = vmRoot('vm-nocert'); rmSync(join(root, 'etc/certs/root-cert.pem')); return { root } }, /error\tcache\tfailed to read root certificate .*no such file or directory/],
  ]
  let otherCa = ''
  before(async () => {
    otherCa = (await createLabPki(join(c.dir, 'other-pki'))).caCertPem
  })
  for (const [name, setup, expected] of failures) {
    it(`fails visibly and exits non-zero: ${name}`, async () => {
      const { root, env } = setup()
      const agent = startAgent(root, env)
      const code = await Promise.race([agent.exited, sleep(20_000, 'timeout', { ref: false })])
      assert.equal(code, 1, agent.output())
      assert.match(agent.output(), expected)
      assert.doesNotMatch(agent.output(), /connected to upstream XDS server/)
    })
  }
})

function forge(token: string): string {
  const [h, p, s] = token.split('.')
  return `${h}.${p}.${s.slice(0, -4)}AAAA`
}
