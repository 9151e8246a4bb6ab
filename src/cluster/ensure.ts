import { isDeepStrictEqual } from 'node:util'
import type { WorkloadGroupSpec } from '../inventory/types.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'
import { ISTIO_GROUP, withIstioVersion } from './istio-api.js'

/** What ensuring one object did (or, in dry-run, would do). */
export type EnsureResult = 'created' | 'unchanged' | 'updated' | 'would-create' | 'would-update'

/** One object's outcome; `reason` says why, `diff` shows the spec change of an update. */
export interface EnsuredObject {
  kind: 'Namespace' | 'ServiceAccount' | 'WorkloadGroup'
  name: string
  namespace?: string
  result: EnsureResult
  reason: string
  diff?: { before: unknown; after: unknown }
}

interface WorkloadGroupBody {
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

async function ensurePresent(
  kind: 'Namespace' | 'ServiceAccount',
  name: string,
  namespace: string | undefined,
  read: () => Promise<unknown>,
  create: () => Promise<unknown>,
  dryRun: boolean,
): Promise<EnsuredObject> {
  const where = { kind, name, ...(namespace ? { namespace } : {}) }
  if (await readOrUndefined(read)) return { ...where, result: 'unchanged', reason: `${kind} ${name} exists` }
  if (dryRun) return { ...where, result: 'would-create', reason: `${kind} ${name} is missing` }
  await create()
  return { ...where, result: 'created', reason: `${kind} ${name} was missing` }
}

async function ensureGroup(client: ClusterClient, g: WorkloadGroupSpec, dryRun: boolean): Promise<EnsuredObject> {
  const { name, namespace } = g
  const spec = workloadGroupSpec(g)
  const where = { kind: 'WorkloadGroup' as const, name, namespace }
  return withIstioVersion(client, async (version) => {
    const ref = { group: ISTIO_GROUP, version, namespace, plural: 'workloadgroups', name }
    const op = { verb: 'get', resource: 'workloadgroups', namespace, name }
    const read = () => readOrUndefined(() => client.call(op, () => client.custom.getNamespacedCustomObject(ref)))
    // Bounded: a Conflict means someone wrote in between; read again and retry.
    for (let attempt = 1; ; attempt++) {
      const current = (await read()) as WorkloadGroupBody | undefined
      if (!current) {
        if (dryRun) return { ...where, result: 'would-create', reason: `WorkloadGroup ${name} is missing` }
        const apiVersion = `${ISTIO_GROUP}/${version}`
        const body = { apiVersion, kind: 'WorkloadGroup', metadata: { name, namespace }, spec }
        await client.call({ verb: 'create', resource: 'workloadgroups', namespace }, () =>
          client.custom.createNamespacedCustomObject({ ...ref, body }),
        )
        return { ...where, result: 'created', reason: `WorkloadGroup ${name} was missing` }
      }
      if (isDeepStrictEqual(current.spec, spec)) {
        return { ...where, result: 'unchanged', reason: `WorkloadGroup ${name} is up to date` }
      }
      const diff = { before: current.spec, after: spec }
      if (dryRun) return { ...where, result: 'would-update', reason: `WorkloadGroup ${name} differs`, diff }
      try {
        await client.call({ verb: 'update', resource: 'workloadgroups', namespace, name }, () =>
          client.custom.replaceNamespacedCustomObject({ ...ref, body: { ...current, spec } }),
        )
        return { ...where, result: 'updated', reason: `WorkloadGroup ${name} differed`, diff }
      } catch (e) {
        if (!(e instanceof ClusterError && e.kind === 'conflict') || attempt >= 3) throw e
      }
    }
  })
}

/**
 * Ensures the Namespace, the ServiceAccount and the WorkloadGroup of an inventory group exist as described:
 * created when missing, left alone when equal, the WorkloadGroup's spec replaced when different. With `dryRun`
 * nothing is written and the results say would-create / would-update.
 */
export async function ensureWorkloadGroup(
  client: ClusterClient,
  g: WorkloadGroupSpec,
  opts: { dryRun?: boolean } = {},
): Promise<EnsuredObject[]> {
  const dryRun = opts.dryRun ?? false
  const { namespace, serviceAccount } = g
  const ns = await ensurePresent(
    'Namespace',
    namespace,
    undefined,
    () =>
      client.call({ verb: 'get', resource: 'namespaces', name: namespace }, () =>
        client.core.readNamespace({ name: namespace }),
      ),
    () =>
      client.call({ verb: 'create', resource: 'namespaces' }, () =>
        client.core.createNamespace({ body: { metadata: { name: namespace } } }),
      ),
    dryRun,
  )
  const sa = await ensurePresent(
    'ServiceAccount',
    serviceAccount,
    namespace,
    () =>
      client.call({ verb: 'get', resource: 'serviceaccounts', namespace, name: serviceAccount }, () =>
        client.core.readNamespacedServiceAccount({ namespace, name: serviceAccount }),
      ),
    () =>
      client.call({ verb: 'create', resource: 'serviceaccounts', namespace }, () =>
        client.core.createNamespacedServiceAccount({
          namespace,
          body: { metadata: { name: serviceAccount, namespace } },
        }),
      ),
    dryRun,
  )
  return [ns, sa, await ensureGroup(client, g, dryRun)]
}
