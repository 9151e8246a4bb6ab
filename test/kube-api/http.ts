import type { KubeApi } from '../../src/lab/kube-api/server.js'

/** A raw request to the emulator: status and parsed JSON body. */
export async function request(
  api: KubeApi,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}
