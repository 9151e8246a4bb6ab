import type { Ask } from './ask.js'

/** OpenSSH's first-connection question for an unknown host key; no is the default. */
export function askTrustHostKey(ask: Ask, where: string, key: string): Promise<boolean> {
  return ask.confirm(`The authenticity of ${where} can't be established: ${key}. Trust it and record it?`, {
    default: false,
  })
}
