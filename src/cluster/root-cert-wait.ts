import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

/**
 * istiod copies istio-ca-root-cert into a namespace shortly after the namespace appears; a namespace meshvm just
 * created is given that moment (bounded) before bundles read the certificate. Returns the certificate (empty when the
 * ConfigMap has none), or undefined when it did not appear or the read failed otherwise: the caller's own read then
 * says why.
 */
export async function waitForRootCert(
  client: ClusterClient,
  namespace: string,
  timeoutMs = 15_000,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      const configMap = await client.call(
        { verb: 'get', resource: 'configmaps', namespace, name: 'istio-ca-root-cert' },
        () => client.core.readNamespacedConfigMap({ namespace, name: 'istio-ca-root-cert' }),
      )
      return configMap.data?.['root-cert.pem'] ?? ''
    } catch (e) {
      if (!(e instanceof ClusterError) || e.kind !== 'not-found' || Date.now() > deadline) return undefined
      await sleep(200)
    }
  }
  return undefined
}
