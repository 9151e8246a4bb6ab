import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import ssh2, { type Client, type ServerHostKeyAlgorithm } from 'ssh2'
import type { SshTarget } from '../inventory/types.js'
import { maskSecrets, type Secret } from '../secret.js'
import { describeAuthFailure, planAuth } from './auth.js'
import { SshConnection } from './connection.js'
import { SshError, translateError } from './errors.js'
import { hostKeyAlgorithms, verifyHostKey } from './host-key.js'
import { resolveHops, type Hop } from './resolve.js'
import { readSshConfig } from './ssh-config.js'
import type { Connection } from './types.js'

/** How to connect; every field is optional and defaults as OpenSSH would. */
export interface ConnectOptions {
  /** Default ~/.ssh/known_hosts (or ssh_config UserKnownHostsFile); /etc/ssh/ssh_known_hosts is read too. */
  knownHostsFile?: string
  /** Record unknown host keys (OpenSSH accept-new); a changed key is still refused. */
  acceptNewHostKeys?: boolean
  /** Default ~/.ssh/config; '' or 'none' reads none. */
  sshConfigFile?: string
  /** Default SSH_AUTH_SOCK. */
  agentSocket?: string
  password?: Secret
  becomePassword?: Secret
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  /** Masked out of all error text and command output (the password and become password always are). */
  secrets?: Secret[]
}

/** The connect target: an inventory SshTarget; unset or empty port/user fall back to ssh_config, then defaults. */
export type ConnectTarget = Pick<SshTarget, 'host'> & Partial<SshTarget>

// Unanswered keepalives before the peer counts as dead.
const KEEPALIVE_COUNT_MAX = 3

function openClient(hop: Hop, sock: Duplex | undefined, options: ConnectOptions, password?: Secret): Promise<Client> {
  const plan = planAuth({
    user: hop.user,
    agentSocket: options.agentSocket ?? process.env.SSH_AUTH_SOCK,
    identityFiles: hop.identityFiles,
    password,
  })
  let hostKeyError: SshError | undefined
  const client = new ssh2.Client()
  return new Promise((resolve, reject) => {
    let settled = false
    // Stays attached: ssh2 may emit more errors after the first (e.g. "Connection lost before handshake").
    client.on('error', (err: Error) => {
      if (settled) return
      settled = true
      client.end()
      const e = hostKeyError ?? translateError(err, hop.where)
      const detail = e.kind === 'auth' ? `${e.message}; ${describeAuthFailure(plan)}` : e.message
      reject(new SshError(e.kind, e.host, detail))
    })
    client.once('ready', () => {
      settled = true
      resolve(client)
    })
    client.connect({
      host: hop.hostName,
      port: hop.port,
      username: hop.user,
      sock,
      readyTimeout: hop.connectTimeoutMs,
      keepaliveInterval: hop.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      authHandler: plan.methods,
      algorithms: { serverHostKey: hostKeyAlgorithms(hop) as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        hostKeyError = verifyHostKey(hop, key)
        return hostKeyError === undefined
      },
    })
  })
}

function forward(client: Client, from: Hop, to: Hop): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, to.hostName, to.port, (err, stream) => {
      if (!err) return resolve(stream)
      const message = `${to.where}: jump host ${from.where} could not connect to it: ${err.message}`
      reject(new SshError('connection', to.where, message))
    })
  })
}

/** Opens one connection to `target` (through its ProxyJump hosts), verifying every hop's host key. */
export async function connect(target: ConnectTarget, options: ConnectOptions = {}): Promise<Connection> {
  const configFile = options.sshConfigFile ?? join(homedir(), '.ssh', 'config')
  const hops = resolveHops(target, readSshConfig(configFile), options)
  const vm = hops[hops.length - 1]
  const password = options.password ?? target.password
  const secrets = [...(options.secrets ?? []), password, options.becomePassword].filter(
    (s): s is Secret => s !== undefined,
  )
  if (target.identityFile && !existsSync(vm.identityFiles[0])) {
    throw new SshError('auth', vm.where, `${vm.where}: identity file ${vm.identityFiles[0]} not found`)
  }
  const clients: Client[] = []
  try {
    let sock: Duplex | undefined
    for (const [i, hop] of hops.entries()) {
      clients.push(await openClient(hop, sock, options, hop === vm ? password : undefined))
      if (hop !== vm) sock = await forward(clients[i], hop, hops[i + 1])
    }
  } catch (err) {
    for (const c of clients.reverse()) c.end()
    const e = translateError(err, vm.where)
    throw new SshError(e.kind, e.host, maskSecrets(e.message, secrets))
  }
  return new SshConnection(target.host, vm, clients, secrets, options.becomePassword)
}
