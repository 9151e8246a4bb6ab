// istiod's namespace controller: every namespace gets the ConfigMap istio-ca-root-cert (VM bundles read it from the
// WorkloadGroup's namespace). Done through the API, as istiod does.
import { kubeRequest, type KubeAccess } from '../istiod/kube-client.js'

const NAME = 'istio-ca-root-cert'

export async function publishRootCert(kube: KubeAccess, caCertPem: string): Promise<string[]> {
  const list = await kubeRequest(kube, 'GET', '/api/v1/namespaces')
  const names = ((list.body as { items?: { metadata: { name: string } }[] }).items ?? []).map((n) => n.metadata.name)
  const created: string[] = []
  for (const ns of names) {
    const existing = await kubeRequest(kube, 'GET', `/api/v1/namespaces/${ns}/configmaps/${NAME}`)
    if (existing.status === 200) continue
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: ns }, data: { 'root-cert.pem': caCertPem } }
    const r = await kubeRequest(kube, 'POST', `/api/v1/namespaces/${ns}/configmaps`, body)
    if (r.status === 201) created.push(ns)
  }
  return created
}

/** Keeps publishing until stopped; a bounded interval loop owned by the lab cluster process. */
export function startRootCertPublisher(kube: KubeAccess, caCertPem: string, log: (line: string) => void, everyMs = 500) {
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    publishRootCert(kube, caCertPem)
      .then((created) => created.forEach((ns) => log(`published ${NAME} in namespace ${ns}`)))
      .catch((err: Error) => log(`publishing ${NAME} failed: ${err.message}`))
      .finally(() => (busy = false))
  }, everyMs)
  return () => clearInterval(timer)
}
