// Check mode's token: the claims a TokenRequest would give, learnt from the cluster by reads alone.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mintToken, plannedToken } from '../../src/cluster/index.js'
import { startHarness } from './emulator.js'

const SA = `apiVersion: v1
kind: ServiceAccount
metadata: {name: vm, namespace: bar}
`
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))

describe('plannedToken', () => {
  it("carries the minted token's issuer, subject and audience and its expiry, and only reads the cluster", async () => {
    const h = await startHarness({ manifests: [SA] })
    try {
      const planned = await plannedToken(h.client, 'bar', 'vm', 3600)
      assert.equal(String(planned), '***', 'a Secret like a minted token')
      const reads = h.api.requests.map((r) => `${r.method} ${r.path}`)
      assert.deepEqual(reads, ['GET /.well-known/openid-configuration'])
      const minted = claims((await mintToken(h.client, 'bar', 'vm', 3600)).reveal())
      const p = claims(planned.reveal())
      assert.deepEqual({ iss: p.iss, sub: p.sub, aud: p.aud }, { iss: minted.iss, sub: minted.sub, aud: minted.aud })
      assert.ok(Math.abs(p.exp - minted.exp) <= 2, `expiry ${p.exp} vs the minted ${minted.exp}`)
      // the issuer is asked once per cluster connection, not once per VM
      await plannedToken(h.client, 'bar', 'other', 600)
      assert.equal(h.api.requests.filter((r) => r.path === '/.well-known/openid-configuration').length, 1)
    } finally {
      await h.close()
    }
  })

  it('has no issuer when the cluster does not say it, and for a service account that does not exist yet', async () => {
    const down = { path: '/.well-known/openid-configuration', times: 10, status: 503 as const }
    const h = await startHarness({ manifests: [], faults: [down] })
    try {
      const p = claims((await plannedToken(h.client, 'new-ns', 'new-sa', 600)).reveal())
      assert.deepEqual(Object.keys(p).sort(), ['aud', 'exp', 'sub'])
      assert.equal(p.sub, 'system:serviceaccount:new-ns:new-sa')
      assert.deepEqual(p.aud, ['istio-ca'])
      assert.ok(h.api.requests.every((r) => r.method === 'GET'))
    } finally {
      await h.close()
    }
  })
})
