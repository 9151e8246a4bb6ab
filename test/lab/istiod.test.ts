import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { rfc3339Nano, workloadEntryName } from '../../src/lab/istiod/auto-register.js'
import { createLabPki, issueServingCert } from '../../src/lab/pki.js'
import { startTestCluster, type TestCluster } from './istiod-fixture.js'

interface Reply {
  status: number
  body: { code?: string; message?: string; connectionId?: string; workloadEntry?: string | null }
  text: string
}

function post(c: TestCluster, path: string, token: string, body: string, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${c.istiod.url}${path}`,
      { method: 'POST', ca: c.pki.caCertPem, servername: 'istiod.istio-system.svc', headers: { authorization: `Bearer ${token}`, 'content-type': contentType } },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: contentType === 'application/json' ? JSON.parse(text) : {}, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

function nodeBody(md: Record<string, unknown>): string {
  const metadata = { NAMESPACE: 'vm-ns', INSTANCE_IPS: '10.0.0.7', SERVICE_ACCOUNT: 'vm-sa', ...md }
  return JSON.stringify({ node: { id: `sidecar~${metadata.INSTANCE_IPS}~vm1.vm-ns~vm-ns.svc.cluster.local`, metadata } })
}

const connect = (c: TestCluster, token: string, md: Record<string, unknown> = {}) =>
  post(c, '/meshvm.lab.v1/connect', token, nodeBody(md))

function entry(c: TestCluster, name: string) {
  return c.kube.store.get('workloadentries', 'vm-ns', name) as
    | { metadata: { labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: unknown[] }; spec: Record<string, unknown> }
    | undefined
}

describe('lab PKI', () => {
  it('issues serving certificates that verify against the root CA, and reuses them', async () => {
    const dir = execFileSync('mktemp', ['-d']).toString().trim()
    try {
      const pki = await createLabPki(join(dir, 'pki'))
      const cert = await issueServingCert(pki, { dnsNames: ['istiod.istio-system.svc'], ips: ['198.18.0.1', '127.0.0.1'] })
      assert.match(execFileSync('openssl', ['verify', '-CAfile', pki.caCertPath, cert.certPath]).toString(), /: OK/)
      const text = execFileSync('openssl', ['x509', '-in', cert.certPath, '-noout', '-text']).toString()
      assert.match(text, /DNS:istiod\.istio-system\.svc, IP Address:198\.18\.0\.1, IP Address:127\.0\.0\.1/)
      const caText = execFileSync('openssl', ['x509', '-in', pki.caCertPath, '-noout', '-text']).toString()
      assert.match(caText, /CA:TRUE/)
      const days = (Date.parse(execFileSync('openssl', ['x509', '-in', pki.caCertPath, '-noout', '-enddate']).toString().split('=')[1]) - Date.now()) / 864e5
      assert.ok(days > 3640, `root CA valid for ${days} days`)

      const again = await createLabPki(join(dir, 'pki'))
      assert.equal(again.caCertPem, pki.caCertPem)
      assert.equal((await issueServingCert(again, { dnsNames: ['istiod.istio-system.svc'], ips: ['198.18.0.1', '127.0.0.1'] })).certPem, cert.certPem)
      assert.notEqual((await issueServingCert(again, { ips: ['198.18.0.1'] })).certPath, cert.certPath)
    } finally {
      execFileSync('rm', ['-rf', dir])
    }
  })
})

describe('stand-in istiod', () => {
  let c: TestCluster
  before(async () => {
    c = await startTestCluster({ streamHoldMs: 200, disconnectGraceMs: 300 })
  })
  after(() => c.close())

  it('accepts a valid token and auto-registers the WorkloadEntry as istiod does', async () => {
    const labels = { app: 'vm-app', 'istio-locality': 'r1/z1', extra: 'proxy' }
    const reply = await connect(c, c.token('vm-sa'), { AUTO_REGISTER_GROUP: 'web', NETWORK: 'net1', LABELS: labels, PROXY_CONFIG: { readinessProbe: {} } })
    assert.equal(reply.status, 200, reply.text)
    assert.equal(reply.body.workloadEntry, 'web-10.0.0.7-net1')
    const we = entry(c, 'web-10.0.0.7-net1')
    assert.ok(we, 'WorkloadEntry created in the emulator')
    assert.deepEqual(we.metadata.labels, { app: 'vm-app', tier: 'group', version: 'v1', extra: 'proxy' })
    assert.equal(we.metadata.annotations['istio.io/autoRegistrationGroup'], 'web')
    assert.equal(we.metadata.annotations['istio.io/workloadController'], 'istiod-test')
    assert.equal(we.metadata.annotations.team, 'mesh')
    assert.equal(we.metadata.annotations['proxy.istio.io/health-checks-enabled'], 'true')
    assert.match(we.metadata.annotations['istio.io/connectedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    const group = c.kube.store.get('workloadgroups', 'vm-ns', 'web')!
    assert.deepEqual(we.metadata.ownerReferences, [
      { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadGroup', name: 'web', uid: group.metadata.uid, controller: true },
    ])
    assert.equal(we.spec.address, '10.0.0.7')
    assert.equal(we.spec.serviceAccount, 'vm-sa')
    assert.equal(we.spec.network, 'net1')
    assert.deepEqual(we.spec.ports, { http: 8080 })
    assert.ok(c.istiod.connections().some((x) => x.workloadEntry === 'web-10.0.0.7-net1' && x.serviceAccount === 'vm-sa'))
  })

  it('refuses bad signature, wrong audience, expired token and identity mismatches, and never logs the token', async () => {
    const good = c.token('vm-sa')
    const [h, p, s] = good.split('.')
    const forged = `${h}.${p}.${s.slice(0, -4)}AAAA`
    const cases: [string, string, Record<string, unknown>, number, RegExp][] = [
      ['bad signature', forged, {}, 401, /not authenticated.*cryptographic/],
      ['wrong audience', c.token('vm-sa', { audiences: ['https://kubernetes.default.svc.cluster.local'] }), {}, 401, /audiences/],
      ['expired', c.token('vm-sa', { expirationSeconds: -60 }), {}, 401, /expired/],
      ['claims another service account', c.token('other-sa'), {}, 403, /claims namespace vm-ns service account vm-sa but its token is for vm-ns\/other-sa/],
      ['group of another service account', c.token('other-sa'), { SERVICE_ACCOUNT: 'other-sa', AUTO_REGISTER_GROUP: 'web' }, 403, /group's service account is vm-sa/],
      ['missing group', good, { AUTO_REGISTER_GROUP: 'nope' }, 412, /cannot find WorkloadGroup vm-ns\/nope/],
      ['no token', '', {}, 401, /no bearer token/],
    ]
    for (const [name, token, md, status, message] of cases) {
      const reply = await connect(c, token, md)
      assert.equal(reply.status, status, `${name}: ${reply.text}`)
      assert.match(reply.body.message ?? '', message, name)
      assert.ok(c.logs.some((l) => /\twarn\tads\trefused/.test(l) && message.test(l)), `${name} is logged`)
      if (token) assert.ok(!c.logs.some((l) => l.includes(token)), `${name}: token not logged`)
    }
    assert.equal(entry(c, 'web-10.0.0.7'), undefined, 'no entry for refused proxies')
  })

  it('marks the entry disconnected when the proxy stops polling, and connected again when it returns', async () => {
    const token = c.token('vm-sa')
    const first = await connect(c, token, { AUTO_REGISTER_GROUP: 'web', INSTANCE_IPS: 'fd00::7' })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.body.workloadEntry, 'web-fd00--7')
    const stream = await post(c, '/meshvm.lab.v1/stream', token, JSON.stringify({ connectionId: first.body.connectionId }))
    assert.equal(stream.status, 200, 'a held stream completes')
    const wrongToken = await post(c, '/meshvm.lab.v1/stream', c.token('vm-sa'), JSON.stringify({ connectionId: first.body.connectionId }))
    assert.equal(wrongToken.status, 401)
    for (let i = 0; i < 50 && !entry(c, 'web-fd00--7')?.metadata.annotations['istio.io/disconnectedAt']; i++) await sleep(100)
    const gone = entry(c, 'web-fd00--7')!
    assert.match(gone.metadata.annotations['istio.io/disconnectedAt'] ?? '', /Z$/)
    assert.equal(gone.metadata.annotations['istio.io/connectedAt'], undefined)
    assert.ok(!c.istiod.connections().some((x) => x.id === first.body.connectionId))
    const unknown = await post(c, '/meshvm.lab.v1/stream', token, JSON.stringify({ connectionId: first.body.connectionId }))
    assert.equal(unknown.status, 404, 'an expired connection must connect again')

    assert.equal((await connect(c, token, { AUTO_REGISTER_GROUP: 'web', INSTANCE_IPS: 'fd00::7' })).status, 200)
    const back = entry(c, 'web-fd00--7')!
    assert.equal(back.metadata.annotations['istio.io/disconnectedAt'], undefined)
    assert.ok(back.metadata.annotations['istio.io/connectedAt'])
  })

  it('signs a workload CSR with the proxy SPIFFE identity', async () => {
    const key = join(c.dir, 'w.key')
    const csr = execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', '/O=x'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()
    const reply = await post(c, '/meshvm.lab.v1/certificate', c.token('vm-sa'), csr, 'application/pkcs10')
    assert.equal(reply.status, 200)
    const chain = join(c.dir, 'chain.pem')
    writeFileSync(chain, reply.text)
    assert.match(execFileSync('openssl', ['verify', '-CAfile', c.pki.caCertPath, chain]).toString(), /OK/)
    assert.match(execFileSync('openssl', ['x509', '-in', chain, '-noout', '-ext', 'subjectAltName']).toString(), /URI:spiffe:\/\/cluster\.local\/ns\/vm-ns\/sa\/vm-sa/)
    assert.ok(readFileSync(chain, 'utf8').endsWith(c.pki.caCertPem), 'chain ends with the root')
    const refused = await post(c, '/meshvm.lab.v1/certificate', c.token('vm-sa', { expirationSeconds: -1 }), csr, 'application/pkcs10')
    assert.equal(refused.status, 401)
  })
})

describe('auto-registration names and times', () => {
  it('names entries <group>-<ip>[-<network>], cut from the front to 253 characters', () => {
    assert.equal(workloadEntryName({ group: 'product-vm', ip: '1.2.3.4', network: '' }), 'product-vm-1.2.3.4')
    assert.equal(workloadEntryName({ group: 'g', ip: '2001:db8::1', network: 'vm-net' }), 'g-2001-db8--1-vm-net')
    const long = workloadEntryName({ group: 'x'.repeat(300), ip: '1.2.3.4', network: '' })
    assert.equal(long.length, 253)
    assert.ok(long.endsWith('x-1.2.3.4'))
  })

  it('formats times as Go RFC3339Nano (no trailing zeros)', () => {
    assert.equal(rfc3339Nano(new Date('2024-05-01T10:00:00.120Z')), '2024-05-01T10:00:00.12Z')
    assert.equal(rfc3339Nano(new Date('2024-05-01T10:00:00.000Z')), '2024-05-01T10:00:00Z')
  })
})
