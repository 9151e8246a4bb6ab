import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { describe, it } from 'node:test'
import { ClusterError, mintToken, readClusterFacts } from '../../src/cluster/index.js'
import { ensureWorkloadGroup } from './ensure-group.js'
import { startHarness } from './emulator.js'

const ISTIO = `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data: {mesh: 'defaultConfig: {}'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-ca-root-cert, namespace: bar}
data: {root-cert.pem: ROOT}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: vm, namespace: bar}
`
const FACTS = {
  istioNamespace: 'istio-system',
  ingressService: 'istio-eastwestgateway',
  clusterId: 'c',
  revision: 'default',
}
const WG = { name: 'foo', namespace: 'bar' }
const GROUP = { name: 'g', namespace: 'bar', serviceAccount: 'vm', labels: {}, annotations: {}, ports: {}, network: '' }

describe('cluster errors', () => {
  it('names the refused verb, resource and namespace on 403', async () => {
    const h = await startHarness({
      manifests: [ISTIO],
      forbid: [
        { verb: 'get', resource: 'configmaps', namespace: 'istio-system' },
        { verb: 'create', resource: 'serviceaccounts/token', namespace: 'bar' },
        { verb: 'create', resource: 'workloadgroups' },
      ],
    })
    try {
      await assert.rejects(readClusterFacts(h.client, WG, FACTS), (e: unknown) => {
        assert.ok(e instanceof ClusterError && e.kind === 'forbidden')
        assert.equal(
          e.message,
          'not allowed to get configmaps in namespace istio-system (403 Forbidden): configmaps "istio" is forbidden: ' +
            'User "kubernetes-admin" cannot get resource "configmaps" in API group "" in the namespace "istio-system"',
        )
        return true
      })
      await assert.rejects(mintToken(h.client, 'bar', 'vm', 3600), {
        message:
          'could not create a token under service account vm in namespace bar: serviceaccounts "vm" is forbidden: ' +
          'User "kubernetes-admin" cannot create resource "serviceaccounts/token" in API group "" in the namespace "bar"',
      })
      await assert.rejects(ensureWorkloadGroup(h.client, GROUP), {
        message:
          /^not allowed to create workloadgroups in namespace bar \(403 Forbidden\): workloadgroups.networking.istio.io is forbidden/,
      })
    } finally {
      await h.close()
    }
  })

  it('retries 5xx with backoff and succeeds; a persistent 5xx is reported after 4 attempts', async () => {
    const h = await startHarness({ manifests: [ISTIO], faults: [{ path: '/configmaps/istio', times: 3, status: 503 }] })
    try {
      const facts = await readClusterFacts(h.client, WG, FACTS)
      assert.equal(facts.meshConfig, 'defaultConfig: {}')
      const meshReads = () => h.api.requests.filter((r) => r.path.endsWith('/configmaps/istio'))
      assert.deepEqual(
        meshReads().map((r) => r.status),
        [503, 503, 503, 200],
      )
      h.api.addFault({ path: '/configmaps/istio', times: 100, status: 500 })
      await assert.rejects(readClusterFacts(h.client, WG, FACTS), (e: unknown) => {
        assert.ok(e instanceof ClusterError && e.kind === 'server')
        assert.equal(
          e.message,
          'the Kubernetes API server failed to get configmaps "istio" in namespace istio-system after 4 attempts: ' +
            'Internal error occurred: injected fault (HTTP 500 InternalError)',
        )
        return true
      })
      assert.equal(meshReads().length, 8)
    } finally {
      await h.close()
    }
  })

  it('retries a request that times out, and reports a timeout when it persists', async () => {
    const slow = { path: '/serviceaccounts/vm/token', times: 1, delayMs: 1500 }
    const h = await startHarness({ manifests: [ISTIO], faults: [slow] }, { timeoutMs: 300 })
    try {
      const token = await mintToken(h.client, 'bar', 'vm', 3600)
      assert.equal(token.reveal().split('.').length, 3)
      assert.equal(h.api.requests.filter((r) => r.path.endsWith('/token')).length, 2)
      h.api.addFault({ path: '/serviceaccounts/vm/token', times: 4, delayMs: 1500 })
      await assert.rejects(mintToken(h.client, 'bar', 'vm', 3600), {
        message: new RegExp(
          '^could not create a token under service account vm in namespace bar: timed out trying to create ' +
            'serviceaccounts/token "vm" in namespace bar at http://127\\.0\\.0\\.1:\\d+ \\(300 ms, 4 attempts\\)$',
        ),
      })
    } finally {
      await h.close()
    }
  })

  it('never shows a token: minted tokens print as ***, credentials are masked in messages', async () => {
    const credential = 'kubeconfig-credential-7f3a'
    const h = await startHarness({ manifests: [ISTIO], bearerToken: credential })
    try {
      const token = await mintToken(h.client, 'bar', 'vm', 3600)
      const raw = token.reveal()
      assert.ok(raw.length > 100)
      for (const shown of [String(token), JSON.stringify({ token }), inspect(token), `${token}`])
        assert.doesNotMatch(shown, /eyJ/)
      // The server echoes the name it was asked for; a name equal to the credential must come back masked.
      const read = () => h.client.core.readNamespacedConfigMap({ namespace: 'bar', name: credential })
      await assert.rejects(
        h.client.call({ verb: 'get', resource: 'configmaps', namespace: 'bar', name: credential }, read),
        (e: Error) => {
          assert.equal(e.message, 'cannot get configmaps "***" in namespace bar: configmaps "***" not found')
          return true
        },
      )
      h.api.addFault({ path: '/token', times: 4, status: 500 })
      const clean = (e: Error) => !e.message.includes(raw) && !e.message.includes(credential)
      await assert.rejects(mintToken(h.client, 'bar', 'vm', 3600), clean)
    } finally {
      await h.close()
    }
  })
})
