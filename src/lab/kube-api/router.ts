import { coreVersions, group, groupList, openIdConfiguration, resourceList, versionInfo } from './discovery.js'
import { findType, type ResourceType } from './resources.js'
import type { KubeObject, ObjectStore } from './store.js'
import { methodNotAllowed, resourceNotFound } from './status.js'
import { tokenRequest, tokenReview, type TokenBody, type TokenIssuer } from './tokens.js'
import { createObject, deleteObject, getObject, listObjects, patchObject, updateObject, type Target } from './verbs.js'

/** A request path, understood. */
export type Route =
  | { kind: 'version' | 'api' | 'apis' | 'oidc' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | ObjectRoute

/** A path naming objects: `/api/v1/...` or `/apis/<group>/<version>/...`. */
export interface ObjectRoute {
  kind: 'object'
  group: string
  version: string
  plural: string
  namespace?: string
  name?: string
  subresource?: string
}

/** Everything a request is answered from. */
export interface ApiContext {
  store: ObjectStore
  table: ResourceType[]
  issuer: TokenIssuer
  gitVersion: string
  serverAddress: string
}

export interface Reply {
  code: number
  body: unknown
}

export function parsePath(pathname: string): Route | undefined {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  if (segs.length === 1 && segs[0] === 'version') return { kind: 'version' }
  if (segs.length === 2 && segs[0] === '.well-known' && segs[1] === 'openid-configuration') return { kind: 'oidc' }
  let group: string
  let version: string
  let rest: string[]
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'api' }
    ;[group, version, rest] = ['', segs[1], segs.slice(2)]
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'apis' }
    if (segs.length === 2) return { kind: 'group', group: segs[1] }
    ;[group, version, rest] = [segs[1], segs[2], segs.slice(3)]
  } else return undefined
  if (rest.length === 0) return { kind: 'resources', group, version }
  // `namespaces/<ns>/<plural>/...` is namespaced; `namespaces/<name>` is the Namespace itself.
  const namespace = rest[0] === 'namespaces' && rest.length >= 3 ? rest[1] : undefined
  const [plural, name, subresource, extra] = namespace === undefined ? rest : rest.slice(2)
  if (extra !== undefined) return undefined
  return { kind: 'object', group, version, plural, namespace, name, subresource }
}

/** The RBAC verb of a request. */
export function verbOf(method: string, route: ObjectRoute): string {
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }
  return method === 'GET' ? (route.name ? 'get' : 'list') : (verbs[method] ?? method.toLowerCase())
}

/** Resolves an object route to its type, or a 404 as the API server gives for unknown resources. */
export function targetOf(ctx: ApiContext, route: ObjectRoute): Target {
  const type = findType(ctx.table, route.group, route.version, route.plural)
  if (!type) throw resourceNotFound()
  if (type.namespaced && route.namespace === undefined && route.name !== undefined) throw resourceNotFound()
  if (!type.namespaced && route.namespace !== undefined) throw resourceNotFound()
  if (route.subresource && !type.subresources?.includes(route.subresource)) throw resourceNotFound()
  return { type, version: route.version, namespace: route.namespace, name: route.name, subresource: route.subresource }
}

function discovery(ctx: ApiContext, route: Route): unknown {
  switch (route.kind) {
    case 'version':
      return versionInfo(ctx.gitVersion)
    case 'oidc':
      return openIdConfiguration(ctx.serverAddress)
    case 'api':
      return coreVersions(ctx.serverAddress)
    case 'apis':
      return groupList(ctx.table)
    case 'group':
      return group(ctx.table, route.group)
    case 'resources':
      if (route.group === '' && route.version !== 'v1') return undefined
      return resourceList(ctx.table, route.group, route.version)
  }
}

export function dispatch(
  ctx: ApiContext,
  method: string,
  route: Route,
  query: URLSearchParams,
  body: unknown,
  contentType: string,
): Reply {
  if (route.kind !== 'object') {
    if (method !== 'GET') throw methodNotAllowed()
    const found = discovery(ctx, route)
    if (!found) throw resourceNotFound()
    return { code: 200, body: found }
  }
  const t = targetOf(ctx, route)
  const verb = verbOf(method, route)
  if (!t.type.verbs.includes(verb) && !t.subresource) throw methodNotAllowed()
  if (t.subresource === 'token') {
    if (verb !== 'create') throw methodNotAllowed()
    return { code: 201, body: tokenRequest(ctx.store, ctx.issuer, t.type, t.namespace!, t.name!, body as TokenBody) }
  }
  if (t.type.kind === 'TokenReview') return { code: 201, body: tokenReview(ctx.store, ctx.issuer, body as TokenBody) }
  if (t.subresource === 'status' && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed()
  switch (verb) {
    case 'get':
      return { code: 200, body: getObject(ctx.store, t) }
    case 'list':
      return { code: 200, body: listObjects(ctx.store, t, query) }
    case 'create':
      if (t.name) throw methodNotAllowed()
      if (t.type.namespaced && t.namespace === undefined) throw resourceNotFound()
      return { code: 201, body: createObject(ctx.store, t, body as KubeObject) }
    case 'update':
      if (!t.name) throw methodNotAllowed()
      return { code: 200, body: updateObject(ctx.store, t, body as KubeObject) }
    case 'patch':
      if (!t.name) throw methodNotAllowed()
      return { code: 200, body: patchObject(ctx.store, t, body, contentType) }
    case 'delete':
      if (!t.name) throw methodNotAllowed()
      return { code: 200, body: deleteObject(ctx.store, t, ctx.table) }
    default:
      throw methodNotAllowed()
  }
}
