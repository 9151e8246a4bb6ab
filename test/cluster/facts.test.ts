import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { stringify } from 'yaml'
import { ClusterError, readClusterFacts } from '../../src/cluster/index.js'
import { startHarness } from './emulator.js'

const CASES = 'test/fixtures/conformance/istioctl-workload-entry-configure'
const WG = { name: 'foo', namespace: 'bar' }
const BASE = { istioNamespace: 'istio-system', ingressService: 'istio-eastwestgateway' }

// Per case: the revision of the run and the mesh text its fake cluster holds (README "Common fake environment").
const cases = [
  { name: 'vmconfig-ipv4', revision: 'rev-1', ingressIP: '10.10.10.11' },
  { name: 'vmconfig-ipv6', revision: 'rev-1', ingressIP: 'fd00:10:96::2' },
  { name: 'vmconfig-nil-proxy-metadata', revision: '', ingressIP: undefined },
  { name: 'legacy-1.10.0-vmconfig-simple', revision: '', ingressIP: undefined },
]

const yaml = (...objects: object[]) => objects.map((o) => stringify(o)).join('---\n')
const configMap = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
})

describe('readClusterFacts on the conformance fake clusters', () => {
  for (const c of cases) {
    it(`${c.name}: mesh text, root cert, hosts address; clusterID detection fails as istioctl does`, async () => {
      const dir = join(CASES, c.name)
      const h = await startHarness({ manifests: [readFileSync(join(dir, 'fake-cluster.yaml'), 'utf8')] })
      try {
        const given = { ...BASE, revision: c.revision, clusterId: 'Kubernetes', ingressIP: c.ingressIP }
        const facts = await readClusterFacts(h.client, WG, given)
        const mesh = existsSync(join(dir, 'meshconfig.yaml'))
          ? readFileSync(join(dir, 'meshconfig.yaml'), 'utf8')
          : 'defaultConfig: {}'
        assert.equal(facts.meshConfig.trim(), mesh.trim())
        assert.equal(facts.rootCert, readFileSync(join(dir, 'root-cert.pem.golden'), 'utf8'))
        assert.equal(facts.clusterId, 'Kubernetes')
        assert.equal(facts.revision, c.revision || 'default')
        assert.equal(facts.ingressIP, readFileSync(join(dir, 'hosts.golden'), 'utf8').split(' ')[0].trim())
        const injector = c.revision ? `istio-sidecar-injector-${c.revision}` : 'istio-sidecar-injector'
        h.api.requests.length = 0
        await assert.rejects(readClusterFacts(h.client, WG, { ...BASE, revision: c.revision }), (e: unknown) => {
          assert.ok(e instanceof ClusterError)
          const expected = `fetch injection template: configmaps "${injector}" not found`
          assert.equal(e.message, `failed to automatically determine the --clusterID: ${expected}`)
          return true
        })
        assert.ok(
          h.api.requests.every((r) => r.method === 'GET'),
          'a failed detection reads only',
        )
      } finally {
        await h.close()
      }
    })
  }
})

describe('readClusterFacts on an installed Istio', () => {
  const cert = configMap('bar', 'istio-ca-root-cert', { 'root-cert.pem': 'ROOT' })

  it('takes the default revision from the revision-tag webhook, the cluster ID and version from the injector', async () => {
    const h = await startHarness({
      manifests: [
        yaml(
          {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'MutatingWebhookConfiguration',
            metadata: { name: 'istio-revision-tag-default', labels: { 'istio.io/rev': 'canary' } },
          },
          configMap('istio-system', 'istio-canary', { mesh: 'trustDomain: td' }),
          configMap('istio-system', 'istio-sidecar-injector-canary', {
            values: JSON.stringify({ global: { tag: '1.27.1', multiCluster: { clusterName: 'east' } } }),
          }),
          cert,
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system' },
            spec: { externalIPs: ['198.18.0.9'] },
          },
        ),
      ],
    })
    try {
      const facts = await readClusterFacts(h.client, WG, BASE)
      assert.deepEqual(facts, {
        revision: 'canary',
        meshConfig: 'trustDomain: td',
        rootCert: 'ROOT',
        clusterId: 'east',
        ingressIP: '198.18.0.9',
        istioVersion: { major: 1, minor: 27 },
        istioVersionSource: 'injector',
      })
    } finally {
      await h.close()
    }
  })

  it('reads the version from the istiod Deployment image and the LB IP of a <svc>.<ns> ingress Service', async () => {
    const h = await startHarness({
      manifests: [
        yaml(
          configMap('istio-system', 'istio', { mesh: '' }, { 'operator.istio.io/version': '1.20.0' }),
          cert,
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'istiod', namespace: 'istio-system' },
            spec: {
              template: {
                spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.24.2-distroless' }] },
              },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'gw', namespace: 'edge' },
            status: { loadBalancer: { ingress: [{ ip: '198.18.0.7' }] } },
          },
        ),
      ],
    })
    try {
      const facts = await readClusterFacts(h.client, WG, {
        ...BASE,
        clusterId: '',
        ingressIP: 'not-an-ip',
        ingressService: 'gw.edge',
      })
      assert.deepEqual([facts.revision, facts.clusterId, facts.ingressIP], ['default', '', '198.18.0.7'])
      assert.deepEqual([facts.istioVersion, facts.istioVersionSource], [{ major: 1, minor: 24 }, 'deployment'])
      h.api.store.delete('deployments', 'istio-system', 'istiod')
      const byLabel = await readClusterFacts(h.client, WG, { ...BASE, clusterId: 'c' })
      assert.deepEqual(
        [byLabel.istioVersion, byLabel.istioVersionSource, byLabel.ingressIP],
        [{ major: 1, minor: 20 }, 'configmap', ''],
      )
    } finally {
      await h.close()
    }
  })

  it('says Istio or the revision is not installed, or keeps istioctl wording when asked', async () => {
    const h = await startHarness({ manifests: [yaml(cert)] })
    try {
      await assert.rejects(readClusterFacts(h.client, WG, { ...BASE, clusterId: 'c' }), {
        message: 'Istio is not installed in namespace istio-system (configmap istio not found)',
      })
      await assert.rejects(readClusterFacts(h.client, WG, { ...BASE, clusterId: 'c', revision: 'blue' }), {
        message: 'Istio revision "blue" is not installed in namespace istio-system (configmap istio-blue not found)',
      })
      await assert.rejects(
        readClusterFacts(h.client, WG, { ...BASE, clusterId: 'c', revision: 'blue', wording: 'istioctl' }),
        {
          message: 'configmap istio-blue was not found in namespace istio-system: configmaps "istio-blue" not found',
        },
      )
      await h.client.core.createNamespace({ body: { metadata: { name: 'istio-system' } } })
      const mesh = { metadata: { name: 'istio' }, data: { mesh: '' } }
      await h.client.core.createNamespacedConfigMap({ namespace: 'istio-system', body: mesh })
      await assert.rejects(
        readClusterFacts(h.client, { name: 'foo', namespace: 'other' }, { ...BASE, clusterId: 'c' }),
        {
          message:
            'configmap istio-ca-root-cert was not found in namespace other: configmaps "istio-ca-root-cert" not found',
        },
      )
    } finally {
      await h.close()
    }
  })
})
