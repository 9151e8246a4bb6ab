// Which keys are offered, and in which order, as ssh's sshconnect2.c pubkey_prepare decides: keys the agent holds
// first (in the agent's order; with IdentitiesOnly only those that are also identity files), then the identity
// files the agent does not hold, in ssh_config order; then password and keyboard-interactive.
import { existsSync, readFileSync } from 'node:fs'
import ssh2, { type AnyAuthMethod, type ParsedKey } from 'ssh2'
import type { Secret } from '../secret.js'
import type { Hop } from './resolve.js'
import { certificateFor, withCertificate } from './user-cert.js'

/** The methods to offer, in OpenSSH's order, and what to say about them if all fail. */
export interface AuthPlan {
  methods: AnyAuthMethod[]
  /** Human-readable list of what was offered, for the error message. */
  offered: string[]
  /** Identity files that need a passphrase (skipped: load them into ssh-agent instead). */
  encrypted: string[]
  /** Identity files that hold a public key only (a `.pub` named where the private key belongs). */
  publicOnly: string[]
  /** Whether an ssh-agent socket was there to offer. */
  agent: boolean
}

interface FileKey {
  file: string
  /** The public blob (base64), from the key itself or its .pub file. */
  publicKey?: string
  /** Undefined when the file is encrypted, or holds a public key only. */
  privateKey?: ParsedKey
  /** The file is a public key (a `.pub` named where the private key belongs). */
  publicOnly?: boolean
}

type Callback = Parameters<ssh2.OpenSSHAgent['getIdentities']>[0]
// The OpenSSH agent answers with parsed keys only (ssh2's PublicKeyEntry form is for custom agents).
const asKeys = (keys: unknown) => (keys ?? []) as ParsedKey[]

/** The agent, showing ssh2 only the keys ssh would offer from it. */
class ChosenAgent extends ssh2.OpenSSHAgent {
  constructor(
    socket: string,
    readonly keep: (key: ParsedKey) => boolean,
  ) {
    super(socket)
  }

  getIdentities(cb: Callback): void {
    super.getIdentities((err, keys) => cb(err, asKeys(keys).filter(this.keep)))
  }
}

const blob = (key: ParsedKey) => key.getPublicSSH().toString('base64')

function parsed(text: Buffer | string): ParsedKey | Error {
  const key = ssh2.utils.parseKey(text)
  return Array.isArray(key) ? key[0] : key
}

function loadFile(file: string): FileKey | undefined {
  if (!existsSync(file)) return undefined
  const key = parsed(readFileSync(file))
  if (!(key instanceof Error) && key.isPrivateKey()) return { file, publicKey: blob(key), privateKey: key }
  if (!(key instanceof Error)) return { file, publicKey: blob(key), publicOnly: true }
  const pub = existsSync(`${file}.pub`) ? parsed(readFileSync(`${file}.pub`)) : undefined
  return { file, publicKey: pub && !(pub instanceof Error) ? blob(pub) : undefined }
}

function agentSocketOf(hop: Pick<Hop, 'identityAgent'>, override: string | undefined): string | undefined {
  if (override !== undefined) return override || undefined
  const agent = hop.identityAgent
  if (agent === undefined || agent === 'SSH_AUTH_SOCK') return process.env.SSH_AUTH_SOCK
  if (agent.toLowerCase() === 'none') return undefined
  // IdentityAgent $NAME: the socket named by that environment variable.
  return agent.startsWith('$') ? process.env[agent.slice(1)] : agent
}

function agentKeys(socket: string): Promise<ParsedKey[]> {
  return new Promise((resolve) =>
    new ssh2.OpenSSHAgent(socket).getIdentities((err, keys) => resolve(err ? [] : asKeys(keys))),
  )
}

export type AuthHop = Pick<Hop, 'user' | 'identityFiles' | 'certificateFiles' | 'identitiesOnly' | 'identityAgent'>

/** The methods for one hop; `agentSocket` (tests, the wizard) replaces IdentityAgent / SSH_AUTH_SOCK. */
export async function planAuth(hop: AuthHop, o: { agentSocket?: string; password?: Secret }): Promise<AuthPlan> {
  const username = hop.user
  const files = hop.identityFiles.map(loadFile).filter((f): f is FileKey => f !== undefined)
  const socket = agentSocketOf(hop, o.agentSocket)
  const agent = socket !== undefined && existsSync(socket)
  const plan: AuthPlan = { methods: [], offered: [], encrypted: [], publicOnly: [], agent }
  const held = new Set(socket && existsSync(socket) ? (await agentKeys(socket)).map(blob) : [])
  const fromFiles = new Set(files.map((f) => f.publicKey).filter(Boolean))
  // CertificateFile certificates go first (pubkey_prepare's "preferred" list), each with its identity file's key.
  for (const certFile of hop.certificateFiles) {
    const owner = files.find((f) => f.privateKey && certificateFor(certFile, f.privateKey))
    if (!owner?.privateKey) continue
    plan.methods.push({
      type: 'publickey',
      username,
      key: withCertificate(owner.privateKey, certificateFor(certFile, owner.privateKey)!),
    })
    plan.offered.push(`certificate ${certFile}`)
  }
  if (held.size > 0) {
    const keep = (key: ParsedKey) => !hop.identitiesOnly || fromFiles.has(blob(key))
    plan.methods.push({ type: 'agent', username, agent: new ChosenAgent(socket!, keep) })
    plan.offered.push(hop.identitiesOnly ? 'ssh-agent (identity files only)' : 'ssh-agent')
  }
  for (const file of files) {
    if (file.publicKey && held.has(file.publicKey)) continue
    if (!file.privateKey) {
      ;(file.publicOnly ? plan.publicOnly : plan.encrypted).push(file.file)
      continue
    }
    plan.methods.push({ type: 'publickey', username, key: file.privateKey })
    plan.offered.push(`key ${file.file}`)
    // ssh loads <key>-cert.pub beside each identity file and offers it right after the key.
    const implicit = certificateFor(`${file.file}-cert.pub`, file.privateKey)
    if (!implicit) continue
    plan.methods.push({ type: 'publickey', username, key: withCertificate(file.privateKey, implicit) })
    plan.offered.push(`certificate ${file.file}-cert.pub`)
  }
  const password = o.password
  if (password) {
    plan.methods.push({ type: 'password', username, password: password.reveal() })
    plan.methods.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password.reveal())),
    })
    plan.offered.push('password')
  }
  return plan
}

/** The end of an auth failure message: what was tried, and what was not usable and why (never "no key" when one was named). */
export function describeAuthFailure(plan: AuthPlan): string {
  const unusable = plan.publicOnly.length + plan.encrypted.length > 0
  const tried =
    plan.offered.length > 0
      ? `tried ${plan.offered.join(', ')}`
      : unusable
        ? 'no usable key'
        : 'no key, agent or password available'
  const notes = [
    ...plan.publicOnly.map(
      (f) =>
        `${f} is a public key: identityFile must name the private key${f.endsWith('.pub') ? ` (${f.slice(0, -4)}?)` : ''}`,
    ),
    ...(plan.encrypted.length === 0
      ? []
      : [
          `${plan.encrypted.join(', ')} need a passphrase: load them with ssh-add so meshvm uses them through ssh-agent` +
            (plan.agent ? '' : ' (no ssh-agent is running: SSH_AUTH_SOCK is unset or gone)'),
        ]),
  ]
  return [tried, ...notes].join('; ')
}
