import { writeFile } from 'node:fs/promises'
import { stringify } from 'yaml'
import type { KubeApi } from './server.js'

/** Writes a kubeconfig (mode 0600) whose current context reaches `api`; returns the file path. */
export async function writeKubeconfig(
  api: Pick<KubeApi, 'url' | 'caCert'>,
  file: string,
  opts: { context?: string; token?: string; namespace?: string } = {},
): Promise<string> {
  const name = opts.context ?? 'emulator'
  const cluster: Record<string, string | boolean> = { server: api.url }
  if (api.caCert) cluster['certificate-authority-data'] = Buffer.from(api.caCert).toString('base64')
  // client-node refuses plain http unless TLS checks are declared off.
  if (api.url.startsWith('http:')) cluster['insecure-skip-tls-verify'] = true
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: opts.token ? { token: opts.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace } }],
    'current-context': name,
  }
  // JSON round trip drops an unset namespace.
  await writeFile(file, stringify(JSON.parse(JSON.stringify(config))), { mode: 0o600 })
  return file
}
