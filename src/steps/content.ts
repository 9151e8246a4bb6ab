import { createHash } from 'node:crypto'
import type { BundleFileName } from '../bundle/types.js'
import { Secret } from '../secret.js'
import type { StepContext } from './handler.js'

/** The text a step writes: literal `content`, or a bundle file (the istio-token is a Secret). */
export function wantedContent(
  a: { content?: string; bundle?: BundleFileName },
  ctx: StepContext,
): string | Secret | undefined {
  if (a.content !== undefined) return a.content
  return ctx.bundle.find((f) => f.name === a.bundle)?.content
}

export const sha256 = (text: string | Secret): string =>
  createHash('sha256')
    .update(text instanceof Secret ? text.reveal() : text)
    .digest('hex')

/** The claims that say whose token a JWT is and until when; undefined when `payload` is not a JWT payload. */
export function jwtClaims(payload: string): { iss?: string; sub?: string; aud?: string; exp: number } | undefined {
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (typeof c?.exp !== 'number') return undefined
    return { iss: c.iss, sub: c.sub, aud: JSON.stringify(c.aud), exp: c.exp }
  } catch {
    return undefined
  }
}

export const jwtPayload = (token: string): string => token.split('.')[1] ?? ''
