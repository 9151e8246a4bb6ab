// Host certificates (@cert-authority lines in known_hosts), checked as sshconnect.c check_host_cert does: a host
// certificate, signed by a CA listed for this host name, valid now, naming the host among its principals (or
// naming none).
import { createRequire } from 'node:module'
import ssh2 from 'ssh2'
import type { KnownHostEntry } from './known-hosts.js'
import { parseCertificate, WireReader } from './ssh-wire.js'

const { sigSSHToASN1 } = createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as {
  sigSSHToASN1: (signature: Buffer, type: string) => Buffer | false
}

const HOST_CERT = 2
const HASHES: Record<string, string | undefined> = {
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
  'ssh-rsa': 'sha1',
}

/** The -cert-v01 host key algorithms worth asking for (ssh2 verifies the plain key types it supports). */
export const HOST_CERT_ALGORITHMS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
]

function signedBy(ca: Buffer, signed: Buffer, signature: Buffer): boolean {
  const key = ssh2.utils.parseKey(`${new WireReader(ca).text()} ${ca.toString('base64')}`)
  const caKey = Array.isArray(key) ? key[0] : key
  if (caKey instanceof Error) return false
  const r = new WireReader(signature)
  const algorithm = r.text()
  const raw = sigSSHToASN1(r.bytes(), algorithm)
  return raw !== false && caKey.verify(signed, raw, HASHES[algorithm]) === true
}

/**
 * The certified plain key of `certificate` when it is valid for `name` (the host name or HostKeyAlias, without
 * the port) under one of `authorities`; else why not.
 */
export function checkHostCertificate(
  certificate: Buffer,
  name: string,
  authorities: KnownHostEntry[],
  revoked: (key: Buffer) => boolean,
): { key: Buffer } | { refused: string } {
  const cert = parseCertificate(certificate)
  if (!cert || cert.kind !== HOST_CERT) return { refused: 'not a host certificate' }
  if (!authorities.some((a) => a.key.equals(cert.signatureKey)))
    return { refused: 'signed by a CA known_hosts does not list for this host' }
  if (revoked(cert.signatureKey) || revoked(cert.publicKey)) return { refused: 'marked @revoked in known_hosts' }
  const now = BigInt(Math.floor(Date.now() / 1000))
  if (now < cert.validAfter || now >= cert.validBefore) return { refused: 'outside its validity period' }
  if (cert.principals.length > 0 && !cert.principals.includes(name)) {
    return { refused: `its principals (${cert.principals.join(', ')}) do not include ${name}` }
  }
  if (!signedBy(cert.signatureKey, cert.signed, cert.signature)) return { refused: 'its signature does not verify' }
  return { key: cert.publicKey }
}
