// A fault-injecting HTTP front for the lab's Kubernetes API (the emulator, over TLS behind it): meshvm's real client
// talks to it through an ordinary kubeconfig, and each scenario says how it misbehaves.
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { request } from 'node:https'
import { join } from 'node:path'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'

/** How the next requests fail: a Status code, a hang, an HTML page; `match` limits it to some calls, `times` to a few. */
export interface ApiFault {
  status?: number
  hangMs?: number
  html?: boolean
  match?: RegExp
  times?: number
}

const reasons: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}

export class ApiProxy {
  fault: ApiFault | undefined
  #server: Server | undefined
  kubeconfig = ''

  constructor(
    readonly labDir: string,
    readonly upstream: string,
    readonly token: string,
  ) {}

  async start(): Promise<void> {
    const ca = readFileSync(join(this.labDir, 'pki', 'root-cert.pem'))
    this.#server = createServer((req, res) => void this.#handle(req, res, ca))
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r))
    const { port } = this.#server.address() as { port: number }
    this.kubeconfig = await writeKubeconfig(
      { url: `http://127.0.0.1:${port}` },
      join(this.labDir, 'kubeconfig.proxy'),
      { context: 'meshvm-lab', token: this.token },
    )
  }

  async #handle(req: IncomingMessage, res: ServerResponse, ca: Buffer) {
    const f = this.fault
    if (f && (!f.match || f.match.test(`${req.method} ${req.url}`)) && (f.times === undefined || f.times-- > 0)) {
      if (f.hangMs) await new Promise((r) => setTimeout(r, f.hangMs))
      if (f.html)
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><body>Sign in to the corporate proxy</body></html>')
      if (f.status) {
        const body = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: f.status,
          reason: reasons[f.status],
          message: `injected ${f.status}`,
        }
        return res.writeHead(f.status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      }
    }
    const url = new URL(req.url ?? '/', this.upstream)
    // the front holds the credentials, as `kubectl proxy` does: a client sends no bearer token over plain http
    const headers = { ...req.headers, host: url.host, authorization: `Bearer ${this.token}` }
    const up = request(url, { method: req.method, headers, ca }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    up.on('error', () => res.writeHead(502).end())
    req.pipe(up)
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise((r) => this.#server?.close(r))
  }
}
