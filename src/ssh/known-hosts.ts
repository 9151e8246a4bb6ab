import { createHash, createHmac, randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { matchHostPatterns } from './host-pattern.js'

/** One known_hosts line. `key` is the raw public key blob, as the server sends it. */
export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority'
  hosts: string
  keyType: string
  key: Buffer
}

/** What known_hosts says about a host key: OpenSSH's HOST_OK / HOST_CHANGED / HOST_NEW / HOST_REVOKED. */
export type HostKeyVerdict = 'match' | 'changed' | 'unknown' | 'revoked'

/** The name known_hosts files use for a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

function parseLine(line: string): KnownHostEntry | undefined {
  const fields = line.trim().split(/\s+/)
  if (fields.length < 3 || fields[0].startsWith('#')) return undefined
  const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields[0] : undefined
  const [hosts, keyType, base64] = marker ? fields.slice(1) : fields
  if (!base64) return undefined
  return { marker, hosts, keyType, key: Buffer.from(base64, 'base64') }
}

/** HashKnownHosts yes: `|1|salt|HMAC-SHA1(salt, name)`, as ssh-keygen -H writes it. */
export function hashHostName(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

/** Reads and parses known_hosts files; missing files count as empty. */
export function readKnownHosts(files: string[]): KnownHostEntry[] {
  return files
    .filter((f) => existsSync(f))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
    .map(parseLine)
    .filter((e): e is KnownHostEntry => e !== undefined)
}

function hostsFieldMatches(hosts: string, name: string): boolean {
  // Hashed entry (HashKnownHosts yes): |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(hosts)
  if (hashed) {
    // ssh hashes the lower-cased name (hostfile.c host_hash after the host was lower-cased in ssh.c)
    return (
      createHmac('sha1', Buffer.from(hashed[1], 'base64')).update(name.toLowerCase()).digest('base64') === hashed[2]
    )
  }
  return matchHostPatterns(name, hosts.split(','))
}

/** The key type named inside a public key blob (its first SSH string, e.g. `ssh-ed25519`). */
export function keyTypeOf(blob: Buffer): string {
  return blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1')
}

/** OpenSSH's `SHA256:...` fingerprint of a public key blob. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')
}

/** The @cert-authority entries that apply to `name`. */
export function authoritiesFor(entries: KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => e.marker === '@cert-authority' && hostsFieldMatches(e.hosts, name))
}

/** True when `key` is marked @revoked (for any host, as ssh's revocation applies). */
export function isRevoked(entries: KnownHostEntry[], key: Buffer): boolean {
  return entries.some((e) => e.marker === '@revoked' && e.key.equals(key))
}

/** Key types known_hosts holds for `name` (to offer them first in the key exchange, as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => !e.marker && hostsFieldMatches(e.hosts, name)).map((e) => e.keyType))]
}

/** Verifies the key a server presented. Known only with other key types counts as changed (fail closed). */
export function checkHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && hostsFieldMatches(e.hosts, name))
  if (forHost.some((e) => e.marker === '@revoked' && e.key.equals(blob))) return 'revoked'
  const plain = forHost.filter((e) => !e.marker)
  if (plain.some((e) => e.key.equals(blob))) return 'match'
  return plain.length > 0 ? 'changed' : 'unknown'
}

/** Records a new host key. One append of one line, so parallel connections never interleave partial lines. */
export function appendKnownHost(file: string, name: string, blob: Buffer, hashed = false): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const old = existsSync(file) ? readFileSync(file) : Buffer.alloc(0)
  const separator = old.length > 0 && old[old.length - 1] !== 0x0a ? '\n' : ''
  const host = hashed ? hashHostName(name) : name
  appendFileSync(file, `${separator}${host} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 })
}
