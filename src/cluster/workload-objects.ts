import type { WorkloadGroupObject } from '../bundle/types.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'
import { ISTIO_GROUP, withIstioVersion } from './istio-api.js'

/** A WorkloadEntry as read from the cluster (what verify/offboard look at). */
export interface WorkloadEntryObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name: string
    namespace: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    resourceVersion?: string
  }
  spec: {
    address?: string
    labels?: Record<string, string>
    serviceAccount?: string
    network?: string
    ports?: Record<string, number>
  }
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }
}

type Plural = 'workloadgroups' | 'workloadentries'
const ENTRIES = 'workloadentries'

function getIstioObject<T>(client: ClusterClient, plural: Plural, namespace: string, name: string): Promise<T> {
  return withIstioVersion(client, (version) =>
    client.call({ verb: 'get', resource: plural, namespace, name }, () =>
      client.custom.getNamespacedCustomObject({ group: ISTIO_GROUP, version, namespace, plural, name }),
    ),
  ) as Promise<T>
}

async function listIstioObjects<T>(client: ClusterClient, plural: Plural, namespace?: string, labelSelector?: string) {
  const list = await withIstioVersion(client, (version) =>
    client.call({ verb: 'list', resource: plural, namespace }, () =>
      namespace
        ? client.custom.listNamespacedCustomObject({ group: ISTIO_GROUP, version, namespace, plural, labelSelector })
        : client.custom.listClusterCustomObject({ group: ISTIO_GROUP, version, plural, labelSelector }),
    ),
  )
  return (list as { items?: T[] }).items ?? ([] as T[])
}

/**
 * The WorkloadGroup `-n/--name` names, for `workload entry configure`; error text as istioctl's
 * (`workloadgroup <name> not found in namespace <ns>: <err>`). Missing spec parts are read as empty.
 */
export async function getWorkloadGroup(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<WorkloadGroupObject> {
  try {
    const wg = await getIstioObject<WorkloadGroupObject>(client, 'workloadgroups', namespace, name)
    return { ...wg, spec: { metadata: {}, template: {}, ...wg.spec } }
  } catch (e) {
    if (e instanceof ClusterError && e.kind === 'not-found') {
      const text = `workloadgroup ${name} not found in namespace ${namespace}: ${e.apiMessage}`
      throw new ClusterError(text, 'not-found', 404, e.apiMessage)
    }
    throw e
  }
}

export const listWorkloadGroups = (client: ClusterClient, namespace?: string) =>
  listIstioObjects<WorkloadGroupObject>(client, 'workloadgroups', namespace)

/** The WorkloadEntry, or undefined when there is none. */
export async function getWorkloadEntry(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<WorkloadEntryObject | undefined> {
  try {
    return await getIstioObject<WorkloadEntryObject>(client, 'workloadentries', namespace, name)
  } catch (e) {
    if (e instanceof ClusterError && e.kind === 'not-found' && e.apiMessage?.endsWith('not found')) return undefined
    throw e
  }
}

export const listWorkloadEntries = (client: ClusterClient, namespace?: string, labelSelector?: string) =>
  listIstioObjects<WorkloadEntryObject>(client, 'workloadentries', namespace, labelSelector)

/** Deletes the WorkloadEntry; 'absent' when it was already gone (offboarding twice is fine). */
export async function deleteWorkloadEntry(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<'deleted' | 'absent'> {
  try {
    await withIstioVersion(client, (version) =>
      client.call({ verb: 'delete', resource: 'workloadentries', namespace, name }, () =>
        client.custom.deleteNamespacedCustomObject({ group: ISTIO_GROUP, version, namespace, plural: ENTRIES, name }),
      ),
    )
    return 'deleted'
  } catch (e) {
    if (e instanceof ClusterError && e.kind === 'not-found' && e.apiMessage?.endsWith('not found')) return 'absent'
    throw e
  }
}

/** Creates the WorkloadEntry meshvm manages for a VM, or replaces the one there (`resourceVersion` of the read one). */
export async function writeWorkloadEntry(client: ClusterClient, entry: WorkloadEntryObject): Promise<void> {
  const { namespace, name } = entry.metadata
  const body = { apiVersion: `${ISTIO_GROUP}/v1`, kind: 'WorkloadEntry', ...entry }
  await withIstioVersion(client, (version) => {
    const b = { ...body, apiVersion: `${ISTIO_GROUP}/${version}` }
    return entry.metadata.resourceVersion
      ? client.call({ verb: 'update', resource: ENTRIES, namespace, name }, () =>
          client.custom.replaceNamespacedCustomObject({
            group: ISTIO_GROUP,
            version,
            namespace,
            plural: ENTRIES,
            name,
            body: b,
          }),
        )
      : client.call({ verb: 'create', resource: ENTRIES, namespace }, () =>
          client.custom.createNamespacedCustomObject({
            group: ISTIO_GROUP,
            version,
            namespace,
            plural: ENTRIES,
            body: b,
          }),
        )
  })
}
