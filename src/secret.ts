import { inspect } from 'node:util'

const MASK = '***'

/** A value that must never be printed: every way of turning it into text gives `***`. Use `reveal()` at the I/O edge only. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return MASK
  }
  toJSON(): string {
    return MASK
  }
  [inspect.custom](): string {
    return MASK
  }
}

/** Replaces every occurrence of each secret's text in `text` (for library error messages and remote output). */
export function maskSecrets(text: string, secrets: Iterable<Secret>): string {
  let out = text
  for (const s of secrets) {
    const v = s.reveal()
    if (v.length >= 4) out = out.split(v).join(MASK)
  }
  return out
}

// A JSON Web Token: base64url of `{"…` (header), a payload and a signature (RFC 7519 §3)
const JWT = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g

/**
 * Masks every JWT in text read from a VM (an agent's log): the token there may be one this run never saw (an earlier
 * run's, kept while still valid), so `maskSecrets` alone cannot know it.
 */
export function maskTokens(text: string): string {
  return text.replace(JWT, MASK)
}
