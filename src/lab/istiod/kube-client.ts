// istiod's view of the cluster: plain Kubernetes HTTP calls with a bearer token, so the stand-in talks to the API
// emulator (or any API server) exactly as a real istiod's client would, with no code shared with it.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Secret } from '../../secret.js'

/** Where istiod finds the Kubernetes API: base URL, bearer token, and the CA that signed the API's certificate. */
export interface KubeAccess {
  url: string
  token: string | Secret
  ca?: string
}

export interface KubeResponse {
  status: number
  body: unknown
}

const timeoutMs = 10_000

export function kubeRequest(kube: KubeAccess, method: string, path: string, body?: unknown): Promise<KubeResponse> {
  const url = new URL(path, kube.url)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const token = typeof kube.token === 'string' ? kube.token : kube.token.reveal()
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        ca: kube.ca,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          try {
            parsed = text ? JSON.parse(text) : undefined
          } catch {
            // Non-JSON error bodies (proxies, plain-text 404s) are kept as text for the error message.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`kubernetes API ${method} ${url.pathname} timed out`)))
    req.on('error', reject)
    req.end(payload)
  })
}
