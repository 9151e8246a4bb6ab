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

const MEMO = 'service-account-issuer'

/**
 * The issuer the cluster's service-account tokens carry, from its OIDC discovery document (a GET, served by
 * kube-apiserver since 1.21: pkg/serviceaccount/openidmetadata.go); undefined when this user may not read it.
 */
function serviceAccountIssuer(client: ClusterClient): Promise<string | undefined> {
  if (!client.memo.has(MEMO)) {
    const op = { verb: 'get', resource: '/.well-known/openid-configuration' }
    const lookup = client
      .call(op, () => client.wellKnown.getServiceAccountIssuerOpenIDConfiguration())
      .then((doc: unknown) => {
        const parsed = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { issuer?: unknown }
        return typeof parsed?.issuer === 'string' ? parsed.issuer : undefined
      })
      .catch((e: unknown) => {
        if (e instanceof ClusterError || e instanceof SyntaxError) return undefined
        throw e
      })
    client.memo.set(MEMO, lookup)
  }
  return client.memo.get(MEMO) as Promise<string | undefined>
}

/**
 * Check mode's stand-in for the token `mintToken` would give, made without asking the cluster for one (a TokenRequest
 * is a write): an unsigned JWT with the claims the new token would carry — issuer (when the cluster says it), the
 * service account as subject, audience istio-ca, expiry `durationSeconds` from now. The upload step compares the VM's
 * token with these claims exactly as with a minted one; the stand-in itself is never written anywhere.
 */
export async function plannedToken(
  client: ClusterClient,
  namespace: string,
  serviceAccount: string,
  durationSeconds: number,
): Promise<Secret> {
  const iss = await serviceAccountIssuer(client)
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    ...(iss === undefined ? {} : { iss }),
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    aud: [ISTIO_CA_AUDIENCE],
    exp: now + durationSeconds,
  }
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return new Secret(`${part({ alg: 'none' })}.${part(claims)}.`)
}
