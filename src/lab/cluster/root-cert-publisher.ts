// istiod's namespace controller: every namespace gets the ConfigMap istio-ca-root-cert holding the mesh's trusted
// roots (VM bundles read it from the WorkloadGroup's namespace), and it is rewritten when the roots change (a
// rotation). Done through the API, as istiod does.
import { kubeRequest, type KubeAccess } from '../istiod/kube-client.js'

const NAME = 'istio-ca-root-cert'

type ConfigMap = { metadata: Record<string, unknown>; data?: Record<string, string> }

/** Creates or updates the ConfigMap in every namespace; returns `created ns` / `updated ns` for the log. */
export async function publishRootCert(kube: KubeAccess, rootsPem: string): Promise<string[]> {
  const list = await kubeRequest(kube, 'GET', '/api/v1/namespaces')
  const names = ((list.body as { items?: { metadata: { name: string } }[] }).items ?? []).map((n) => n.metadata.name)
  const done: string[] = []
  for (const ns of names) {
    const path = `/api/v1/namespaces/${ns}/configmaps`
    const existing = await kubeRequest(kube, 'GET', `${path}/${NAME}`)
    if (existing.status === 200) {
      const cm = existing.body as ConfigMap
      if (cm.data?.['root-cert.pem'] === rootsPem) continue
      const r = await kubeRequest(kube, 'PUT', `${path}/${NAME}`, { ...cm, data: { ...cm.data, 'root-cert.pem': rootsPem } })
      if (r.status === 200) done.push(`updated ${ns}`)
      continue
    }
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: ns }, data: { 'root-cert.pem': rootsPem } }
    const r = await kubeRequest(kube, 'POST', path, body)
    if (r.status === 201) done.push(`created ${ns}`)
  }
  return done
}

/** Keeps publishing until stopped; a bounded interval loop owned by the lab cluster process. */
export function startRootCertPublisher(kube: KubeAccess, rootsPem: string, log: (line: string) => void, everyMs = 500) {
  let busy = false
  let roots = rootsPem
  const publish = () => {
    if (busy) return
    busy = true
    publishRootCert(kube, roots)
      .then((done) => done.forEach((d) => log(`${d.split(' ')[0]} ${NAME} in namespace ${d.split(' ')[1]}`)))
      .catch((err: Error) => log(`publishing ${NAME} failed: ${err.message}`))
      .finally(() => (busy = false))
  }
  const timer = setInterval(publish, everyMs)
  return {
    stop: () => clearInterval(timer),
    /** New roots (a rotation step); published at the next tick. */
    setRoots: (pem: string) => void (roots = pem),
  }
}
