import { SshError } from './errors.js'
import {
  appendKnownHost,
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

/** Host key algorithms to offer: the types known_hosts holds for this hop first, as OpenSSH orders them. */
export function hostKeyAlgorithms(hop: Hop): string[] {
  const known = knownKeyTypes(readKnownHosts(hop.knownHostsFiles), knownHostName(hop.hostName, hop.port))
  const preferred = known.flatMap(algorithmsFor).filter((a) => HOST_KEY_ALGORITHMS.includes(a))
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])]
}

/** Checks the key `hop` presented against known_hosts; returns the refusal, or undefined to accept. */
export function verifyHostKey(hop: Hop, key: Buffer): SshError | undefined {
  const name = knownHostName(hop.hostName, hop.port)
  const verdict = checkHostKey(readKnownHosts(hop.knownHostsFiles), name, key)
  if (verdict === 'match') return undefined
  if (verdict === 'unknown' && hop.acceptNewHostKeys) {
    appendKnownHost(hop.knownHostsFiles[0], name, key)
    return undefined
  }
  const keyId = `${keyTypeOf(key)} key ${fingerprint(key)}`
  const messages = {
    revoked: `${hop.where}: the ${keyId} of ${name} is marked @revoked in known_hosts; refusing to connect`,
    changed:
      `${hop.where}: REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it presented ${keyId}, which ` +
      `known_hosts (${hop.knownHostsFiles[0]}) does not list. Someone may be intercepting the connection, ` +
      `or the host was reinstalled; if you trust the new key, run: ssh-keygen -R '${name}'`,
    unknown:
      `${hop.where}: host key for ${name} is not known (${keyId}); add it to known_hosts or pass ` +
      '--accept-new-host-keys',
  }
  return new SshError('hostkey', hop.where, messages[verdict])
}
