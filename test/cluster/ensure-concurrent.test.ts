// Shards of one fleet run at once (an Indexed Job's pods): both read "missing", both create; the loser must not fail.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createNamespace, createServiceAccount, writeWorkloadGroup } from '../../src/cluster/index.js'
import type { WorkloadGroupSpec } from '../../src/inventory/types.js'
import { startHarness } from './emulator.js'

const GROUP: WorkloadGroupSpec = {
  name: 'vm-app',
  namespace: 'vm-ns',
  serviceAccount: 'vm-sa',
  labels: {},
  annotations: {},
  ports: {},
  network: '',
}

test('concurrent creates of the same namespace, service account and WorkloadGroup all succeed (AlreadyExists is no error)', async () => {
  const h = await startHarness()
  try {
    await Promise.all([1, 2, 3].map(() => createNamespace(h.client, 'vm-ns')))
    await Promise.all([1, 2, 3].map(() => createServiceAccount(h.client, 'vm-ns', 'vm-sa')))
    await Promise.all([1, 2, 3].map(() => writeWorkloadGroup(h.client, GROUP)))
    const refused = h.api.requests.filter((r) => r.method === 'POST' && r.status === 409)
    assert.equal(refused.length, 6, 'the race happened: two of each three creates were refused with 409')
    assert.ok(h.api.store.get('workloadgroups', 'vm-ns', 'vm-app'))
    // a different spec created meanwhile is replaced by ours
    const other = { ...GROUP, labels: { version: 'v2' } }
    await Promise.all([
      writeWorkloadGroup(h.client, { ...GROUP, name: 'g2' }),
      writeWorkloadGroup(h.client, { ...other, name: 'g2' }),
    ])
    const stored = h.api.store.get('workloadgroups', 'vm-ns', 'g2')!
    assert.ok(stored.spec, 'one of the two specs is stored')
  } finally {
    await h.close()
  }
})
