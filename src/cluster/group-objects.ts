import { isDeepStrictEqual } from 'node:util'
import type { WorkloadGroupSpec } from '../inventory/types.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'
import { ISTIO_GROUP, withIstioVersion } from './istio-api.js'

// The reads and writes behind the cluster steps (namespace, service account, WorkloadGroup): I/O only, no decisions.

/** A WorkloadGroup as the API server holds it. */
export interface WorkloadGroupBody {
  apiVersion?: string
  kind?: string
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown }
  spec: Record<string, unknown>
}

const nonEmpty = (o: Record<string, unknown> | undefined) => (o && Object.keys(o).length > 0 ? o : undefined)

/** The WorkloadGroup `spec` of an inventory group: labels get `app: <name>` unless set; empty parts are left out. */
export function workloadGroupSpec(g: WorkloadGroupSpec): Record<string, unknown> {
  const metadata = { labels: { app: g.name, ...g.labels }, annotations: nonEmpty(g.annotations) }
  const template = { serviceAccount: g.serviceAccount, network: g.network || undefined, ports: nonEmpty(g.ports) }
  // JSON round trip drops the undefined parts, so the result compares equal to what the server returns.
  return JSON.parse(JSON.stringify({ metadata, template, probe: g.probe }))
}

const isAbsent = (e: unknown) => e instanceof ClusterError && e.kind === 'not-found'

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (e) {
    if (isAbsent(e)) return undefined
    throw e
  }
}

export async function namespaceExists(client: ClusterClient, name: string): Promise<boolean> {
  const op = { verb: 'get', resource: 'namespaces', name }
  return !!(await readOrUndefined(() => client.call(op, () => client.core.readNamespace({ name }))))
}

// AlreadyExists: a concurrent run (another shard of the same fleet) created it between our read and create
const createdMeanwhile = (e: unknown) => e instanceof ClusterError && e.kind === 'conflict'

export async function createNamespace(client: ClusterClient, name: string): Promise<void> {
  await client
    .call({ verb: 'create', resource: 'namespaces' }, () =>
      client.core.createNamespace({ body: { metadata: { name } } }),
    )
    .catch((e) => {
      if (!createdMeanwhile(e)) throw e
    })
}

export async function serviceAccountExists(client: ClusterClient, namespace: string, name: string): Promise<boolean> {
  const op = { verb: 'get', resource: 'serviceaccounts', namespace, name }
  return !!(await readOrUndefined(() =>
    client.call(op, () => client.core.readNamespacedServiceAccount({ namespace, name })),
  ))
}

export async function createServiceAccount(client: ClusterClient, namespace: string, name: string): Promise<void> {
  await client
    .call({ verb: 'create', resource: 'serviceaccounts', namespace }, () =>
      client.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } }),
    )
    .catch((e) => {
      if (!createdMeanwhile(e)) throw e
    })
}

/** The WorkloadGroup as stored, or undefined when there is none. */
export function readWorkloadGroupBody(client: ClusterClient, namespace: string, name: string) {
  return withIstioVersion(client, (version) => {
    const ref = { group: ISTIO_GROUP, version, namespace, plural: 'workloadgroups', name }
    const op = { verb: 'get', resource: 'workloadgroups', namespace, name }
    return readOrUndefined(() => client.call(op, () => client.custom.getNamespacedCustomObject(ref))) as Promise<
      WorkloadGroupBody | undefined
    >
  })
}

/**
 * Creates the WorkloadGroup, or replaces the spec of the one stored (`current`, as read). A Conflict means someone
 * wrote in between: it is read again and replaced again (bounded).
 */
export async function writeWorkloadGroup(client: ClusterClient, g: WorkloadGroupSpec, current?: WorkloadGroupBody) {
  const { name, namespace } = g
  const spec = workloadGroupSpec(g)
  await withIstioVersion(client, async (version) => {
    const ref = { group: ISTIO_GROUP, version, namespace, plural: 'workloadgroups', name }
    if (!current) {
      const body = {
        apiVersion: `${ISTIO_GROUP}/${version}`,
        kind: 'WorkloadGroup',
        metadata: { name, namespace },
        spec,
      }
      try {
        await client.call({ verb: 'create', resource: 'workloadgroups', namespace }, () =>
          client.custom.createNamespacedCustomObject({ ...ref, body }),
        )
        return
      } catch (e) {
        if (!createdMeanwhile(e)) throw e
        // created meanwhile: as ours, or replaced by ours below
        current = await readWorkloadGroupBody(client, namespace, name)
        if (!current) throw e
        if (isDeepStrictEqual(current.spec, spec)) return
      }
    }
    let stored = current
    for (let attempt = 1; ; attempt++) {
      try {
        await client.call({ verb: 'update', resource: 'workloadgroups', namespace, name }, () =>
          client.custom.replaceNamespacedCustomObject({ ...ref, body: { ...stored, spec } }),
        )
        return
      } catch (e) {
        if (!(e instanceof ClusterError && e.kind === 'conflict') || attempt >= 3) throw e
        const again = await readWorkloadGroupBody(client, namespace, name)
        if (!again) throw e
        stored = again
      }
    }
  })
}
