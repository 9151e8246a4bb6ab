// SSH wire encoding (RFC 4251 section 5): strings and the fields of OpenSSH certificates (PROTOCOL.certkeys).

/** An SSH `string`: uint32 length, then the bytes. */
export function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** Reads SSH strings, uint32s and uint64s off a buffer in order. */
export class WireReader {
  #at = 0
  constructor(readonly data: Buffer) {}

  get offset(): number {
    return this.#at
  }

  bytes(): Buffer {
    const length = this.data.readUInt32BE(this.#at)
    const value = this.data.subarray(this.#at + 4, this.#at + 4 + length)
    if (value.length !== length) throw new Error('truncated SSH string')
    this.#at += 4 + length
    return value
  }

  text(): string {
    return this.bytes().toString('latin1')
  }

  uint32(): number {
    const value = this.data.readUInt32BE(this.#at)
    this.#at += 4
    return value
  }

  uint64(): bigint {
    const value = this.data.readBigUInt64BE(this.#at)
    this.#at += 8
    return value
  }
}

/** The fields of an OpenSSH certificate that meshvm checks. */
export interface Certificate {
  /** e.g. ssh-ed25519-cert-v01@openssh.com */
  type: string
  /** The certified key as a plain public key blob (`ssh-ed25519 …`). */
  publicKey: Buffer
  /** 1 user, 2 host. */
  kind: number
  keyId: string
  principals: string[]
  validAfter: bigint
  validBefore: bigint
  /** The CA's public key blob. */
  signatureKey: Buffer
  /** Everything the CA signed. */
  signed: Buffer
  signature: Buffer
}

// The key fields after the nonce, per key type (PROTOCOL.certkeys): ed25519 pk; ecdsa curve, Q; rsa e, n.
const KEY_FIELDS: Record<string, number> = {
  'ssh-ed25519': 1,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
  'ssh-rsa': 2,
}

/** The plain key type a certificate type certifies (ssh-ed25519-cert-v01@openssh.com → ssh-ed25519). */
export function certifiedType(type: string): string | undefined {
  const plain = /^(.*)-cert-v01@openssh\.com$/.exec(type)?.[1]
  return plain && KEY_FIELDS[plain] ? plain : undefined
}

/** Parses a certificate blob; undefined when it is not one meshvm knows. */
export function parseCertificate(blob: Buffer): Certificate | undefined {
  try {
    const r = new WireReader(blob)
    const type = r.text()
    const plain = certifiedType(type)
    if (!plain) return undefined
    r.bytes()
    const fields = Array.from({ length: KEY_FIELDS[plain] }, () => r.bytes())
    const publicKey = Buffer.concat([sshString(plain), ...fields.map(sshString)])
    r.uint64()
    const kind = r.uint32()
    const keyId = r.text()
    const principalsReader = new WireReader(r.bytes())
    const principals: string[] = []
    while (principalsReader.offset < principalsReader.data.length) principals.push(principalsReader.text())
    const validAfter = r.uint64()
    const validBefore = r.uint64()
    r.bytes()
    r.bytes()
    r.bytes()
    const signatureKey = r.bytes()
    const signed = blob.subarray(0, r.offset)
    const signature = r.bytes()
    return { type, publicKey, kind, keyId, principals, validAfter, validBefore, signatureKey, signed, signature }
  } catch {
    return undefined
  }
}
