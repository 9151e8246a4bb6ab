// A lab whose time passes, on real lab hosts: certificates renewed at half-life with the certificate itself, a reboot
// that wipes /run and the token, a root rotation in three phases, and a token-only CA refusing an expired token.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { kubeRequest } from '../../src/lab/istiod/kube-client.js'
import { labKubeAccess } from '../../src/lab/life.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, onboardFleet, rebootVm, type LabFleet } from '../support/lab-fleet.js'

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, 'g')) ?? []).length
const certsIn = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []

async function clusterRoots(fleet: LabFleet): Promise<string> {
  const r = await kubeRequest(labKubeAccess(fleet.dir), 'GET', '/api/v1/namespaces/lab-apps/configmaps/istio-ca-root-cert')
  return (r.body as { data: Record<string, string> }).data['root-cert.pem']
}

describe('lab certificates live and die (istiod CA, 30 s certificates)', { skip: labSkipReason, timeout: 300_000 }, () => {
  let fleet: LabFleet
  before(async () => {
    fleet = await labFleet(2, ['--cert-ttl', '30s'])
    await onboardFleet(fleet)
  })
  after(() => fleet?.down())

  test('the agent renews at half-life with its certificate, not the token', async () => {
    const [vm] = fleet.hosts.map((h) => h.name)
    const first = (await fleet.ssh(vm, 'sudo cat /etc/certs/cert-chain.pem')).stdout
    const log = await fleet.waitForLog(vm, /generated new workload certificate[^\n]*\n[^]*generated new workload certificate/)
    assert.match(log, /generated new workload certificate resourceName=default latency=\d+ms ttl=(29|30)s/)
    const renewed = (await fleet.ssh(vm, 'sudo cat /etc/certs/cert-chain.pem')).stdout
    const [a, b] = [new X509Certificate(certsIn(first)[0]!), new X509Certificate(certsIn(renewed)[0]!)]
    assert.notEqual(a.serialNumber, b.serialNumber)
    const lifetime = (Date.parse(b.validTo) - Date.parse(b.validFrom)) / 1000
    assert.ok(lifetime >= 30 && lifetime <= 32, `a 30 s certificate (${lifetime} s)`)
    assert.match(readFileSync(join(fleet.dir, 'cluster', 'istiod.log'), 'utf8'), /generated new workload certificate for spiffe:\/\/cluster\.local\/ns\/lab-apps\/sa\/lab-vm \(ttl 30s, by client-certificate\)/)
    assert.equal(count(log, /connected to upstream XDS server/), 1, 'renewal keeps the XDS connection')
  })

  test('a reboot wipes /run and the token; the agent starts from the valid certificate on disk', async () => {
    const vm = fleet.hosts[1].name
    assert.equal((await fleet.ssh(vm, 'sudo test -s /var/run/secrets/tokens/istio-token')).code, 0)
    await rebootVm(fleet, vm)
    assert.notEqual((await fleet.ssh(vm, 'sudo test -e /var/run/secrets/tokens/istio-token')).code, 0, 'the token is gone')
    const log = await fleet.waitForLog(vm, /read certificate from \.\/etc\/certs\/cert-chain\.pem[^]*connected to upstream XDS server[^]*$/)
    const sinceBoot = log.slice(log.lastIndexOf('Version '))
    assert.doesNotMatch(sinceBoot, /failed to sign CSR/)
    assert.match((await fleet.ssh(vm, 'findmnt -no FSTYPE /run')).stdout, /tmpfs/)
  })

  test('a root rotation: overlap bundle, then a new signer the old root does not trust, then the new root alone', async () => {
    const [stale, pushed] = fleet.hosts.map((h) => h.name)
    const oldRoots = await clusterRoots(fleet)
    const overlap = await fleet.lab('rotate-root', 'overlap')
    assert.equal(overlap.code, 0, overlap.stderr)
    assert.match(overlap.stdout, /istio-ca-root-cert holds \S+ \(signing\) \+ \S+/)
    let bundle = ''
    for (let i = 0; i < 20 && certsIn(bundle).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250))
      bundle = await clusterRoots(fleet)
    }
    assert.equal(certsIn(bundle).length, 2, 'istio-ca-root-cert holds both roots')
    assert.ok(bundle.startsWith(oldRoots))
    // one VM gets the overlap bundle pushed (what a root rotation needs), the other is left behind
    await fleet.ssh(pushed, "sudo sh -c 'cat > /etc/certs/.root.tmp && mv -f /etc/certs/.root.tmp /etc/certs/root-cert.pem'", bundle)
    await fleet.waitForLog(pushed, /root certificate file \.\/etc\/certs\/root-cert\.pem changed: trusting the 2 root\(s\) it holds/)

    assert.equal((await fleet.lab('rotate-root', 'switch')).code, 0)
    await fleet.waitForLog(stale, /x509: certificate signed by unknown authority/)
    const mark = (await fleet.ssh(pushed, 'sudo wc -l < /var/log/istio/istio.log')).stdout.trim()
    await fleet.waitForLog(pushed, /generated new workload certificate[^]*$/)
    const afterSwitch = (await fleet.ssh(pushed, `sudo tail -n +${Number(mark) + 1} /var/log/istio/istio.log`)).stdout
    assert.doesNotMatch(afterSwitch, /unknown authority/, 'the VM holding both roots trusts the new chain')

    assert.equal((await fleet.lab('rotate-root', 'finish')).code, 0)
    for (let i = 0; i < 20 && certsIn(bundle).length !== 1; i++) {
      await new Promise((r) => setTimeout(r, 250))
      bundle = await clusterRoots(fleet)
    }
    assert.equal(certsIn(bundle).length, 1, 'the new root alone')
    assert.ok(!bundle.includes(certsIn(oldRoots)[0]!), 'the old root is gone from the cluster')
    const again = await fleet.lab('rotate-root', 'switch')
    assert.equal(again.code, 5)
    assert.match(again.stderr, /no root rotation under way/)
  })

  test('the lab builds the sidecar of the cluster and the release before it', () => {
    const versions = ['istio-sidecar_1.24.2lab_amd64.deb', 'istio-sidecar_1.23.4lab_amd64.deb'].map((f) =>
      execFileSync('dpkg-deb', ['-f', join(fleet.dir, 'packages', f.replace('amd64', execFileSync('dpkg', ['--print-architecture']).toString().trim())), 'Version']).toString().trim(),
    )
    assert.deepEqual(versions, ['1.24.2lab', '1.23.4lab'])
  })
})

describe('a token-only CA (istio-csr default) refuses renewal once the token expired', { skip: labSkipReason, timeout: 300_000 }, () => {
  let fleet: LabFleet
  before(async () => {
    fleet = await labFleet(1, ['--cert-ttl', '16s', '--ca-mode', 'token-only'])
    await onboardFleet(fleet)
  })
  after(() => fleet?.down())

  test('Unauthenticated at renewal, then disconnected when the certificate expires', async () => {
    const vm = fleet.hosts[0].name
    const t = await fleet.lab('token', '--vm', vm, '--ttl', '2s')
    assert.equal(t.code, 0, t.stderr)
    assert.match(t.stdout, /has a new istio-token, valid until .* \(not printed\)/)
    const log = await fleet.waitForLog(vm, /failed to rotate the workload certificate: failed to sign CSR at [^ ]+: rpc error: code = Unauthenticated desc = authentication failure: .*service account token has expired/)
    assert.doesNotMatch(log, /by client-certificate/)
    await fleet.waitForLog(vm, /the workload certificate expired at .* and could not be renewed/)
    await fleet.waitForLog(vm, /upstream \[\d+\] terminated with unexpected error rpc error: code = Unauthenticated/)
    assert.doesNotMatch(readFileSync(join(fleet.dir, 'cluster', 'istiod.log'), 'utf8'), /workload certificate .*by client-certificate/)
  })
})
