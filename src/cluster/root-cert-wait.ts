import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

/**
 * istiod copies istio-ca-root-cert into a namespace shortly after the namespace appears; a namespace meshvm just
 * created is given that moment (bounded) before bundles read the certificate.
 */
export async function waitForRootCert(client: ClusterClient, namespace: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      await client.call({ verb: 'get', resource: 'configmaps', namespace, name: 'istio-ca-root-cert' }, () =>
        client.core.readNamespacedConfigMap({ namespace, name: 'istio-ca-root-cert' }),
      )
      return true
    } catch (e) {
      if (!(e instanceof ClusterError) || e.kind !== 'not-found' || Date.now() > deadline) return false
      await sleep(200)
    }
  }
  return false
}
