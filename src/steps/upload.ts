import type { StepDiff } from './handler.js'
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Secret } from '../secret.js'
import { attrsDrift, parseStat, setAttrsCommand, statSnippet } from './attrs.js'
import { jwtClaims, jwtPayload, sha256, wantedContent } from './content.js'
import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Handler, type StepContext } from './handler.js'

const spec = {
  dest: { type: 'string', required: true },
  content: { type: 'string' },
  bundle: { type: 'bundle' },
  src: { type: 'string' },
  owner: { type: 'string' },
  group: { type: 'string' },
  mode: { type: 'mode' },
  /** Keep a JWT already on the VM (same iss/sub/aud) while it stays valid this many more seconds. */
  tokenMinValidity: { type: 'number' },
  /**
   * A workload certificate (cert-chain.pem) that makes this upload unneeded while it stays valid `tokenMinValidity`
   * more seconds: where the CA renews by client certificate the token matters only without one. Empty: always.
   */
  unlessCertValid: { type: 'string' },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Plan = { write: boolean; mode: number }

const MAX_DIFF_BYTES = 65536

function isSecret(a: Args, ctx: StepContext): boolean {
  return wantedContent(a, ctx) instanceof Secret
}

/**
 * The JWT on the VM is kept while it is the same identity's and stays valid long enough (see `needed`); otherwise
 * `replace` says why it goes. A token with no issuer (check mode's stand-in, when the cluster does not say its issuer)
 * is compared by subject and audience only.
 */
function tokenVerdict(
  a: Args,
  want: Secret,
  havePayload: string | undefined,
  now: number,
): { kept: string } | { replace?: string } {
  if (a.tokenMinValidity === undefined || !havePayload) return {}
  const have = jwtClaims(havePayload)
  const next = jwtClaims(jwtPayload(want.reveal()))
  if (!have || !next) return {}
  if (next.iss !== undefined && have.iss !== next.iss)
    return { replace: `the token on the VM is from another issuer (${have.iss ?? 'none'})` }
  if (have.sub !== next.sub) return { replace: `the token on the VM is ${have.sub ?? 'no one'}'s, not ${next.sub}'s` }
  if (have.aud !== next.aud) return { replace: `the token on the VM is for audience ${have.aud}, not ${next.aud}` }
  const left = have.exp - now / 1000
  // a short-lived token (tokenDuration 600) could never be kept for 30 min: half its own lifetime is enough then
  const needed = Math.min(a.tokenMinValidity, (next.exp - now / 1000) / 2)
  if (left >= needed) return { kept: `token on the VM still valid for ${Math.floor(left / 60)} min` }
  return {
    replace:
      left > 0 ? `the token on the VM expires in ${Math.floor(left / 60)} min` : 'the token on the VM has expired',
  }
}

/** When the first certificate of a base64 PEM text expires (ms); NaN when there is none that parses. */
function certificateEnd(base64: string | undefined): number {
  try {
    return Date.parse(new X509Certificate(Buffer.from(base64 ?? '', 'base64')).validTo)
  } catch {
    return NaN
  }
}

export const upload: Handler<Args, Plan> = {
  spec,
  oneOf: { keys: ['content', 'bundle', 'src'], required: true },
  async resolve(a) {
    return a.src === undefined ? a : { ...a, content: await readFile(a.src, 'utf8') }
  },
  reads(a, ctx) {
    const p = q(a.dest)
    const secret = isSecret(a, ctx)
    // printf then the command: one process per fact, no subshell (a fleet reads these on every VM at every run)
    const body = secret
      ? a.tokenMinValidity === undefined
        ? ''
        : `; printf jwt=; cut -d. -f2 < ${p} | head -c 4096; echo`
      : ctx.diff
        ? `; [ "$(stat -c %s -- ${p})" -le ${MAX_DIFF_BYTES} ] && echo "text=$(base64 -w0 < ${p})"`
        : ''
    // the certificate's text, parsed here: an `openssl x509` on the VM costs ~30 ms of its CPU per run (bench/README.md)
    const cert = a.unlessCertValid
      ? `; [ -f ${q(a.unlessCertValid)} ] && { printf cert=; base64 -w0 < ${q(a.unlessCertValid)}; echo; }`
      : ''
    return `${statSnippet(a.dest)}; if [ -f ${p} ]; then printf sha=; sha256sum < ${p}${body}; fi${cert}`
  },
  check(a, factsText, ctx) {
    const want = wantedContent(a, ctx)
    if (want === undefined) return fail(`the bundle has no ${a.bundle} file`)
    const facts = new Facts(factsText)
    const have = parseStat(facts)
    if (have.type !== 'absent' && have.type !== 'regular file') return fail(`${a.dest} is a ${have.type}, not a file`)
    const mode = a.mode ?? (have.type === 'absent' ? 0o644 : have.mode)
    const certEnd = a.unlessCertValid ? certificateEnd(facts.get('cert')) : NaN
    if (certEnd - ctx.now >= (a.tokenMinValidity ?? 0) * 1000)
      return ok(
        `not needed: the VM renews with its certificate ${a.unlessCertValid}, valid until ${new Date(certEnd).toISOString()}`,
      )
    const secret = want instanceof Secret
    // sha256sum prints "<hash>  -"
    if (have.type === 'absent' || facts.get('sha')?.slice(0, 64) !== sha256(want)) {
      const token = secret ? tokenVerdict(a, want, facts.get('jwt'), ctx.now) : {}
      if (!('kept' in token)) {
        const before = have.type === 'absent' ? '' : Buffer.from(facts.get('text') ?? '', 'base64').toString('utf8')
        const diff: StepDiff = secret
          ? { path: a.dest, before: have.type === 'absent' ? '' : '***', after: '(secret changed)' }
          : { path: a.dest, before, after: want as string }
        const why = token.replace ? `: ${token.replace}` : ''
        return change(`${have.type === 'absent' ? 'create' : 'update'} ${a.dest}${why}`, { write: true, mode }, diff)
      }
      const drift = attrsDrift(a.dest, a, have)
      if (drift) return change(`set ${drift.after} on ${a.dest}`, { write: false, mode }, drift)
      return ok(`${token.kept} (${a.dest})`)
    }
    const drift = attrsDrift(a.dest, a, have)
    if (drift) return change(`set ${drift.after} on ${a.dest}`, { write: false, mode }, drift)
    return ok(`${a.dest} already has this content, owner and mode`)
  },
  apply(a, c, ctx) {
    if (c.data.write)
      return [{ put: a.dest, content: wantedContent(a, ctx)!, mode: c.data.mode, owner: a.owner, group: a.group }]
    return [{ run: setAttrsCommand(a.dest, a), what: `chmod/chown ${a.dest}` }]
  },
  writes: (a) => [a.dest],
  touches: (a) => [a.dest],
}
