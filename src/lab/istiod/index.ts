// The lab's stand-in istiod: a TLS server on :15012 that authenticates sidecars by their istio-token (TokenReview),
// auto-registers them as WorkloadEntries, signs their workload certificates, and notices when they go away.
// Lab protocol (JSON over HTTPS, bearer token as in istiod's gRPC metadata):
//   POST /meshvm.lab.v1/connect      body {node:{id, metadata}} → {connectionId, workloadEntry?}   (the xDS stream start)
//   POST /meshvm.lab.v1/stream       body {connectionId, holdMs?} → held up to streamHoldMs, then {status} (the stream)
//   POST /meshvm.lab.v1/certificate  body: CSR PEM              → leaf + root PEM                   (the CA service)
// A proxy authenticates with its workload certificate (TLS client certificate) or its token (proxy-credential.ts);
// with caMode 'token-only' the CA service takes tokens only, as cert-manager istio-csr does by default.
// Refusals answer {code, message} with the gRPC code's HTTP status (refusal.ts).
// A proxy with no stream open for disconnectGraceMs is disconnected: its WorkloadEntry gets istio.io/disconnectedAt
// (and loses connectedAt) but, unlike real istiod's cleanup, is not deleted, so tests and `lab status` can see it.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { signWorkloadCsr, type LabPki } from '../pki.js'
import { ensureClaimMatches, spiffeId } from './authenticate.js'
import { controlWorkloadEntry, markDisconnected, registerWorkload, updateHealth } from './auto-register.js'
import { ConnectionTable, type IstiodConnection } from './connections.js'
import type { KubeAccess } from './kube-client.js'
import { authenticateProxy } from './proxy-credential.js'
import { parseProxyNode } from './proxy-node.js'
import { Refusal, refusalStatus } from './refusal.js'

export type { IstiodConnection } from './connections.js'
export type { KubeAccess } from './kube-client.js'

/** Who signs workload certificates, and the roots istiod trusts (PEM bundle, the signer's among them). */
export interface IstiodCa {
  signer: LabPki
  trustedPem: string
}

/** The lab CA's behaviour: `token-only` refuses client certificates for CSRs, as istio-csr's default. */
export type CaMode = 'istiod' | 'token-only'

/** How to run the stand-in istiod. `ca` enables the certificate service; without it CSRs are refused. */
export interface IstiodOptions {
  host: string
  port?: number
  cert: string
  key: string
  kube: KubeAccess
  ca?: LabPki | IstiodCa
  caMode?: CaMode
  /** Lifetime of issued workload certificates (default 24 h, as istiod's DEFAULT_WORKLOAD_CERT_TTL). */
  certTtlSeconds?: number
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
  /** A root rotation step: sign with `ca.signer`, trust `ca.trustedPem`, serve `serving` (signed by the signer). */
  rotate(ca: IstiodCa, serving: { cert: string; key: string }): void
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
  const certTtlSeconds = opts.certTtlSeconds ?? 86_400
  let ca: IstiodCa | undefined = opts.ca && 'signer' in opts.ca ? opts.ca : opts.ca && { signer: opts.ca, trustedPem: opts.ca.caCertPem }
  const table = new ConnectionTable()
  const heldStreams = new Set<ServerResponse>()

  const refusedBy = (req: IncomingMessage) => (reason: string) =>
    log('warn', 'security', `refused the client certificate of ${req.socket.remoteAddress ?? 'unknown'} on ${req.url}: ${reason}`)

  async function connect(req: IncomingMessage, res: ServerResponse) {
    const node = parseProxyNode(await readJson(req))
    const cred = await authenticateProxy(req, opts.kube, { trustDomain, acceptCertificate: true, refused: refusedBy(req) })
    const id = cred.id
    ensureClaimMatches(id, node)
    const now = new Date()
    const entry = node.group
      ? await registerWorkload(opts.kube, node, id, instanceId, now)
      : node.workloadEntry
        ? await controlWorkloadEntry(opts.kube, node, id, instanceId, now)
        : undefined
    const conn = table.add(node, id.serviceAccount, cred.hash, entry, now)
    log('info', 'ads', `ADS: new connection for node:${conn.id} (${id.namespace}/${id.serviceAccount} at ${node.ip}, by ${cred.via})`)
    if (entry) log('info', 'wle', `${node.group ? 'auto-registered' : 'updated health-checked'} WorkloadEntry ${node.namespace}/${entry}`)
    send(res, 200, { connectionId: conn.id, workloadEntry: entry ?? null })
  }

  async function stream(req: IncomingMessage, res: ServerResponse) {
    const { connectionId, holdMs } = ((await readJson(req)) ?? {}) as { connectionId?: string; holdMs?: number }
    const conn = table.get(connectionId ?? '')
    if (!conn) throw new Refusal('NotFound', `no connection ${connectionId}: connect again`)
    const cred = await authenticateProxy(req, opts.kube, { trustDomain, acceptCertificate: true, refused: refusedBy(req) })
    // A renewed certificate keeps the stream (same identity); a different token does not.
    const sameProxy = cred.via === 'client-certificate' && cred.id.namespace === conn.namespace && cred.id.serviceAccount === conn.serviceAccount
    if (cred.hash !== conn.credentialHash && !sameProxy) throw new Refusal('Unauthenticated', 'the stream credential differs from the connection credential')
    table.streamOpened(conn, new Date())
    heldStreams.add(res)
    // The agent asks to be answered by its next renewal time (a real xDS stream runs beside the renewal).
    const hold = typeof holdMs === 'number' && holdMs >= 0 ? Math.min(holdMs, streamHoldMs) : streamHoldMs
    const timer = setTimeout(() => send(res, 200, { status: 'ok' }), hold)
    res.on('close', () => {
      clearTimeout(timer)
      heldStreams.delete(res)
      table.streamClosed(conn, new Date())
    })
  }

  async function certificate(req: IncomingMessage, res: ServerResponse) {
    const csr = (await readBody(req)).toString('utf8')
    const acceptCertificate = opts.caMode !== 'token-only'
    const { id, via } = await authenticateProxy(req, opts.kube, { trustDomain, acceptCertificate, refused: refusedBy(req) })
    const signer = ca?.signer
    if (!signer) throw new Refusal('Unavailable', 'this istiod runs without a CA')
    if (!csr.includes('BEGIN CERTIFICATE REQUEST')) throw new Refusal('InvalidArgument', 'the body is not a PEM CSR')
    const leaf = await signWorkloadCsr(signer, csr, spiffeId(trustDomain, id), certTtlSeconds)
    log('info', 'security', `generated new workload certificate for ${spiffeId(trustDomain, id)} (ttl ${certTtlSeconds}s, by ${via})`)
    res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(leaf + signer.caCertPem)
  }

  // the agent's probe result (the health event of a real xDS stream): kept on the entry this connection controls
  async function health(req: IncomingMessage, res: ServerResponse) {
    const { connectionId, healthy, message } = ((await readJson(req)) ?? {}) as { connectionId?: string; healthy?: boolean; message?: string }
    const conn = table.get(connectionId ?? '')
    if (!conn) throw new Refusal('NotFound', `no connection ${connectionId}: connect again`)
    await authenticateProxy(req, opts.kube, { trustDomain, acceptCertificate: true, refused: refusedBy(req) })
    const kept = conn.workloadEntry !== undefined && (await updateHealth(opts.kube, conn.namespace, conn.workloadEntry, instanceId, healthy === true, message ?? ''))
    if (kept) log('info', 'wle', `updated health status of ${conn.namespace}/${conn.workloadEntry} to Healthy=${healthy === true}`)
    send(res, 200, { kept })
  }

  const routes: Record<string, typeof connect> = {
    '/meshvm.lab.v1/health': health,
    '/meshvm.lab.v1/connect': connect,
    '/meshvm.lab.v1/stream': stream,
    '/meshvm.lab.v1/certificate': certificate,
  }

  // Client certificates are asked for but checked per request, so a proxy without one can still use its token.
  const tlsOptions = { requestCert: true, rejectUnauthorized: false, ca: ca?.trustedPem }
  const server = createServer({ cert: opts.cert, key: opts.key, ...tlsOptions }, (req, res) => {
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
    rotate(next, serving) {
      ca = next
      server.setSecureContext({ cert: serving.cert, key: serving.key, ca: next.trustedPem })
      log('info', 'security', 'CA roots changed: signing with a new root; trusted roots updated')
    },
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
