// Who signs the VMs' certificates, read from a cluster (the API emulator) as meshvm status reads it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { boolFlag, readControlPlane } from '../../src/cluster/control-plane.js'
import { labClusterManifests } from '../../src/lab/cluster/seed.js'
import { startHarness } from './emulator.js'

const seed = (caMode: 'istiod' | 'token-only') =>
  labClusterManifests({
    caCertPem: 'x',
    gatewayIP: '198.18.0.1',
    istioVersion: '1.24.2',
    clusterName: 'c1',
    meshId: 'mesh1',
    caMode,
  })

test("istiod's own CA accepts the workload certificate; the release is istiod's image tag", async () => {
  const h = await startHarness({ manifests: [seed('istiod')] })
  try {
    const cp = await readControlPlane(h.client, 'istio-system', 'default')
    assert.equal(cp.release, '1.24.2')
    assert.deepEqual(cp.ca, {
      kind: 'istiod',
      acceptsClientCert: true,
      how: "istiod's own CA (istio-system/istiod, ENABLE_CA_SERVER not false) accepts the workload certificate",
    })
    assert.ok(
      h.api.requests.every((r) => r.method === 'GET'),
      'reads only',
    )
  } finally {
    await h.close()
  }
})

test('cert-manager istio-csr without --enable-client-cert-authenticator takes tokens only; with it, certificates', async () => {
  const h = await startHarness({ manifests: [seed('token-only')] })
  try {
    const off = await readControlPlane(h.client, 'istio-system', 'default')
    assert.equal(off.ca.kind, 'istio-csr')
    assert.equal(off.ca.acceptsClientCert, false)
    assert.match(
      off.ca.how,
      /^cert-manager istio-csr cert-manager\/cert-manager-istio-csr .*--enable-client-cert-authenticator not set \(off by default\)$/,
    )
    const d = h.api.store.get('deployments', 'cert-manager', 'cert-manager-istio-csr')!
    ;(d.spec as any).template.spec.containers[0].args.push('--enable-client-cert-authenticator=true')
    h.api.store.put('deployments', d)
    const on = await readControlPlane(h.client, 'istio-system', 'default')
    assert.equal(on.ca.acceptsClientCert, true)
    assert.match(on.ca.how, /--enable-client-cert-authenticator on$/)
  } finally {
    await h.close()
  }
})

test('istiod without its CA and no istio-csr: an external CA whose behaviour is unknown', async () => {
  const h = await startHarness({ manifests: [seed('token-only')] })
  try {
    assert.ok(h.api.store.delete('deployments', 'cert-manager', 'cert-manager-istio-csr'))
    const cp = await readControlPlane(h.client, 'istio-system', 'default')
    assert.equal(cp.ca.kind, 'external')
    assert.equal(cp.ca.acceptsClientCert, undefined)
    assert.match(
      cp.ca.how,
      /ENABLE_CA_SERVER=false \(CA_ADDR cert-manager-istio-csr\.cert-manager\.svc:443\); no istio-csr Deployment found/,
    )
  } finally {
    await h.close()
  }
})

test('boolean flags as Go flag parsing reads them', () => {
  assert.equal(boolFlag(['--a', '--b=false'], 'a'), true)
  assert.equal(boolFlag(['--a', '--b=false'], 'b'), false)
  assert.equal(boolFlag(['--ab=true'], 'a'), undefined)
  assert.equal(boolFlag(['--a=true'], 'a'), true)
})
