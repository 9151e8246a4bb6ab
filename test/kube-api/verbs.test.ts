import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node'
import { startKubeApi, type KubeApi } from '../../src/lab/kube-api/server.js'
import { request } from './http.js'

const CASES = 'test/fixtures/conformance/istioctl-workload-entry-configure'

function clients(api: KubeApi) {
  const kc = new KubeConfig()
  kc.loadFromClusterAndUser({ name: 'emu', server: api.url, skipTLSVerify: true }, { name: 'u' })
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) }
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p
  } catch (e) {
    assert.ok(e instanceof ApiException)
    return { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body }
  }
  assert.fail('expected the call to fail')
}

describe('kube-api emulator: objects through the real client', () => {
  let api: KubeApi
  let core: CoreV1Api
  let custom: CustomObjectsApi
  before(async () => {
    api = await startKubeApi()
    ;({ core, custom } = clients(api))
    await core.createNamespace({ body: { metadata: { name: 'bar' } } })
  })
  after(() => api.close())

  it('answers a missing object with a NotFound Status shaped as kube-apiserver', async () => {
    const err = await apiError(core.readNamespacedConfigMap({ namespace: 'bar', name: 'istio' }))
    assert.equal(err.code, 404)
    assert.deepEqual(err.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "istio" not found',
      reason: 'NotFound',
      details: { name: 'istio', kind: 'configmaps' },
      code: 404,
    })
  })

  it('refuses duplicates with AlreadyExists and objects in a missing namespace with namespace NotFound', async () => {
    const dup = await apiError(core.createNamespace({ body: { metadata: { name: 'bar' } } }))
    assert.equal(dup.code, 409)
    assert.equal(dup.body.reason, 'AlreadyExists')
    assert.equal(dup.body.message, 'namespaces "bar" already exists')
    const orphan = await apiError(
      core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }),
    )
    assert.equal(orphan.code, 404)
    assert.equal(orphan.body.message, 'namespaces "nowhere" not found')
  })

  it('fills metadata, counts resourceVersion cluster-wide and rejects a stale update with Conflict', async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: 'bar',
      body: { metadata: { name: 'a' }, data: { k: '1' } },
    })
    const b = await core.createNamespacedConfigMap({ namespace: 'bar', body: { metadata: { name: 'b' } } })
    assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/)
    assert.ok(a.metadata!.creationTimestamp instanceof Date)
    assert.equal(Number(b.metadata!.resourceVersion), Number(a.metadata!.resourceVersion) + 1)
    const updated = await core.replaceNamespacedConfigMap({
      namespace: 'bar',
      name: 'a',
      body: { ...a, data: { k: '2' } },
    })
    assert.equal(updated.data!.k, '2')
    const stale = await apiError(
      core.replaceNamespacedConfigMap({ namespace: 'bar', name: 'a', body: { ...a, data: { k: '3' } } }),
    )
    assert.equal(stale.code, 409)
    assert.equal(stale.body.reason, 'Conflict')
    assert.equal(
      stale.body.message,
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; ' +
        'please apply your changes to the latest version and try again',
    )
  })

  it('lists with equality, inequality and existence label selectors', async () => {
    for (const [name, labels] of [
      ['l1', { app: 'x', tier: 'db' }],
      ['l2', { app: 'y' }],
      ['l3', {}],
    ] as const) {
      await core.createNamespacedSecret({
        namespace: 'bar',
        body: { metadata: { name, labels }, stringData: { k: 'v' } },
      })
    }
    const names = async (labelSelector: string) =>
      (await core.listNamespacedSecret({ namespace: 'bar', labelSelector })).items.map((s) => s.metadata!.name)
    assert.deepEqual(await names('app=x'), ['l1'])
    assert.deepEqual(await names('app!=x'), ['l2', 'l3'])
    assert.deepEqual(await names('app'), ['l1', 'l2'])
    assert.deepEqual(await names('app in (x,y),!tier'), ['l2'])
    const secret = await core.readNamespacedSecret({ namespace: 'bar', name: 'l1' })
    assert.equal(secret.data!.k, Buffer.from('v').toString('base64'))
  })

  it('merge-patches, bumps generation only on spec changes, and deletes with a Success Status', async () => {
    const wg = { kind: 'WorkloadGroup', metadata: { name: 'g' }, spec: { template: { serviceAccount: 'sa' } } }
    const ref = { group: 'networking.istio.io', version: 'v1', namespace: 'bar', plural: 'workloadgroups' }
    const created = await custom.createNamespacedCustomObject({
      ...ref,
      body: { apiVersion: 'networking.istio.io/v1', ...wg },
    })
    assert.equal(created.metadata.generation, 1)
    const path = '/apis/networking.istio.io/v1beta1/namespaces/bar/workloadgroups/g'
    const merge = { 'content-type': 'application/merge-patch+json' }
    const patched = await request(api, 'PATCH', path, { metadata: { labels: { a: 'b' } } }, merge)
    assert.equal(patched.status, 200)
    assert.equal(patched.body.apiVersion, 'networking.istio.io/v1beta1')
    assert.deepEqual(patched.body.metadata.labels, { a: 'b' })
    assert.equal(patched.body.metadata.generation, 1)
    const strategic = { 'content-type': 'application/strategic-merge-patch+json' }
    const spec = await request(api, 'PATCH', path, { spec: { template: { network: 'n1' } } }, strategic)
    assert.deepEqual(spec.body.spec.template, { serviceAccount: 'sa', network: 'n1' })
    assert.equal(spec.body.metadata.generation, 2)
    const old = await request(api, 'GET', '/apis/networking.istio.io/v1alpha3/namespaces/bar/workloadgroups/g')
    assert.equal(old.body.apiVersion, 'networking.istio.io/v1alpha3')
    const noRv = await request(api, 'PUT', path, { metadata: { name: 'g' }, spec: {} })
    assert.equal(noRv.status, 422)
    assert.equal(
      noRv.body.message,
      'WorkloadGroup "g" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    )
    const del = await request(api, 'DELETE', path)
    assert.deepEqual([del.status, del.body.status, del.body.details.name], [200, 'Success', 'g'])
    const gone = await request(api, 'DELETE', path)
    assert.equal(gone.status, 404)
    assert.equal(gone.body.message, 'workloadgroups.networking.istio.io "g" not found')
  })

  it('answers unknown resources and wrong methods as the API server does', async () => {
    const unknown = await request(api, 'GET', '/apis/example.com/v1/namespaces/bar/widgets')
    assert.deepEqual(
      [unknown.status, unknown.body.reason, unknown.body.message],
      [404, 'NotFound', 'the server could not find the requested resource'],
    )
    const put = await request(api, 'PUT', '/api/v1/namespaces/bar/configmaps', {})
    assert.deepEqual([put.status, put.body.reason], [405, 'MethodNotAllowed'])
    const headers = { 'content-type': 'application/json' }
    const bad = await fetch(api.url + '/api/v1/namespaces/bar/configmaps', { method: 'POST', body: '{nope', headers })
    assert.equal(bad.status, 400)
  })
})

describe('kube-api emulator: manifests and discovery', () => {
  for (const name of readdirSync(CASES).filter((d) => !d.endsWith('.md'))) {
    it(`loads ${name}/fake-cluster.yaml as-is`, async () => {
      const api = await startKubeApi({ manifests: [readFileSync(join(CASES, name, 'fake-cluster.yaml'), 'utf8')] })
      try {
        const { core } = clients(api)
        const cert = await core.readNamespacedConfigMap({ namespace: 'bar', name: 'istio-ca-root-cert' })
        assert.equal(cert.data!['root-cert.pem'], 'fake-CA-cert')
        assert.equal(
          (await core.readNamespacedServiceAccount({ namespace: 'bar', name: 'vm-serviceaccount' })).secrets![0].name,
          'test',
        )
        assert.equal(api.store.list('configmaps', 'istio-system').length, 1)
      } finally {
        await api.close()
      }
    })
  }

  it('serves /version, /api/v1 with serviceaccounts/token, and only the Istio versions asked for', async () => {
    const api = await startKubeApi({ gitVersion: 'v1.30.4', istioVersions: ['v1alpha3'] })
    try {
      assert.equal((await request(api, 'GET', '/version')).body.gitVersion, 'v1.30.4')
      const core = (await request(api, 'GET', '/api/v1')).body
      const token = core.resources.find((r: { name: string }) => r.name === 'serviceaccounts/token')
      assert.deepEqual(
        [token.group, token.version, token.kind, token.verbs],
        ['authentication.k8s.io', 'v1', 'TokenRequest', ['create']],
      )
      const groups = (await request(api, 'GET', '/apis')).body.groups
      const istio = groups.find((g: { name: string }) => g.name === 'networking.istio.io')
      assert.deepEqual(istio.versions, [{ groupVersion: 'networking.istio.io/v1alpha3', version: 'v1alpha3' }])
      assert.equal((await request(api, 'GET', '/apis/networking.istio.io/v1')).status, 404)
      assert.equal(
        (await request(api, 'GET', '/apis/networking.istio.io/v1/namespaces/default/workloadgroups')).status,
        404,
      )
      const list = await request(api, 'GET', '/apis/networking.istio.io/v1alpha3')
      assert.deepEqual(
        list.body.resources.map((r: { name: string }) => r.name),
        ['workloadgroups', 'workloadgroups/status', 'workloadentries', 'workloadentries/status'],
      )
    } finally {
      await api.close()
    }
  })
})
