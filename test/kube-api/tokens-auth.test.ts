import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { verify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connectCluster, listNamespaces } from '../../src/cluster/index.js'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi, type KubeApi } from '../../src/lab/kube-api/server.js'
import { request } from './http.js'

const SA_MANIFEST = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: vm\n  namespace: bar\n'
const TOKEN_PATH = '/api/v1/namespaces/bar/serviceaccounts/vm/token'

function decode(jwt: string) {
  const [h, p, s] = jwt.split('.')
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString())
  return { header: json(h), claims: json(p), signed: `${h}.${p}`, sig: Buffer.from(s, 'base64url') }
}

describe('kube-api emulator: TokenRequest and TokenReview', () => {
  let api: KubeApi
  before(async () => {
    api = await startKubeApi({ manifests: [SA_MANIFEST] })
  })
  after(() => api.close())

  it('issues RS256 JWTs with the claims kube-apiserver sets', async () => {
    const r = await request(api, 'POST', TOKEN_PATH, { spec: { audiences: ['istio-ca'], expirationSeconds: 7200 } })
    assert.equal(r.status, 201)
    assert.equal(r.body.kind, 'TokenRequest')
    const { header, claims, signed, sig } = decode(r.body.status.token)
    assert.equal(header.alg, 'RS256')
    assert.ok(
      verify('sha256', Buffer.from(signed), api.issuer.publicKey, sig),
      'signature verifies with the public key',
    )
    const uid = api.store.get('serviceaccounts', 'bar', 'vm')!.metadata.uid
    assert.deepEqual(claims.aud, ['istio-ca'])
    assert.equal(claims.sub, 'system:serviceaccount:bar:vm')
    assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local')
    assert.equal(claims.exp - claims.iat, 7200)
    assert.equal(claims.nbf, claims.iat)
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'bar', serviceaccount: { name: 'vm', uid } })
    assert.equal(r.body.status.expirationTimestamp, new Date(claims.exp * 1000).toISOString().replace('.000Z', 'Z'))
  })

  it('defaults to one hour, refuses under ten minutes, and 404s for a missing service account', async () => {
    const r = await request(api, 'POST', TOKEN_PATH, { spec: { audiences: ['istio-ca'] } })
    const { claims } = decode(r.body.status.token)
    assert.equal(claims.exp - claims.iat, 3600)
    const short = await request(api, 'POST', TOKEN_PATH, { spec: { expirationSeconds: 60 } })
    assert.equal(short.status, 422)
    const missing = await request(api, 'POST', '/api/v1/namespaces/bar/serviceaccounts/nobody/token', { spec: {} })
    assert.deepEqual([missing.status, missing.body.message], [404, 'serviceaccounts "nobody" not found'])
  })

  it('reviews tokens: valid, wrong audience, tampered, deleted service account', async () => {
    const token = (await request(api, 'POST', TOKEN_PATH, { spec: { audiences: ['istio-ca'] } })).body.status.token
    const review = (t: string, audiences?: string[]) =>
      request(api, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: t, audiences } })
    const ok = await review(token, ['istio-ca'])
    assert.equal(ok.status, 201)
    assert.equal(ok.body.status.authenticated, true)
    assert.equal(ok.body.status.user.username, 'system:serviceaccount:bar:vm')
    assert.ok(ok.body.status.user.groups.includes('system:serviceaccounts:bar'))
    assert.deepEqual(ok.body.status.audiences, ['istio-ca'])
    const wrongAud = await review(token)
    assert.equal(wrongAud.body.status.authenticated, false)
    assert.match(wrongAud.body.status.error, /audiences/)
    const [h, p, s] = token.split('.')
    const forged = Buffer.from(p, 'base64url').toString().replace('"vm"', '"vx"')
    const tampered = await review(`${h}.${Buffer.from(forged).toString('base64url')}.${s}`, ['istio-ca'])
    assert.equal(tampered.body.status.authenticated, false)
    await request(api, 'DELETE', '/api/v1/namespaces/bar/serviceaccounts/vm')
    const deleted = await review(token, ['istio-ca'])
    assert.equal(deleted.body.status.authenticated, false)
    assert.match(deleted.body.status.error, /has been deleted/)
  })
})

describe('kube-api emulator: bearer tokens, RBAC refusals and TLS', () => {
  it('requires the bearer token or an API-audience service-account JWT', async () => {
    const api = await startKubeApi({ bearerToken: 'sekret-admin-token', manifests: [SA_MANIFEST] })
    try {
      const anon = await request(api, 'GET', '/api/v1/namespaces')
      assert.deepEqual([anon.status, anon.body.reason, anon.body.message], [401, 'Unauthorized', 'Unauthorized'])
      const admin = { authorization: 'Bearer sekret-admin-token' }
      assert.equal((await request(api, 'GET', '/api/v1/namespaces', undefined, admin)).status, 200)
      const forApi = (await request(api, 'POST', TOKEN_PATH, { spec: {} }, admin)).body.status.token
      assert.equal(
        (await request(api, 'GET', '/api/v1/namespaces', undefined, { authorization: `Bearer ${forApi}` })).status,
        200,
      )
      const forIstio = (await request(api, 'POST', TOKEN_PATH, { spec: { audiences: ['istio-ca'] } }, admin)).body
        .status.token
      assert.equal(
        (await request(api, 'GET', '/api/v1/namespaces', undefined, { authorization: `Bearer ${forIstio}` })).status,
        401,
      )
      assert.equal(api.requests.at(-3)!.user, 'system:serviceaccount:bar:vm')
    } finally {
      await api.close()
    }
  })

  it('refuses forbidden requests with the RBAC message shape', async () => {
    const api = await startKubeApi({
      manifests: [SA_MANIFEST],
      forbid: [
        { verb: 'create', resource: 'serviceaccounts/token', namespace: 'bar' },
        { verb: 'list', resource: 'namespaces' },
      ],
    })
    try {
      const r = await request(api, 'POST', TOKEN_PATH, { spec: {} })
      assert.equal(r.status, 403)
      assert.equal(r.body.reason, 'Forbidden')
      assert.equal(
        r.body.message,
        'serviceaccounts "vm" is forbidden: User "kubernetes-admin" cannot create resource "serviceaccounts/token" ' +
          'in API group "" in the namespace "bar"',
      )
      const list = await request(api, 'GET', '/api/v1/namespaces')
      assert.equal(
        list.body.message,
        'namespaces is forbidden: User "kubernetes-admin" cannot list resource "namespaces" in API group "" at the cluster scope',
      )
    } finally {
      await api.close()
    }
  })

  it('serves HTTPS with a certificate from a throwaway CA; the client trusts that CA only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-tls-'))
    let api: KubeApi | undefined
    try {
      const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
      const key = ['-newkey', 'rsa:2048', '-nodes']
      ssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=meshvm-test-ca')
      ssl('req', ...key, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=kube-apiserver')
      writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
      const signing = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext']
      ssl('x509', '-req', '-in', 'srv.csr', ...signing, '-out', 'srv.crt')
      const read = (f: string) => readFileSync(join(dir, f), 'utf8')
      api = await startKubeApi({
        tls: { cert: read('srv.crt'), key: read('srv.key'), ca: read('ca.crt') },
        bearerToken: 'tls-token',
      })
      assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      const good = await writeKubeconfig(api, join(dir, 'good'), { token: 'tls-token' })
      const client = connectCluster({ kubeconfig: good })
      assert.ok((await listNamespaces(client)).includes('default'))
      // one client keeps one TLS connection: not a handshake (and a new TLS context) per call
      for (let i = 0; i < 4; i++) await listNamespaces(client)
      await Promise.all([listNamespaces(client), listNamespaces(client)])
      const ports = new Set(api.requests.map((r) => r.remotePort))
      assert.ok(ports.size <= 2, `${api.requests.length} requests over ${ports.size} connections`)
      const wrongCa = await writeKubeconfig({ url: api.url, caCert: read('srv.crt') }, join(dir, 'bad'), {
        token: 'tls-token',
      })
      await assert.rejects(listNamespaces(connectCluster({ kubeconfig: wrongCa, retry: { baseMs: 1 } })), /certificate/)
      const wrongToken = await writeKubeconfig(api, join(dir, 'badtoken'), { token: 'not-it' })
      await assert.rejects(listNamespaces(connectCluster({ kubeconfig: wrongToken })), (e: Error) => {
        assert.match(e.message, /rejected the credentials of context "emulator" \(401 Unauthorized\)/)
        assert.doesNotMatch(e.message, /not-it/)
        return true
      })
    } finally {
      await api?.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
