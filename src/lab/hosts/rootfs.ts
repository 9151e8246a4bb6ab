import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, runStatus } from './run.js'

/** The host's root: the shared base as the read-only lower layer, its own upper layer under hostDir. */
export async function mountOverlay(baseDir: string, hostDir: string, root: string): Promise<void> {
  const upper = join(hostDir, 'upper')
  const work = join(hostDir, 'work')
  for (const d of [upper, work, root]) mkdirSync(d, { recursive: true })
  if (isMounted(root)) return
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${baseDir},upperdir=${upper},workdir=${work}`, root])
}

export function isMounted(path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === path)
}

/** Unmounts (lazily if something still holds it); a path that is not mounted is fine. */
export async function unmount(path: string): Promise<void> {
  if (!isMounted(path)) return
  if ((await runStatus('umount', [path])).code !== 0) await run('umount', ['-l', path])
}

function ids(root: string, user: string): [number, number] {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`))
  const f = line?.split(':') ?? []
  return [Number(f[2]), Number(f[3])]
}

function writeAuthorizedKeys(root: string, user: string, home: string, publicKey: string): void {
  const sshDir = join(root, home, '.ssh')
  mkdirSync(sshDir, { recursive: true, mode: 0o700 })
  const file = join(sshDir, 'authorized_keys')
  writeFileSync(file, publicKey.trim() + '\n', { mode: 0o600 })
  const [uid, gid] = ids(root, user)
  chownSync(sshDir, uid, gid)
  chownSync(file, uid, gid)
}

/** A host's ssh identity, kept across a reset so known_hosts stays valid. */
export interface HostKeyPair {
  privateKey: string
  publicKey: string
}

const hostKeyPath = (root: string): string => join(root, 'etc/ssh/ssh_host_ed25519_key')

export function readHostKeyPair(root: string): HostKeyPair {
  const key = hostKeyPath(root)
  return { privateKey: readFileSync(key, 'utf8'), publicKey: readFileSync(`${key}.pub`, 'utf8') }
}

/** The keys authorized for root on the host (the same list every lab user gets). */
export function readAuthorizedKeys(root: string): string {
  return readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8')
}

/**
 * Writes the host's identity into its root once, at creation (or after a reset, with the host key it had): later
 * boots keep whatever the host (or meshvm) changed. Returns the host's public ed25519 key line.
 */
export async function ensureIdentity(
  root: string,
  hostname: string,
  clientPublicKey: string,
  keep?: HostKeyPair,
): Promise<string> {
  const hostKey = hostKeyPath(root)
  if (!existsSync(hostKey)) {
    writeFileSync(join(root, 'etc/hostname'), `${hostname}\n`)
    writeFileSync(
      join(root, 'etc/hosts'),
      `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    )
    writeAuthorizedKeys(root, 'root', 'root', clientPublicKey)
    writeAuthorizedKeys(root, 'admin', 'home/admin', clientPublicKey)
    writeAuthorizedKeys(root, 'operator', 'home/operator', clientPublicKey)
    if (keep) {
      writeFileSync(hostKey, keep.privateKey, { mode: 0o600 })
      writeFileSync(`${hostKey}.pub`, keep.publicKey, { mode: 0o644 })
    } else {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${hostname}`, '-f', hostKey])
    }
  }
  return readFileSync(`${hostKey}.pub`, 'utf8').trim()
}
