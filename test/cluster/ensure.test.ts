import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  deleteWorkloadEntry,
  getWorkloadEntry,
  getWorkloadGroup,
  listWorkloadEntries,
  listWorkloadGroups,
} from '../../src/cluster/index.js'
import type { WorkloadGroupSpec } from '../../src/inventory/types.js'
import { ensureWorkloadGroup } from './ensure-group.js'
import { startHarness } from './emulator.js'

const GROUP: WorkloadGroupSpec = {
  name: 'vm-app',
  namespace: 'vm-ns',
  serviceAccount: 'vm-sa',
  labels: { version: 'v1' },
  annotations: { team: 'web' },
  ports: { http: 8080 },
  network: 'vm-net',
  probe: { httpGet: { port: 8080, path: '/ready' } },
}

const results = (r: Awaited<ReturnType<typeof ensureWorkloadGroup>>) => r.map((o) => `${o.kind}:${o.result}`)
const writes = (requests: Array<{ method: string }>) => requests.filter((r) => r.method !== 'GET')

describe('ensureWorkloadGroup', () => {
  it('creates Namespace, ServiceAccount and WorkloadGroup, then reports all unchanged', async () => {
    const h = await startHarness()
    try {
      const first = await ensureWorkloadGroup(h.client, GROUP)
      assert.deepEqual(results(first), ['Namespace:created', 'ServiceAccount:created', 'WorkloadGroup:created'])
      const stored = h.api.store.get('workloadgroups', 'vm-ns', 'vm-app')!
      assert.deepEqual(stored.spec, {
        metadata: { labels: { app: 'vm-app', version: 'v1' }, annotations: { team: 'web' } },
        template: { serviceAccount: 'vm-sa', network: 'vm-net', ports: { http: 8080 } },
        probe: { httpGet: { port: 8080, path: '/ready' } },
      })
      h.api.requests.length = 0
      const second = await ensureWorkloadGroup(h.client, GROUP)
      assert.deepEqual(results(second), ['Namespace:unchanged', 'ServiceAccount:unchanged', 'WorkloadGroup:unchanged'])
      assert.ok(
        second.every((o) => o.reason.length > 0),
        'every unchanged has a reason',
      )
      assert.deepEqual(writes(h.api.requests), [])
    } finally {
      await h.close()
    }
  })

  it('updates the WorkloadGroup when labels change, with a diff, keeping its identity', async () => {
    const h = await startHarness()
    try {
      await ensureWorkloadGroup(h.client, GROUP)
      const before = h.api.store.get('workloadgroups', 'vm-ns', 'vm-app')!
      const changed = await ensureWorkloadGroup(h.client, { ...GROUP, labels: { version: 'v2' } })
      assert.deepEqual(results(changed), ['Namespace:unchanged', 'ServiceAccount:unchanged', 'WorkloadGroup:updated'])
      const diff = changed[2].diff as { before: any; after: any }
      assert.deepEqual([diff.before.metadata.labels.version, diff.after.metadata.labels.version], ['v1', 'v2'])
      const after = h.api.store.get('workloadgroups', 'vm-ns', 'vm-app')!
      assert.equal(after.metadata.uid, before.metadata.uid)
      assert.equal(after.metadata.generation, 2)
      assert.deepEqual((after.spec as any).metadata.labels, { app: 'vm-app', version: 'v2' })
    } finally {
      await h.close()
    }
  })

  it('in dry-run reports would-create / would-update and writes nothing', async () => {
    const h = await startHarness()
    try {
      const planned = await ensureWorkloadGroup(h.client, GROUP, { dryRun: true })
      assert.deepEqual(results(planned), [
        'Namespace:would-create',
        'ServiceAccount:would-create',
        'WorkloadGroup:would-create',
      ])
      assert.deepEqual(writes(h.api.requests), [])
      assert.equal(h.api.store.get('namespaces', undefined, 'vm-ns'), undefined)
      await ensureWorkloadGroup(h.client, GROUP)
      const rv = h.api.store.revision
      const update = await ensureWorkloadGroup(h.client, { ...GROUP, ports: { http: 9090 } }, { dryRun: true })
      assert.deepEqual(results(update), [
        'Namespace:unchanged',
        'ServiceAccount:unchanged',
        'WorkloadGroup:would-update',
      ])
      assert.equal(h.api.store.revision, rv, 'no write happened')
    } finally {
      await h.close()
    }
  })

  it('falls back to networking.istio.io/v1alpha3 when the server lacks v1', async () => {
    const h = await startHarness({ istioVersions: ['v1alpha3'] })
    try {
      await ensureWorkloadGroup(h.client, GROUP)
      const wgRequests = h.api.requests.filter((r) => r.path.includes('/workloadgroups'))
      assert.ok(
        wgRequests.length > 0 && wgRequests.every((r) => r.path.startsWith('/apis/networking.istio.io/v1alpha3/')),
      )
      assert.equal((await getWorkloadGroup(h.client, 'vm-ns', 'vm-app')).spec.template?.serviceAccount, 'vm-sa')
      assert.deepEqual(
        (await listWorkloadGroups(h.client)).map((g) => g.metadata.name),
        ['vm-app'],
      )
    } finally {
      await h.close()
    }
  })
})

describe('WorkloadGroup and WorkloadEntry reads', () => {
  it('reports a missing group in istioctl words; gets, lists and deletes entries idempotently', async () => {
    const entry = (name: string, app: string) =>
      'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n' +
      `metadata: {name: ${name}, namespace: vm-ns, labels: {app: ${app}}}\nspec: {address: 198.18.0.5}\n`
    const h = await startHarness({ manifests: [entry('vm-app-198.18.0.5', 'vm-app'), entry('other', 'x')] })
    try {
      await assert.rejects(getWorkloadGroup(h.client, 'vm-ns', 'nope'), {
        message: 'workloadgroup nope not found in namespace vm-ns: workloadgroups.networking.istio.io "nope" not found',
      })
      assert.equal((await getWorkloadEntry(h.client, 'vm-ns', 'vm-app-198.18.0.5'))?.spec.address, '198.18.0.5')
      assert.equal(await getWorkloadEntry(h.client, 'vm-ns', 'absent'), undefined)
      assert.deepEqual(
        (await listWorkloadEntries(h.client, 'vm-ns', 'app=vm-app')).map((e) => e.metadata.name),
        ['vm-app-198.18.0.5'],
      )
      assert.equal(await deleteWorkloadEntry(h.client, 'vm-ns', 'vm-app-198.18.0.5'), 'deleted')
      assert.equal(await deleteWorkloadEntry(h.client, 'vm-ns', 'vm-app-198.18.0.5'), 'absent')
      assert.deepEqual(
        (await listWorkloadEntries(h.client)).map((e) => e.metadata.name),
        ['other'],
      )
    } finally {
      await h.close()
    }
  })
})
