import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { SshError } from './errors.js'
import { shQuote } from './exec.js'
import { checkHostCertificate, HOST_CERT_ALGORITHMS } from './host-cert.js'
import { probeHostCertificate } from './host-cert-probe.js'
import {
  appendKnownHost,
  authoritiesFor,
  isRevoked,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  readKnownHosts,
} from './known-hosts.js'
import type { Hop } from './resolve.js'

const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType]
}

type KeyHop = Pick<
  Hop,
  'hostName' | 'port' | 'hostKeyName' | 'knownHostsFiles' | 'acceptNewHostKeys' | 'hashKnownHosts' | 'where'
>

/**
 * The names to look up: the HostKeyAlias or `[host]:port`; for a non-22 port without an alias, ssh falls back to
 * the bare host name when known_hosts has nothing at all under `[host]:port`.
 */
function lookupName(hop: KeyHop, entries: ReturnType<typeof readKnownHosts>): string {
  const decorated = knownHostName(hop.hostName, hop.port)
  if (hop.hostKeyName !== decorated || hop.port === 22) return hop.hostKeyName
  const none = (name: string) => checkHostKey(entries, name, Buffer.alloc(0)) === 'unknown'
  return none(decorated) && !none(hop.hostName) ? hop.hostName : decorated
}

/** Host key algorithms to offer: the types known_hosts holds for this hop first, as OpenSSH orders them. */
export function hostKeyAlgorithms(hop: KeyHop, certified?: Buffer): string[] {
  const entries = readKnownHosts(hop.knownHostsFiles)
  const known = [...(certified ? [keyTypeOf(certified)] : []), ...knownKeyTypes(entries, lookupName(hop, entries))]
  const preferred = known.flatMap(algorithmsFor).filter((a) => HOST_KEY_ALGORITHMS.includes(a))
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])]
}

/**
 * When known_hosts lists a @cert-authority for this hop: the key the hop's valid host certificate certifies (asked
 * for over `open()`, a second transport to the same hop), or the refusal. Undefined: no CA applies, or the host
 * offers no certificate (then known_hosts' plain keys decide).
 */
export async function certifiedHostKey(
  hop: KeyHop,
  open: () => Promise<Duplex>,
): Promise<Buffer | SshError | undefined> {
  const entries = readKnownHosts(hop.knownHostsFiles)
  const authorities = authoritiesFor(entries, lookupName(hop, entries))
  if (authorities.length === 0) return undefined
  const certificate = await probeHostCertificate(await open(), HOST_CERT_ALGORITHMS)
  if (!certificate) return undefined
  const principal = hop.hostKeyName === knownHostName(hop.hostName, hop.port) ? hop.hostName : hop.hostKeyName
  const verdict = checkHostCertificate(certificate, principal, authorities, (k) => isRevoked(entries, k))
  if ('key' in verdict) return verdict.key
  return new SshError(
    'hostkey',
    hop.where,
    `${hop.where}: the host certificate of ${principal} is refused: ${verdict.refused}`,
  )
}

/** Checks the key `hop` presented against known_hosts (and its certified key); the refusal, or undefined to accept. */
export function verifyHostKey(hop: KeyHop, key: Buffer, certified?: Buffer): SshError | undefined {
  const entries = readKnownHosts(hop.knownHostsFiles)
  if (certified && key.equals(certified) && !isRevoked(entries, key)) return undefined
  const name = lookupName(hop, entries)
  const verdict = checkHostKey(entries, name, key)
  if (verdict === 'match') return undefined
  if (verdict === 'unknown' && hop.acceptNewHostKeys && hop.knownHostsFiles.length > 0) {
    appendKnownHost(hop.knownHostsFiles[0], hop.hostKeyName, key, hop.hashKnownHosts)
    return undefined
  }
  const keyId = `${keyTypeOf(key)} key ${fingerprint(key)}`
  const file = hop.knownHostsFiles[0]
  // ssh-keygen edits ~/.ssh/known_hosts unless told which file: the fleet's own file needs -f
  const onFile = file === join(homedir(), '.ssh', 'known_hosts') ? '' : ` -f ${shQuote(file)}`
  const messages = {
    revoked: `${hop.where}: the ${keyId} of ${name} is marked @revoked in known_hosts; refusing to connect`,
    changed:
      `${hop.where}: REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it presented ${keyId}, which ` +
      `known_hosts (${hop.knownHostsFiles[0]}) does not list. Someone may be intercepting the connection, ` +
      `or the host was reinstalled; if you trust the new key, run: ssh-keygen -R ${shQuote(name)}${onFile}`,
    unknown:
      `${hop.where}: host key for ${name} is not known (${keyId}); add it to known_hosts (${file}) or pass ` +
      '--accept-new-host-keys',
  }
  return new SshError('hostkey', hop.where, messages[verdict])
}
