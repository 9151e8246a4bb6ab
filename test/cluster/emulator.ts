import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectCluster, type ClusterClient, type ConnectOptions } from '../../src/cluster/index.js'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi, type KubeApi, type KubeApiOptions } from '../../src/lab/kube-api/server.js'
import { createLabPki, issueServingCert } from '../../src/lab/pki.js'

/** An emulator, a kubeconfig for it and a connected client; `close` stops the server and removes the temp dir. */
export interface Harness {
  api: KubeApi
  client: ClusterClient
  kubeconfig: string
  dir: string
  close(): Promise<void>
}

export async function startHarness(opts: KubeApiOptions = {}, connect: ConnectOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'meshvm-kube-'))
  // a credential goes over TLS only, as with kubectl (over http neither sends one)
  if (opts.bearerToken && !opts.tls) {
    const pki = await createLabPki(join(dir, 'pki'))
    const cert = await issueServingCert(pki, { ips: ['127.0.0.1'] })
    opts = { ...opts, tls: { cert: cert.certPem, key: cert.keyPem, ca: pki.caCertPem } }
  }
  const api = await startKubeApi(opts)
  const kubeconfig = await writeKubeconfig(api, join(dir, 'config'), { token: opts.bearerToken })
  // Short backoff keeps retry tests quick; the attempt count stays the production default.
  const client = connectCluster({ kubeconfig, retry: { baseMs: 5 }, ...connect })
  return {
    api,
    client,
    kubeconfig,
    dir,
    close: async () => {
      await api.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
