import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import ssh2 from 'ssh2'
import type { AnyAuthMethod } from 'ssh2'
import type { Secret } from '../secret.js'

/** The methods to offer, in OpenSSH's order, and what to say about them if all fail. */
export interface AuthPlan {
  methods: AnyAuthMethod[]
  /** Human-readable list of what was offered, for the error message. */
  offered: string[]
  /** Identity files that need a passphrase (skipped: load them into ssh-agent instead). */
  encrypted: string[]
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

export interface AuthInput {
  user: string
  agentSocket?: string
  /** Expanded paths: the inventory's first, then ssh_config's; default keys are added when they exist. */
  identityFiles: string[]
  password?: Secret
}

/** Agent, identity files, default keys, then password (also as keyboard-interactive, as PAM-only sshds ask). */
export function planAuth(input: AuthInput): AuthPlan {
  const { user: username } = input
  const plan: AuthPlan = { methods: [], offered: [], encrypted: [] }
  if (input.agentSocket && existsSync(input.agentSocket)) {
    plan.methods.push({ type: 'agent', username, agent: input.agentSocket })
    plan.offered.push('ssh-agent')
  }
  const defaults = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k))
  const files = [...new Set([...input.identityFiles, ...defaults])].filter((f) => existsSync(f))
  for (const file of files) {
    const key = ssh2.utils.parseKey(readFileSync(file))
    if (key instanceof Error) {
      if (/passphrase/i.test(key.message)) plan.encrypted.push(file)
      continue
    }
    const parsed = Array.isArray(key) ? key[0] : key
    if (!parsed.isPrivateKey()) continue
    plan.methods.push({ type: 'publickey', username, key: parsed })
    plan.offered.push(`key ${file}`)
  }
  const password = input.password
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

/** The end of an auth failure message: what was tried, and how to use an encrypted key. */
export function describeAuthFailure(plan: AuthPlan): string {
  const tried = plan.offered.length > 0 ? `tried ${plan.offered.join(', ')}` : 'no key, agent or password available'
  const hint = plan.encrypted.length
    ? `; ${plan.encrypted.join(', ')} need a passphrase: load them with ssh-add so meshvm uses them through ssh-agent`
    : ''
  return `${tried}${hint}`
}
