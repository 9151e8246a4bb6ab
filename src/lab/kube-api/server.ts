import type { KeyObject } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { authenticate, authorize, FaultPlan, type Fault, type ForbidRule } from './access.js'
import { loadManifests } from './manifests.js'
import { resourceTable } from './resources.js'
import { dispatch, parsePath, verbOf, type ApiContext } from './router.js'
import { ObjectStore } from './store.js'
import { badRequest, internalError, resourceNotFound, StatusError } from './status.js'
import { TokenIssuer } from './tokens.js'
import { createObject } from './verbs.js'

export type { Fault, ForbidRule } from './access.js'
export type { KubeObject } from './store.js'

/** Options of the Kubernetes API emulator. */
export interface KubeApiOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  /** Serve HTTPS with this PEM pair; `ca` (the issuing CA, PEM) is what clients should trust (default: `cert`). */
  tls?: { cert: string; key: string; ca?: string }
  /** When set, every request needs `Authorization: Bearer <it>` or a service-account JWT issued by this emulator. */
  bearerToken?: string
  /** User name of the bearer token in RBAC messages (default `kubernetes-admin`). */
  tokenUser?: string
  /** YAML texts (multi-document) loaded at start. */
  manifests?: string[]
  forbid?: ForbidRule[]
  faults?: Fault[]
  /** RSA private key signing service-account tokens (default: a fresh 2048-bit key). */
  signingKey?: KeyObject
  /** Shortest TokenRequest granted (default 600, as kube-apiserver); only the lab asks for less. */
  minTokenSeconds?: number
  /** Default v1.31.0. */
  gitVersion?: string
  /** networking.istio.io versions served, in preference order (default v1, v1beta1, v1alpha3). */
  istioVersions?: string[]
  /** Requests kept in `requests` (oldest dropped); default unbounded, for tests. A long-lived lab keeps a few. */
  maxRequestLog?: number
  /** Called with each request once answered (the lab writes them to a file, so tests can see who asked for what). */
  onRequest?: (r: RequestRecord) => void
}

/** One request as received (for assertions). */
export interface RequestRecord {
  method: string
  path: string
  query: string
  user?: string
  status?: number
  /** The client's port: requests on one kept-alive connection share it. */
  remotePort?: number
}

/** A running emulator. */
export interface KubeApi {
  url: string
  /** PEM the client should trust (HTTPS only). */
  caCert?: string
  store: ObjectStore
  requests: RequestRecord[]
  issuer: TokenIssuer
  addFault(f: Fault): void
  close(): Promise<void>
}

const MAX_BODY = 3 * 1024 * 1024
const BOOT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease']

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new StatusError(413, 'BadRequest', 'Request entity too large: limit is 3145728')
    chunks.push(c as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`)
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  })
  res.end(text)
}

export async function startKubeApi(opts: KubeApiOptions = {}): Promise<KubeApi> {
  const store = new ObjectStore()
  const issuer = new TokenIssuer(opts.signingKey, opts.minTokenSeconds)
  const faults = new FaultPlan()
  for (const f of opts.faults ?? []) faults.add(f)
  const requests: RequestRecord[] = []
  const table = resourceTable(opts.istioVersions)
  const nsType = table.find((t) => t.kind === 'Namespace')!
  for (const name of BOOT_NAMESPACES) createObject(store, { type: nsType, version: 'v1' }, { metadata: { name } })
  loadManifests(store, opts.manifests ?? [])
  const ctx: ApiContext = { store, table, issuer, gitVersion: opts.gitVersion ?? 'v1.31.0', serverAddress: '' }
  const tokenUser = opts.tokenUser ?? 'kubernetes-admin'

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator')
    const method = req.method ?? 'GET'
    const record: RequestRecord = { method, path: url.pathname, query: url.search, remotePort: req.socket.remotePort }
    requests.push(record)
    if (opts.maxRequestLog !== undefined && requests.length > opts.maxRequestLog) requests.splice(0, requests.length - opts.maxRequestLog)
    try {
      await faults.apply(method, url.pathname)
      record.user = authenticate(req.headers.authorization, issuer, opts.bearerToken, tokenUser)
      const route = parsePath(url.pathname)
      if (!route) throw resourceNotFound()
      if (route.kind === 'object') {
        authorize(opts.forbid ?? [], {
          user: record.user,
          verb: verbOf(method, route),
          group: route.group,
          resource: route.plural,
          subresource: route.subresource,
          namespace: route.namespace,
          name: route.name,
        })
      }
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? await readBody(req) : undefined
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim()
      const reply = dispatch(ctx, method, route, url.searchParams, body, contentType)
      record.status = reply.code
      send(res, reply.code, reply.body)
    } catch (e) {
      const err = e instanceof StatusError ? e : internalError((e as Error).message)
      record.status = err.code
      send(res, err.code, err.toStatus())
    }
    opts.onRequest?.(record)
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res)
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener)
    : createHttpServer(listener)
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const hostPart = host.includes(':') ? `[${host}]` : host
  ctx.serverAddress = `${hostPart}:${port}`
  return {
    url: `${opts.tls ? 'https' : 'http'}://${hostPart}:${port}`,
    caCert: opts.tls ? (opts.tls.ca ?? opts.tls.cert) : undefined,
    store,
    requests,
    issuer,
    addFault: (f) => faults.add(f),
    close: () =>
      new Promise<void>((resolve) => {
        faults.cancel()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
