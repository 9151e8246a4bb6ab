// The VM's identity facts read into what status reasons about: the workload certificate (validity, who signed it),
// the trusted roots (fingerprints; a bundle of several during a rotation overlap) and the XDS connection from the log.
import { X509Certificate } from 'node:crypto'

/** SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it. */
export type Fingerprint = string

export interface CertificateFacts {
  notBefore: number
  notAfter: number
  spiffeId?: string
  /** Fingerprints of the roots (among those given) the leaf verifies against. */
  signedBy: Fingerprint[]
}

const PEM = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g

/** Every certificate of a PEM bundle that parses. */
export function certificatesIn(pem: string | undefined): X509Certificate[] {
  return (pem?.match(PEM) ?? []).flatMap((p) => {
    try {
      return [new X509Certificate(p)]
    } catch {
      return []
    }
  })
}

export const fingerprints = (pem: string | undefined): Fingerprint[] => certificatesIn(pem).map((c) => c.fingerprint256)

/** The leaf of cert-chain.pem, and which of `rootsPem` it chains to. */
export function certificateFacts(chainPem: string | undefined, rootsPem: string[]): CertificateFacts | undefined {
  const [leaf] = certificatesIn(chainPem)
  if (!leaf) return undefined
  const roots = rootsPem.flatMap((r) => certificatesIn(r))
  const signedBy = roots.filter((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey)).map((r) => r.fingerprint256)
  return {
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    spiffeId: /URI:(spiffe:\/\/[^,\s]+)/.exec(leaf.subjectAltName ?? '')?.[1],
    signedBy: [...new Set(signedBy)],
  }
}

/** How the VM's roots compare with the cluster's istio-ca-root-cert. */
export type RootComparison =
  | { state: 'same' }
  | { state: 'missing-on-vm' }
  | { state: 'lacks-new'; missing: Fingerprint[] }
  | { state: 'keeps-old'; extra: Fingerprint[] }
  | { state: 'disjoint' }

export function compareRoots(vm: Fingerprint[], cluster: Fingerprint[]): RootComparison {
  if (vm.length === 0) return { state: 'missing-on-vm' }
  const missing = cluster.filter((f) => !vm.includes(f))
  const extra = vm.filter((f) => !cluster.includes(f))
  if (missing.length === 0 && extra.length === 0) return { state: 'same' }
  if (missing.length === cluster.length) return { state: 'disjoint' }
  if (missing.length > 0) return { state: 'lacks-new', missing }
  return { state: 'keeps-old', extra }
}

export interface XdsFacts {
  connected: boolean
  lastConnectAt?: number
  /** The last warning or error line after the last connect (or at all, when never connected). */
  lastError?: { at: number; text: string }
}

const stamp = (line: string) => Date.parse(line.split('\t')[0] ?? '')

/**
 * Connected now: a `connected to upstream XDS server` line since the unit last started, and no XDS failure (or
 * agent exit) after it. Certificate renewal warnings do not cut the connection, so they do not count as failures.
 */
export function xdsFacts(lines: string[], unitActiveSince: number | undefined): XdsFacts {
  let lastConnectAt: number | undefined
  let lastFailure: { at: number; text: string } | undefined
  let lastError: { at: number; text: string } | undefined
  for (const line of lines) {
    const at = stamp(line)
    if (Number.isNaN(at)) continue
    const text = line.split('\t').slice(1).join(' ')
    if (line.includes('connected to upstream XDS server')) lastConnectAt = at
    else if (/\t(warn|error)\t/.test(line)) {
      lastError = { at, text }
      if (/\t(xdsproxy|agent|citadelclient)\t/.test(line)) lastFailure = { at, text }
    }
  }
  const since = unitActiveSince ?? 0
  const connected =
    lastConnectAt !== undefined && lastConnectAt >= since - 1000 && (!lastFailure || lastFailure.at < lastConnectAt)
  const errorAfterConnect =
    lastError && (lastConnectAt === undefined || lastError.at >= lastConnectAt) ? lastError : undefined
  return { connected, lastConnectAt, lastError: errorAfterConnect }
}
