// Fetches a server's host certificate: ssh2 negotiates plain host keys only, so a short key exchange of its own
// (RFC 4253 sections 4.2, 6, 7.1; RFC 8731 curve25519) offers only -cert-v01 host key algorithms and reads the
// certificate from the server's KEX_ECDH_REPLY, then hangs up. Nothing is trusted from this exchange: the
// certificate is checked against the CA, and the real handshake must then present the certified key.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { sshString, WireReader } from './ssh-wire.js'

const KEXINIT = 20
const KEX_ECDH_INIT = 30
const KEX_ECDH_REPLY = 31
const PROBE_TIMEOUT_MS = 10_000
const MAX_BYTES = 256 * 1024

function packet(payload: Buffer): Buffer {
  let padding = 8 - ((payload.length + 5) % 8)
  if (padding < 4) padding += 8
  const length = Buffer.alloc(5)
  length.writeUInt32BE(payload.length + 1 + padding)
  length[4] = padding
  return Buffer.concat([length, payload, randomBytes(padding)])
}

function kexinit(hostKeyAlgorithms: string[]): Buffer {
  const lists = [
    'curve25519-sha256,curve25519-sha256@libssh.org',
    hostKeyAlgorithms.join(','),
    'aes128-ctr',
    'aes128-ctr',
    'hmac-sha2-256',
    'hmac-sha2-256',
    'none',
    'none',
    '',
    '',
  ]
  return Buffer.concat([Buffer.from([KEXINIT]), randomBytes(16), ...lists.map(sshString), Buffer.alloc(5)])
}

function x25519Public(): Buffer {
  const { publicKey } = generateKeyPairSync('x25519')
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
}

/** The host certificate blob the server behind `stream` offers for `algorithms`; undefined when it has none. */
export function probeHostCertificate(stream: Duplex, algorithms: string[]): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0)
    let versionSeen = false
    const done = (cert: Buffer | undefined) => {
      clearTimeout(timer)
      stream.removeAllListeners('data')
      stream.destroy()
      resolve(cert)
    }
    const timer = setTimeout(() => done(undefined), PROBE_TIMEOUT_MS)
    stream.on('error', () => done(undefined))
    stream.on('close', () => done(undefined))
    stream.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      if (buffer.length > MAX_BYTES) return done(undefined)
      if (!versionSeen) {
        const text = buffer.toString('latin1')
        const end = text.search(/^SSH-[^\n]*\n/m)
        if (end < 0) return
        const eol = text.indexOf('\n', end)
        buffer = buffer.subarray(eol + 1)
        versionSeen = true
        stream.write(packet(kexinit(algorithms)))
        stream.write(packet(Buffer.concat([Buffer.from([KEX_ECDH_INIT]), sshString(x25519Public())])))
      }
      while (buffer.length >= 5) {
        const length = buffer.readUInt32BE(0)
        if (buffer.length < 4 + length) return
        const payload = buffer.subarray(5, 4 + length - buffer[4])
        buffer = buffer.subarray(4 + length)
        if (payload[0] === KEX_ECDH_REPLY) return done(new WireReader(payload.subarray(1)).bytes())
        if (payload[0] !== KEXINIT) return done(undefined)
      }
    })
    stream.write('SSH-2.0-meshvm_hostcert_probe\r\n')
  })
}
