// Token authentication as istiod's Kubernetes JWT authenticator does it: a TokenReview for audience `istio-ca`, then
// the reviewed identity must be a service account, and the one the proxy claims to be.
import { kubeRequest, type KubeAccess } from './kube-client.js'
import { Refusal } from './refusal.js'

export const istioCaAudience = 'istio-ca'
const saPrefix = 'system:serviceaccount:'

/** A proxy identity istiod verified from its token. */
export interface VerifiedIdentity {
  namespace: string
  serviceAccount: string
}

interface TokenReviewStatus {
  authenticated?: boolean
  error?: string
  audiences?: string[]
  user?: { username?: string }
}

export function bearerToken(authorization: string | undefined): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (!m) throw new Refusal('Unauthenticated', 'authentication failure: no bearer token in the request')
  return m[1]
}

export async function verifyToken(kube: KubeAccess, token: string, now = Date.now()): Promise<VerifiedIdentity> {
  const review = await kubeRequest(kube, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences: [istioCaAudience] },
  })
  if (review.status !== 201 && review.status !== 200) {
    throw new Refusal('Unavailable', `failed to call the TokenReview API: HTTP ${review.status}`)
  }
  const status = ((review.body as { status?: TokenReviewStatus } | undefined)?.status ?? {}) as TokenReviewStatus
  if (!status.authenticated) {
    throw new Refusal('Unauthenticated', `authentication failure: the token is not authenticated: ${status.error ?? 'no reason given'}`)
  }
  const claims = jwtClaims(token)
  // An API server answers with the audiences it checked; older ones leave them out, so fall back to the claim.
  const audiences = status.audiences ?? [claims.aud ?? []].flat()
  if (!audiences.includes(istioCaAudience)) {
    throw new Refusal('Unauthenticated', `authentication failure: the token audiences ${JSON.stringify(audiences)} do not include ${istioCaAudience}`)
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) {
    throw new Refusal('Unauthenticated', `authentication failure: the token expired at ${new Date(claims.exp * 1000).toISOString()}`)
  }
  const username = status.user?.username ?? ''
  const parts = username.startsWith(saPrefix) ? username.slice(saPrefix.length).split(':') : []
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Refusal('Unauthenticated', `authentication failure: ${JSON.stringify(username)} is not a service account`)
  }
  return { namespace: parts[0], serviceAccount: parts[1] }
}

/** The proxy must be who its token says: same namespace, same service account (when it names one). */
export function ensureClaimMatches(id: VerifiedIdentity, claim: { namespace: string; serviceAccount?: string }): void {
  if (claim.namespace !== id.namespace || (claim.serviceAccount && claim.serviceAccount !== id.serviceAccount)) {
    throw new Refusal(
      'PermissionDenied',
      `the proxy claims namespace ${claim.namespace} service account ${claim.serviceAccount || '(none)'} but its token is for ${id.namespace}/${id.serviceAccount}`,
    )
  }
}

export function spiffeId(trustDomain: string, id: VerifiedIdentity): string {
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`
}

function jwtClaims(token: string): { aud?: string | string[]; exp?: number } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as object
  } catch {
    return {}
  }
}
