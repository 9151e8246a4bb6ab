import { existsSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import ssh2, { type Client, type ServerHostKeyAlgorithm } from 'ssh2'
import type { SshTarget } from '../inventory/types.js'
import { maskSecrets, type Secret } from '../secret.js'
import { describeAuthFailure, planAuth } from './auth.js'
import { SshConnection } from './connection.js'
import { SshError, translateError } from './errors.js'
import { certifiedHostKey, hostKeyAlgorithms, verifyHostKey } from './host-key.js'
import { expandTilde } from './config-tokens.js'
import { startProxyCommand, type ProxyTransport } from './proxy-command.js'
import { enableCertificateAuth } from './user-cert.js'
import { resolveHops, type Hop, type ResolveOptions } from './resolve.js'
import { lockVm } from './vm-lock.js'
import type { Connection } from './types.js'

/** How to connect; every field is optional and defaults as OpenSSH would. */
export interface ConnectOptions {
  /** Default ~/.ssh/known_hosts (or ssh_config UserKnownHostsFile); /etc/ssh/ssh_known_hosts is read too. */
  knownHostsFile?: string
  /** Record unknown host keys (OpenSSH accept-new); a changed key is still refused. */
  acceptNewHostKeys?: boolean
  /** As `ssh -F FILE` ('none': no file); default ~/.ssh/config, then /etc/ssh/ssh_config. */
  sshConfigFile?: string
  /** How ssh_config is read: `ssh -G` (default when installed) or meshvm's built-in reader. */
  resolver?: ResolveOptions['resolver']
  /** Default SSH_AUTH_SOCK. */
  agentSocket?: string
  password?: Secret
  becomePassword?: Secret
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  /** Take the VM's meshvm lock for the connection's life, naming this run (see runHolder) to any other. */
  lockHolder?: string
  /** Masked out of all error text and command output (the password and become password always are). */
  secrets?: Secret[]
}

/** The connect target: an inventory SshTarget; unset or empty port/user fall back to ssh_config, then defaults. */
export type ConnectTarget = Pick<SshTarget, 'host'> & Partial<SshTarget>

interface HopStart {
  sock?: Duplex
  /** The key the hop's host certificate certifies (known_hosts @cert-authority). */
  certified?: Buffer
  password?: Secret
}

async function openClient(hop: Hop, start: HopStart, options: ConnectOptions): Promise<Client> {
  const { sock, certified, password } = start
  const plan = await planAuth(hop, { agentSocket: options.agentSocket, password })
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
      keepaliveCountMax: hop.keepaliveCountMax,
      authHandler: plan.methods,
      algorithms: { serverHostKey: hostKeyAlgorithms(hop, certified) as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        hostKeyError = verifyHostKey(hop, key, certified)
        return hostKeyError === undefined
      },
    })
    enableCertificateAuth(client)
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

/** The first hop's transport: its ProxyCommand, or undefined for a TCP connection by ssh2. */
function firstTransport(hop: Hop, proxies: ProxyTransport[]): Duplex | undefined {
  if (typeof hop.via !== 'object') return undefined
  const proxy = startProxyCommand(hop.via.proxyCommand)
  proxies.push(proxy)
  return proxy.stream
}

/** A second transport to the first hop (for the host certificate probe): TCP, or the ProxyCommand again. */
function extraTransport(hop: Hop, proxies: ProxyTransport[]): Promise<Duplex> {
  const proxied = firstTransport(hop, proxies)
  if (proxied) return Promise.resolve(proxied)
  return new Promise((resolve) => {
    const socket = tcpConnect(hop.port, hop.hostName)
    socket.once('connect', () => resolve(socket))
    // A failed probe only means no certificate; the real connection reports the error.
    socket.once('error', () => resolve(socket))
  })
}

function proxyDetail(err: SshError, proxies: ProxyTransport[]): SshError {
  const said = proxies.map((p) => p.stderr()).filter(Boolean)
  return said.length ? new SshError(err.kind, err.host, `${err.message} (ProxyCommand said: ${said.join('; ')})`) : err
}

/** Opens one connection to `target` (through its ProxyCommand or ProxyJump hosts), verifying every hop's host key. */
export async function connect(target: ConnectTarget, options: ConnectOptions = {}): Promise<Connection> {
  const hops = await resolveHops(target, options)
  const vm = hops[hops.length - 1]
  const password = options.password ?? target.password
  const secrets = [...(options.secrets ?? []), password, options.becomePassword].filter(
    (s): s is Secret => s !== undefined,
  )
  // ssh only warns about a missing -i file; an inventory naming a key that is not there is an error here.
  const identity = target.identityFile && expandTilde(target.identityFile)
  if (identity && !existsSync(identity)) {
    throw new SshError('auth', vm.where, `${vm.where}: identity file ${identity} not found`)
  }
  const clients: Client[] = []
  const proxies: ProxyTransport[] = []
  try {
    for (const [i, hop] of hops.entries()) {
      const open = () => (i === 0 ? extraTransport(hop, proxies) : forward(clients[i - 1], hops[i - 1], hop))
      const certified = await certifiedHostKey(hop, open)
      if (certified instanceof SshError) throw certified
      const sock = i === 0 ? firstTransport(hop, proxies) : await forward(clients[i - 1], hops[i - 1], hop)
      clients.push(await openClient(hop, { sock, certified, password: hop === vm ? password : undefined }, options))
    }
  } catch (err) {
    for (const c of clients.reverse()) c.end()
    for (const p of proxies) p.stop()
    const e = proxyDetail(translateError(err, vm.where), proxies)
    throw new SshError(e.kind, e.host, maskSecrets(e.message, secrets))
  }
  const connection = new SshConnection(target.host, vm, clients, secrets, options.becomePassword)
  clients[0].once('close', () => proxies.forEach((p) => p.stop()))
  if (options.lockHolder === undefined) return connection
  try {
    await lockVm(connection, options.lockHolder)
  } catch (err) {
    await connection.close()
    throw err
  }
  return connection
}
