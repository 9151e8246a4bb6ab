import { Secret } from '../secret.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

/** The audience istiod's CA accepts. */
export const ISTIO_CA_AUDIENCE = 'istio-ca'

/**
 * Mints a service-account token for the VM (TokenRequest, audience istio-ca), as istioctl does. The value only leaves
 * here inside a Secret; errors use istioctl's text and never carry a token.
 */
export async function mintToken(
  client: ClusterClient,
  namespace: string,
  serviceAccount: string,
  durationSeconds: number,
): Promise<Secret> {
  const op = { verb: 'create', resource: 'serviceaccounts/token', namespace, name: serviceAccount }
  try {
    const reply = await client.call(op, () =>
      client.core.createNamespacedServiceAccountToken({
        namespace,
        name: serviceAccount,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: { name: serviceAccount, namespace },
          spec: { audiences: [ISTIO_CA_AUDIENCE], expirationSeconds: durationSeconds },
        },
      }),
    )
    return new Secret(reply.status?.token ?? '')
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e
    const cause = e.apiMessage ?? e.message
    const text = `could not create a token under service account ${serviceAccount} in namespace ${namespace}: ${cause}`
    throw new ClusterError(text, e.kind, e.status, e.apiMessage)
  }
}
