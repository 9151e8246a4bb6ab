// A lab cluster for the istiod and sidecar tests: lab PKI, the Kubernetes API emulator over TLS and the stand-in
// istiod, all on 127.0.0.1, seeded with a VM namespace, its service accounts and a WorkloadGroup.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startIstiod, type Istiod } from '../../src/lab/istiod/index.js'
import { startKubeApi, type KubeApi } from '../../src/lab/kube-api/server.js'
import { createLabPki, issueServingCert, type LabPki } from '../../src/lab/pki.js'

export const adminToken = 'lab-admin-token-for-tests'

const manifest = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: vm-sa, namespace: vm-ns }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: other-sa, namespace: vm-ns }
---
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: { name: web, namespace: vm-ns }
spec:
  metadata:
    labels: { app: web, tier: group }
    annotations: { team: mesh }
  template:
    serviceAccount: vm-sa
    labels: { tier: template, version: v1 }
    ports: { http: 8080 }
`

export interface TestCluster {
  dir: string
  pki: LabPki
  kube: KubeApi
  istiod: Istiod
  logs: string[]
  /** A service-account JWT signed by the emulator (default audience istio-ca, one hour). */
  token(sa: string, opts?: { audiences?: string[]; expirationSeconds?: number; namespace?: string }): string
  close(): Promise<void>
}

export async function startTestCluster(
  opts: { host?: string; streamHoldMs?: number; disconnectGraceMs?: number } = {},
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'meshvm-istiod-test-'))
  const pki = await createLabPki(join(dir, 'pki'))
  const apiCert = await issueServingCert(pki, { ips: ['127.0.0.1'] })
  const kube = await startKubeApi({
    tls: { cert: apiCert.certPem, key: apiCert.keyPem, ca: pki.caCertPem },
    bearerToken: adminToken,
    manifests: [manifest],
  })
  const istiodCert = await issueServingCert(pki, { dnsNames: ['istiod.istio-system.svc', 'localhost'], ips: ['127.0.0.1'] })
  const logs: string[] = []
  const istiod = await startIstiod({
    host: '127.0.0.1',
    port: 0,
    cert: istiodCert.certPem,
    key: istiodCert.keyPem,
    kube: { url: kube.url, token: adminToken, ca: pki.caCertPem },
    ca: pki,
    instanceId: 'istiod-test',
    log: (line) => logs.push(line),
    ...opts,
  })
  return {
    dir,
    pki,
    kube,
    istiod,
    logs,
    token(sa, t = {}) {
      const namespace = t.namespace ?? 'vm-ns'
      const uid = kube.store.get('serviceaccounts', namespace, sa)?.metadata.uid ?? 'no-such-sa'
      return kube.issuer.issue({ namespace, name: sa, uid }, t.audiences ?? ['istio-ca'], t.expirationSeconds ?? 3600).token
    },
    async close() {
      await istiod.close()
      await kube.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
