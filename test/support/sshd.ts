// A real OpenSSH server on 127.0.0.1 for tests: own host key, config, authorized_keys and PID, killed by PID in stop().
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Sshd {
  /** The listener's PID; each connection is served by a child of it. */
  pid: number
  port: number
  dir: string
  /** `type base64` of the host key, as a known_hosts line ends. */
  hostKey: string
  /** A client private key authorized for every user of this sshd. */
  clientKey: string
  /** Everything sshd printed so far (-e). */
  log(): string
  stop(): Promise<void>
}

/** Generates an unencrypted ed25519 key pair at `path` (and `path`.pub); returns the public line. */
export function keygen(path: string, passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'meshvm-test', '-f', path])
  return readFileSync(`${path}.pub`, 'utf8').trim()
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

const READY_TIMEOUT_MS = 10_000

function waitListening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${output()}`)), READY_TIMEOUT_MS)
    const check = () => {
      if (!output().includes('Server listening on')) return
      clearTimeout(timer)
      resolve()
    }
    child.stderr?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sshd exited with ${code}:\n${output()}`))
    })
  })
}

/** Starts sshd; `extraAuthorizedKeys` are added to the generated client key; `config` lines override the defaults. */
export async function startSshd(options: { extraAuthorizedKeys?: string[]; config?: string[] } = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-sshd-'))
  // Non-root test users read authorized_keys as themselves.
  chmodSync(dir, 0o755)
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const hostKey = keygen(join(dir, 'host_ed25519')).split(' ').slice(0, 2).join(' ')
  const clientKey = join(dir, 'client_ed25519')
  const authorized = [keygen(clientKey), ...(options.extraAuthorizedKeys ?? [])]
  writeFileSync(join(dir, 'authorized_keys'), authorized.join('\n') + '\n', { mode: 0o644 })
  const port = await freePort()
  // sshd keeps the first value of each option, so the caller's lines come first.
  const config = [
    ...(options.config ?? []),
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${join(dir, 'host_ed25519')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    // DEBUG levels would also reach the client's stderr of every command.
    'LogLevel VERBOSE',
  ]
  // OpenSSH 9.8+ (Debian 13) penalizes a source after failed logins; tests fail logins on purpose, all from 127.0.0.1.
  const penalties = 'PerSourcePenalties no'
  writeFileSync(join(dir, 'sshd_config'), [...config, penalties].join('\n') + '\n')
  if (spawnSync('/usr/sbin/sshd', ['-t', '-f', join(dir, 'sshd_config')]).status !== 0) {
    writeFileSync(join(dir, 'sshd_config'), config.join('\n') + '\n')
  }
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let output = ''
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitListening(child, () => output)
  } catch (err) {
    await stop()
    throw err
  }
  return { pid: child.pid ?? 0, port, dir, hostKey, clientKey, log: () => output, stop }
}

/** A local user for sudo tests: NOPASSWD sudo, or a password sudo asks for. Removed by remove(). */
export function createUser(name: string, sudo: { password?: string }): { name: string; remove(): void } {
  execFileSync('useradd', ['-m', '-s', '/bin/sh', name])
  // A locked account ('!') cannot log in even with a key when UsePAM is off.
  execFileSync('chpasswd', { input: `${name}:${sudo.password ?? 'unused-' + process.pid}\n` })
  const rule = sudo.password ? 'ALL=(ALL) ALL' : 'ALL=(ALL) NOPASSWD: ALL'
  const sudoers = `/etc/sudoers.d/${name}`
  writeFileSync(sudoers, `${name} ${rule}\n`, { mode: 0o440 })
  return {
    name,
    remove() {
      rmSync(sudoers, { force: true })
      // Exit 12 (no mail spool to remove) still removed the user.
      spawnSync('userdel', ['-r', name], { stdio: 'ignore' })
    },
  }
}
