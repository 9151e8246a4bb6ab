// The lab's release mirror: serves DIR/packages/releases over plain HTTP on the lab bridge, under Istio's release
// layout (`<version>/deb/istio-sidecar.deb` and its `.sha256`), so meshvm's default package path runs with no internet.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join, normalize } from 'node:path'

export interface PackageServer {
  url: string
  close(): Promise<void>
}

/** `log` gets one line per request (client address, method, path, status): tests tell who downloaded what. */
export async function startPackageServer(
  root: string,
  host: string,
  port: number,
  log: (line: string) => void = () => {},
): Promise<PackageServer> {
  const server: Server = createServer(async (req, res) => {
    // at 'close', with the address read now: a client that hangs up as soon as it has the body (curl) can make
    // Node drop the final write's callback, so 'finish' never comes, and a destroyed socket has no address left
    const from = req.socket.remoteAddress
    res.once('close', () => log(`${from} ${req.method} ${req.url} ${res.statusCode}`))
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://lab').pathname))
    const file = join(root, path)
    const info = req.method === 'GET' || req.method === 'HEAD' ? await stat(file).catch(() => undefined) : undefined
    if (!path.startsWith('/') || path.includes('..') || !info?.isFile()) {
      res.writeHead(info === undefined && req.method !== 'GET' && req.method !== 'HEAD' ? 405 : 404).end()
      return
    }
    res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' })
    if (req.method === 'HEAD') return void res.end()
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
