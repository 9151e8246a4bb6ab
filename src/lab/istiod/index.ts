// The lab's stand-in istiod: a TLS server on :15012 that authenticates sidecars by their istio-token (TokenReview),
// auto-registers them as WorkloadEntries, signs their workload certificates, and notices when they go away.
// Lab protocol (JSON over HTTPS, bearer token as in istiod's gRPC metadata):
//   POST /meshvm.lab.v1/connect      body {node:{id, metadata}} → {connectionId, workloadEntry?}   (the xDS stream start)
//   POST /meshvm.lab.v1/stream       body {connectionId}        → held streamHoldMs, then {status}  (the stream itself)
//   POST /meshvm.lab.v1/certificate  body: CSR PEM              → leaf + root PEM                   (the CA service)
// Refusals answer {code, message} with the gRPC code's HTTP status (refusal.ts).
// A proxy with no stream open for disconnectGraceMs is disconnected: its WorkloadEntry gets istio.io/disconnectedAt
// (and loses connectedAt) but, unlike real istiod's cleanup, is not deleted, so tests and `lab status` can see it.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { signWorkloadCsr, type LabPki } from '../pki.js'
import { bearerToken, ensureClaimMatches, spiffeId, verifyToken } from './authenticate.js'
import { markDisconnected, registerWorkload } from './auto-register.js'
import { ConnectionTable, hashToken, type IstiodConnection } from './connections.js'
import type { KubeAccess } from './kube-client.js'
import { parseProxyNode } from './proxy-node.js'
import { Refusal, refusalStatus } from './refusal.js'

export type { IstiodConnection } from './connections.js'
export type { KubeAccess } from './kube-client.js'

/** How to run the stand-in istiod. `ca` enables the certificate service; without it CSRs are refused. */
export interface IstiodOptions {
  host: string
  port?: number
  cert: string
  key: string
  kube: KubeAccess
  ca?: LabPki
  /** Receives Istio-style log lines (`<time>\t<level>\t<scope>\t<message>`); never given a token. */
  log?: (line: string) => void
  /** Value of `istio.io/workloadController`, as istiod's pod name. */
  instanceId?: string
  trustDomain?: string
  streamHoldMs?: number
  /** PILOT_WORKLOAD_ENTRY_GRACE_PERIOD: silence after which a proxy counts as disconnected. */
  disconnectGraceMs?: number
}

/** A running stand-in istiod. */
export interface Istiod {
  url: string
  port: number
  connections(): IstiodConnection[]
  close(): Promise<void>
}

const maxBodyBytes = 64 * 1024

export async function startIstiod(opts: IstiodOptions): Promise<Istiod> {
  const instanceId = opts.instanceId ?? `istiod-lab-${hostname()}`
  const trustDomain = opts.trustDomain ?? 'cluster.local'
  const streamHoldMs = opts.streamHoldMs ?? 15_000
  const graceMs = opts.disconnectGraceMs ?? 10_000
  const log = (level: string, scope: string, msg: string) =>
    opts.log?.(`${new Date().toISOString()}\t${level}\t${scope}\t${msg}`)
  const table = new ConnectionTable()
  const heldStreams = new Set<ServerResponse>()

  async function connect(req: IncomingMessage, res: ServerResponse) {
    const token = bearerToken(req.headers.authorization)
    const node = parseProxyNode(await readJson(req))
    const id = await verifyToken(opts.kube, token)
    ensureClaimMatches(id, node)
    const now = new Date()
    const entry = node.group ? await registerWorkload(opts.kube, node, id, instanceId, now) : undefined
    const conn = table.add(node, id.serviceAccount, token, entry, now)
    log('info', 'ads', `ADS: new connection for node:${conn.id} (${id.namespace}/${id.serviceAccount} at ${node.ip})`)
    if (entry) log('info', 'wle', `auto-registered WorkloadEntry ${node.namespace}/${entry}`)
    send(res, 200, { connectionId: conn.id, workloadEntry: entry ?? null })
  }

  async function stream(req: IncomingMessage, res: ServerResponse) {
    const token = bearerToken(req.headers.authorization)
    const { connectionId } = ((await readJson(req)) ?? {}) as { connectionId?: string }
    const conn = table.get(connectionId ?? '')
    if (!conn) throw new Refusal('NotFound', `no connection ${connectionId}: connect again`)
    if (conn.tokenHash !== hashToken(token)) throw new Refusal('Unauthenticated', 'the stream token differs from the connection token')
    table.streamOpened(conn, new Date())
    heldStreams.add(res)
    const timer = setTimeout(() => send(res, 200, { status: 'ok' }), streamHoldMs)
    res.on('close', () => {
      clearTimeout(timer)
      heldStreams.delete(res)
      table.streamClosed(conn, new Date())
    })
  }

  async function certificate(req: IncomingMessage, res: ServerResponse) {
    const token = bearerToken(req.headers.authorization)
    const csr = (await readBody(req)).toString('utf8')
    const id = await verifyToken(opts.kube, token)
    if (!opts.ca) throw new Refusal('Unavailable', 'this istiod runs without a CA')
    if (!csr.includes('BEGIN CERTIFICATE REQUEST')) throw new Refusal('InvalidArgument', 'the body is not a PEM CSR')
    const leaf = await signWorkloadCsr(opts.ca, csr, spiffeId(trustDomain, id))
    log('info', 'security', `generated new workload certificate for ${spiffeId(trustDomain, id)}`)
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(leaf + opts.ca.caCertPem)
  }

  const routes: Record<string, typeof connect> = {
    '/meshvm.lab.v1/connect': connect,
    '/meshvm.lab.v1/stream': stream,
    '/meshvm.lab.v1/certificate': certificate,
  }

  const server = createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined
    const peer = req.socket.remoteAddress ?? 'unknown'
    const handle = route ? route(req, res) : Promise.reject(new Refusal('NotFound', `no route ${req.method} ${req.url}`))
    handle.catch((err: unknown) => {
      const refusal = err instanceof Refusal ? err : new Refusal('Unavailable', `internal error: ${(err as Error).message}`)
      const level = refusal.code === 'Unavailable' ? 'error' : 'warn'
      log(level, 'ads', `refused ${req.url} from ${peer}: ${refusal.code}: ${refusal.message}`)
      send(res, refusalStatus[refusal.code], { code: refusal.code, message: refusal.message })
    })
  })

  const sweep = setInterval(() => {
    for (const conn of table.expire(new Date(), graceMs)) {
      log('info', 'ads', `ADS: ${conn.id} terminated`)
      if (!conn.workloadEntry) continue
      markDisconnected(opts.kube, conn.namespace, conn.workloadEntry, instanceId, conn.lastSeen).catch((err: Error) =>
        log('error', 'wle', `marking ${conn.namespace}/${conn.workloadEntry} disconnected failed: ${err.message}`),
      )
    }
  }, Math.min(1000, graceMs))
  sweep.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 15012, opts.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  log('info', 'bootstrap', `stand-in istiod listening on ${opts.host}:${port}`)
  return {
    url: `https://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    connections: () => table.list(),
    close: async () => {
      clearInterval(sweep)
      for (const res of heldStreams) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n')
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBodyBytes) throw new Refusal('InvalidArgument', `request body larger than ${maxBodyBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req)).toString('utf8'))
  } catch (err) {
    if (err instanceof Refusal) throw err
    throw new Refusal('InvalidArgument', `the body is not JSON: ${(err as Error).message}`)
  }
}
