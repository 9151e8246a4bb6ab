import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto'
import type { ObjectStore } from './store.js'
import { invalid, notFound } from './status.js'
import type { ResourceType } from './resources.js'
import { timestamp } from './verbs.js'

/** The issuer of kube-apiserver's default `--service-account-issuer`; also the API server's own audience. */
export const ISSUER = 'https://kubernetes.default.svc.cluster.local'

/** Claims of a service-account token, as kube-apiserver issues them. */
export interface TokenClaims {
  iss: string
  sub: string
  aud: string[]
  exp: number
  iat: number
  nbf: number
  jti: string
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } }
}

/** The parts of a TokenRequest / TokenReview body the emulator reads. */
export interface TokenBody {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: unknown; token?: string }
}

const rfc3339 = (seconds: number) => timestamp(seconds * 1000)

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')

/** RS256 signing and checking of service-account JWTs with one key pair. */
export class TokenIssuer {
  readonly #privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly kid: string

  /**
   * `minExpirationSeconds`: kube-apiserver refuses TokenRequests under 600 s; the lab lowers it (only when asked) so a
   * test can watch a token expire in seconds.
   */
  constructor(
    privateKey?: KeyObject,
    readonly minExpirationSeconds = 600,
  ) {
    this.#privateKey = privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    this.publicKey = createPublicKey(this.#privateKey)
    this.kid = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest())
  }

  issue(sa: { namespace: string; name: string; uid: string }, audiences: string[], expirationSeconds: number) {
    const iat = Math.floor(Date.now() / 1000)
    const claims: TokenClaims = {
      aud: audiences,
      exp: iat + expirationSeconds,
      iat,
      iss: ISSUER,
      jti: randomUUID(),
      'kubernetes.io': { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } },
      nbf: iat,
      sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    }
    const head = b64url(JSON.stringify({ alg: 'RS256', kid: this.kid }))
    const body = b64url(JSON.stringify(claims))
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), this.#privateKey)
    return { token: `${head}.${body}.${b64url(sig)}`, claims }
  }

  /** Checks signature, issuer, time window and (when given) that the token's audiences meet `audiences`. */
  check(token: string, audiences: string[]): { claims: TokenClaims; audiences: string[] } | { error: string } {
    const parts = token.split('.')
    if (parts.length !== 3) return { error: 'invalid bearer token, token malformed' }
    const [head, body, sig] = parts
    if (!verify('sha256', Buffer.from(`${head}.${body}`), this.publicKey, Buffer.from(sig, 'base64url'))) {
      return { error: 'invalid bearer token, square/go-jose: error in cryptographic primitive' }
    }
    let claims: TokenClaims
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString())
    } catch {
      return { error: 'invalid bearer token, token malformed' }
    }
    const t = Math.floor(Date.now() / 1000)
    if (claims.iss !== ISSUER) return { error: 'invalid bearer token, token issuer is not recognised' }
    if (claims.exp <= t) return { error: 'invalid bearer token, service account token has expired' }
    if (claims.nbf > t + 60) return { error: 'invalid bearer token, service account token is not valid yet' }
    const met = claims.aud.filter((a) => audiences.includes(a))
    if (met.length === 0) return { error: 'invalid bearer token, token audiences do not match' }
    return { claims, audiences: met }
  }
}

/** `POST .../serviceaccounts/<sa>/token` (authentication.k8s.io/v1 TokenRequest). */
export function tokenRequest(
  store: ObjectStore,
  issuer: TokenIssuer,
  saType: ResourceType,
  ns: string,
  name: string,
  body: TokenBody,
): Record<string, unknown> {
  const sa = store.get('serviceaccounts', ns, name)
  if (!sa) throw notFound(saType, name)
  const spec = body?.spec ?? {}
  const expirationSeconds = Number(spec.expirationSeconds ?? 3600)
  const tokenType = { ...saType, kind: 'TokenRequest' }
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < issuer.minExpirationSeconds) {
    const detail = `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes`
    throw invalid(tokenType, name, 'spec.expirationSeconds', detail)
  }
  const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : [ISSUER]
  const { token, claims } = issuer.issue({ namespace: ns, name, uid: sa.metadata.uid! }, audiences, expirationSeconds)
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: rfc3339(claims.iat) },
    spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: rfc3339(claims.exp) },
  }
}

/** `POST /apis/authentication.k8s.io/v1/tokenreviews`: never an HTTP error for a bad token, only `status.error`. */
export function tokenReview(store: ObjectStore, issuer: TokenIssuer, body: TokenBody): Record<string, unknown> {
  const spec = body?.spec ?? {}
  const wanted: string[] = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : [ISSUER]
  const result = issuer.check(String(spec.token ?? ''), wanted)
  let status: Record<string, unknown>
  if ('error' in result) status = { authenticated: false, user: {}, error: `[${result.error}]` }
  else {
    const k = result.claims['kubernetes.io']
    const sa = store.get('serviceaccounts', k.namespace, k.serviceaccount.name)
    if (!sa || sa.metadata.uid !== k.serviceaccount.uid) {
      const error = `[invalid bearer token, service account ${k.namespace}/${k.serviceaccount.name} has been deleted]`
      status = { authenticated: false, user: {}, error }
    } else {
      status = {
        authenticated: true,
        user: {
          username: result.claims.sub,
          uid: k.serviceaccount.uid,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
        },
        audiences: result.audiences,
      }
    }
  }
  const metadata = { creationTimestamp: null }
  return { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata, spec, status }
}
