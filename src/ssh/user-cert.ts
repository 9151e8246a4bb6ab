// SSH user certificates (CertificateFile, <key>-cert.pub) for ssh2, which has none: the key offered carries the
// certificate blob and -cert-v01 algorithm, and the one request ssh2 cannot build (the signature names the plain
// algorithm, the request the certificate's) is built here (RFC 4252 section 7; OpenSSH PROTOCOL.certkeys).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Client, ParsedKey } from 'ssh2'
import { certifiedType, parseCertificate, sshString } from './ssh-wire.js'

// ssh2's own packet writer and signature encoder (lib/protocol/utils.js), so the request goes out as its others do.
const { sendPacket, convertSignature } = createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: Protocol, packet: Buffer) => void
  convertSignature: (signature: Buffer, keyType: string) => Buffer | false
}

interface Protocol {
  authPK(username: string, key: unknown, keyAlgo?: unknown, cbSign?: unknown): void
  _authsQueue: string[]
  _kex: { sessionID: Buffer }
  _packetRW: { write: { alloc(size: number): Buffer; allocStart: number; finalize(packet: Buffer): Buffer } }
}

interface Certified {
  blob: Buffer
  algorithm: string
  signAlgorithm: string
  hash?: string
  key: ParsedKey
}

const USERAUTH_REQUEST = 50
const certified = new WeakMap<object, Certified>()

/** The certificate in `file` when it certifies `key` (the private key's public half); else undefined. */
export function certificateFor(file: string, key: ParsedKey): Buffer | undefined {
  if (!existsSync(file)) return undefined
  const [type, base64] = readFileSync(file, 'utf8').trim().split(/\s+/)
  if (!type || !base64 || !certifiedType(type)) return undefined
  const blob = Buffer.from(base64, 'base64')
  const cert = parseCertificate(blob)
  return cert && cert.kind === 1 && cert.publicKey.equals(key.getPublicSSH()) ? blob : undefined
}

/** `key` as ssh2 should offer it with `certificate`: the certificate's type and blob, the private key's signatures. */
export function withCertificate(key: ParsedKey, certificate: Buffer): ParsedKey {
  const rsa = key.type === 'ssh-rsa'
  const algorithm = rsa ? 'rsa-sha2-512-cert-v01@openssh.com' : `${key.type}-cert-v01@openssh.com`
  const offered = Object.create(key, { type: { value: algorithm }, getPublicSSH: { value: () => certificate } })
  const signAlgorithm = rsa ? 'rsa-sha2-512' : key.type
  certified.set(offered, { blob: certificate, algorithm, signAlgorithm, hash: rsa ? 'sha512' : undefined, key })
  return offered as ParsedKey
}

function send(proto: Protocol, payload: Buffer): void {
  const w = proto._packetRW.write
  const packet = w.alloc(payload.length)
  packet.set(payload, w.allocStart)
  sendPacket(proto, w.finalize(packet))
}

/** Makes `client` (after connect()) send certificate keys from withCertificate() as OpenSSH does. */
export function enableCertificateAuth(client: Client): void {
  const proto = (client as unknown as { _protocol: Protocol })._protocol
  const original = proto.authPK.bind(proto)
  proto.authPK = (username, key, keyAlgo, cbSign) => {
    const cert = typeof key === 'object' && key !== null ? certified.get(key) : undefined
    if (!cert) return original(username, key, keyAlgo, cbSign)
    const sign = typeof keyAlgo === 'function' || typeof cbSign === 'function'
    const head = Buffer.concat([
      Buffer.from([USERAUTH_REQUEST]),
      sshString(username),
      sshString('ssh-connection'),
      sshString('publickey'),
      Buffer.from([sign ? 1 : 0]),
      sshString(cert.algorithm),
      sshString(cert.blob),
    ])
    if (sign) {
      const raw = cert.key.sign(Buffer.concat([sshString(proto._kex.sessionID), head]), cert.hash)
      const signature = raw instanceof Error ? false : convertSignature(raw, cert.key.type)
      if (!signature) throw new Error(`cannot sign with the key of certificate ${cert.algorithm}`)
      send(
        proto,
        Buffer.concat([head, sshString(Buffer.concat([sshString(cert.signAlgorithm), sshString(signature)]))]),
      )
    } else send(proto, head)
    proto._authsQueue.push('publickey')
  }
}
