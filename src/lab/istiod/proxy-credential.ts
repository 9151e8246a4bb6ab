// Who a request comes from, as istiod's authenticators decide it (security/pkg/server/ca/authenticate): a client
// certificate that chains to the mesh's trusted roots and names a SPIFFE identity (ClientCertAuthenticator), else the
// bearer token through a TokenReview (KubeJWTAuthenticator). cert-manager istio-csr's default turns the first off.
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { bearerToken, verifyToken, type VerifiedIdentity } from './authenticate.js'
import type { KubeAccess } from './kube-client.js'
import { Refusal } from './refusal.js'

/** An authenticated proxy: its identity, how it proved it, and a hash that names that credential. */
export interface ProxyCredential {
  id: VerifiedIdentity
  via: 'client-certificate' | 'token'
  hash: string
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

/** The SPIFFE identity of a verified client certificate of `trustDomain`, or why there is none. */
export function certificateIdentity(req: IncomingMessage, trustDomain: string): { id: VerifiedIdentity; hash: string } | { reason: string } {
  const socket = req.socket as TLSSocket
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined
  if (!peer || !peer.raw) return { reason: 'no client certificate' }
  if (!socket.authorized) return { reason: `the client certificate is not valid: ${String(socket.authorizationError)}` }
  const uri = /URI:spiffe:\/\/([^/,]+)\/ns\/([^/,]+)\/sa\/([^/,\s]+)/.exec(peer.subjectaltname ?? '')
  if (!uri) return { reason: 'the client certificate names no SPIFFE identity' }
  if (uri[1] !== trustDomain) return { reason: `the client certificate is of trust domain ${uri[1]}, not ${trustDomain}` }
  return { id: { namespace: uri[2], serviceAccount: uri[3] }, hash: sha256(peer.raw) }
}

/** Authenticates a proxy request; `acceptCertificate` false is a CA that only takes tokens. */
export async function authenticateProxy(
  req: IncomingMessage,
  kube: KubeAccess,
  o: { trustDomain: string; acceptCertificate: boolean; refused?: (reason: string) => void },
): Promise<ProxyCredential> {
  const cert = o.acceptCertificate ? certificateIdentity(req, o.trustDomain) : undefined
  if (cert && 'id' in cert) return { id: cert.id, via: 'client-certificate', hash: cert.hash }
  // a certificate shown and not accepted is a refused chain, even when the token then lets the proxy in
  if (cert && cert.reason !== 'no client certificate') o.refused?.(cert.reason)
  try {
    const token = bearerToken(req.headers.authorization)
    return { id: await verifyToken(kube, token), via: 'token', hash: sha256(token) }
  } catch (err) {
    if (!(err instanceof Refusal) || !cert || cert.reason === 'no client certificate') throw err
    throw new Refusal(err.code, `${err.message}; ${cert.reason}`)
  }
}
