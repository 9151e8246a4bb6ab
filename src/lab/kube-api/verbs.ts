import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { apiVersionOf, type ResourceType } from './resources.js'
import { selectorFilter } from './selectors.js'
import type { KubeObject, ObjectStore } from './store.js'
import { alreadyExists, badRequest, conflict, invalid, namespaceNotFound, notFound, StatusError } from './status.js'

/** What a request is about: a type at the version the client asked for, and where. */
export interface Target {
  type: ResourceType
  version: string
  namespace?: string
  name?: string
  /** 'status' limits writes to `.status`. */
  subresource?: string
}

/** RFC 3339 in whole seconds, as metadata timestamps are written. */
export const timestamp = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** The object as the client's version shows it. */
export function present(t: Target, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(t.type, t.version), kind: t.type.kind, ...obj }
}

// Everything but metadata and status: a change there bumps metadata.generation.
const NOT_SPEC = ['metadata', 'status', 'apiVersion', 'kind']
const specOf = (o: KubeObject) => Object.fromEntries(Object.entries(o).filter(([k]) => !NOT_SPEC.includes(k)))

function existing(store: ObjectStore, t: Target): KubeObject {
  const obj = store.get(t.type.plural, t.namespace, t.name!)
  if (!obj) throw notFound(t.type, t.name!)
  return obj
}

export const getObject = (store: ObjectStore, t: Target) => present(t, existing(store, t))

export function listObjects(store: ObjectStore, t: Target, query: URLSearchParams): Record<string, unknown> {
  const keep = selectorFilter(query)
  return {
    apiVersion: apiVersionOf(t.type, t.version),
    kind: `${t.type.kind}List`,
    metadata: { resourceVersion: store.revision },
    items: store.list(t.type.plural, t.namespace).filter(keep).map((o) => present(t, o)),
  }
}

// Per-kind defaults a real API server (or its controllers, instantly here) would add.
function normalise(type: ResourceType, obj: KubeObject): void {
  if (type.kind === 'Secret' && obj.stringData) {
    const data = (obj.data ?? {}) as Record<string, string>
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) {
      data[k] = Buffer.from(v).toString('base64')
    }
    obj.data = data
    delete obj.stringData
  }
  if (type.kind === 'Secret' && !obj.type) obj.type = 'Opaque'
  if (type.kind === 'Namespace') {
    obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) }
    obj.status = { phase: 'Active' }
    obj.metadata.labels = { 'kubernetes.io/metadata.name': obj.metadata.name, ...obj.metadata.labels }
  }
}

function checkIdentity(t: Target, body: KubeObject, name: string): void {
  if (!body || typeof body !== 'object' || !body.metadata || typeof body.metadata !== 'object') {
    throw invalid(t.type, name, 'metadata.name', 'Required value: name or generateName is required')
  }
  const ns = body.metadata.namespace
  if (t.type.namespaced && ns && ns !== t.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
  }
}

export function createObject(store: ObjectStore, t: Target, body: KubeObject): KubeObject {
  checkIdentity(t, body, '')
  const generateName = body.metadata.generateName as string | undefined
  const name = body.metadata.name || (generateName ? generateName + randomUUID().slice(0, 5) : '')
  if (!name) throw invalid(t.type, '', 'metadata.name', 'Required value: name or generateName is required')
  if (t.type.namespaced && !store.get('namespaces', undefined, t.namespace!)) throw namespaceNotFound(t.namespace!)
  if (store.get(t.type.plural, t.namespace, name)) throw alreadyExists(t.type, name)
  const { apiVersion: _a, kind: _k, ...rest } = body
  const obj: KubeObject = {
    ...rest,
    metadata: {
      ...body.metadata,
      name,
      ...(t.type.namespaced ? { namespace: t.namespace } : {}),
      uid: randomUUID(),
      resourceVersion: store.nextResourceVersion(),
      generation: 1,
      creationTimestamp: timestamp(),
    },
  }
  delete obj.metadata.generateName
  normalise(t.type, obj)
  return present(t, store.put(t.type.plural, obj))
}

/** PUT: the body replaces the object; a stale `resourceVersion` is a Conflict. */
export function updateObject(store: ObjectStore, t: Target, body: KubeObject): KubeObject {
  checkIdentity(t, body, t.name!)
  if (body.metadata.name !== t.name) {
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${t.name})`)
  }
  const current = existing(store, t)
  const rv = body.metadata.resourceVersion
  // Custom resources do not allow unconditional updates; core kinds do.
  if (!rv && t.type.group.includes('.') && !t.type.group.endsWith('k8s.io')) {
    throw invalid(t.type, t.name!, 'metadata.resourceVersion', 'Invalid value: 0x0: must be specified for an update')
  }
  if (rv && rv !== current.metadata.resourceVersion) throw conflict(t.type, t.name!)
  return write(store, t, current, body)
}

function write(store: ObjectStore, t: Target, current: KubeObject, body: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = body
  let next: KubeObject
  if (t.subresource === 'status') next = { ...current, status: rest.status }
  else next = { ...rest, status: current.status, metadata: { ...rest.metadata } } as KubeObject
  if (next.status === undefined) delete next.status
  normalise(t.type, next)
  const frozen = ['uid', 'creationTimestamp', 'namespace', 'name'] as const
  for (const f of frozen) if (current.metadata[f] !== undefined) next.metadata[f] = current.metadata[f]
  if (isDeepStrictEqual(next, current)) return present(t, current)
  const changedSpec = !isDeepStrictEqual(specOf(next), specOf(current))
  next.metadata.generation = (current.metadata.generation ?? 1) + (changedSpec ? 1 : 0)
  next.metadata.resourceVersion = store.nextResourceVersion()
  return present(t, store.put(t.type.plural, next))
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

const MERGE_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json']

/** PATCH with merge or strategic-merge semantics (strategic treated as merge: lists are replaced). */
export function patchObject(store: ObjectStore, t: Target, patch: unknown, contentType: string): KubeObject {
  if (!MERGE_TYPES.includes(contentType)) {
    const accepted = MERGE_TYPES.join(', ')
    const message = `the body of the request was in an unknown format - accepted media types include: ${accepted}`
    throw new StatusError(415, 'UnsupportedMediaType', message)
  }
  const current = existing(store, t)
  const merged = mergePatch(current, patch) as KubeObject
  const rv = (patch as KubeObject)?.metadata?.resourceVersion
  if (rv && rv !== current.metadata.resourceVersion) throw conflict(t.type, t.name!)
  return write(store, t, current, merged)
}

/** DELETE; a Namespace takes its objects with it at once (no Terminating phase to wait through). */
export function deleteObject(store: ObjectStore, t: Target, table: ResourceType[]): Record<string, unknown> {
  const current = existing(store, t)
  store.delete(t.type.plural, t.namespace, t.name!)
  if (t.type.kind === 'Namespace') {
    for (const type of table.filter((x) => x.namespaced)) {
      for (const o of store.list(type.plural, t.name)) store.delete(type.plural, t.name, o.metadata.name)
    }
    return present(t, { ...current, status: { phase: 'Terminating' } })
  }
  const details: Record<string, unknown> = { name: t.name, kind: t.type.plural, uid: current.metadata.uid }
  if (t.type.group) details.group = t.type.group
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }
}
