import { Facts } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Handler, type StepContext } from './handler.js'
import { q } from './shell.js'

const spec = {
  dest: { type: 'string', default: '/etc/certs/root-cert.pem' },
  /** Keep roots the VM trusts that the cluster's bundle no longer holds (a rotation until the fleet trusts the new). */
  keepRoots: { type: 'boolean', default: true },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Plan = { content: string }

const PEM = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g
const pems = (text: string) => (text.match(PEM) ?? []).map((p) => p.replace(/\r/g, ''))

/** What the VM should trust: the cluster's bundle as it is, then (with keepRoots) the VM's roots it lacks. */
export function wantedRoots(cluster: string, onVm: string, keepRoots: boolean): { content: string; kept: number } {
  const ours = new Set(pems(cluster))
  const kept = keepRoots ? pems(onVm).filter((p) => !ours.has(p)) : []
  if (kept.length === 0) return { content: cluster, kept: 0 }
  return { content: `${cluster.replace(/\n*$/, '\n')}${kept.join('\n')}\n`, kept: kept.length }
}

const clusterBundle = (ctx: StepContext) => {
  const f = ctx.bundle.find((b) => b.name === 'root-cert.pem')
  return typeof f?.content === 'string' ? f.content : undefined
}

/**
 * The VM's trust anchor (the agent watches the file: no restart). During a root rotation the cluster's bundle holds
 * old and new; when it holds the new root alone, roots the VM still trusts are kept (`keepRoots`) until every VM of
 * the fleet trusts the new one, so no VM stops trusting a chain still in use (istio/istio#22993: the agent cannot tell).
 */
export const rootCert: Handler<Args, Plan> = {
  spec,
  reads: (a) => `[ -f ${q(a.dest)} ] && echo "text=$(base64 -w0 < ${q(a.dest)})"`,
  check(a, factsText, ctx) {
    const cluster = clusterBundle(ctx)
    if (cluster === undefined || pems(cluster).length === 0) return fail('the bundle has no root certificate')
    const raw = new Facts(factsText).get('text')
    const have = raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8')
    const want = wantedRoots(cluster, have ?? '', a.keepRoots)
    const roots = `the cluster's ${pems(cluster).length} root(s)`
    const kept = want.kept ? ` and ${want.kept} older one(s), kept until every VM of the fleet trusts the new` : ''
    // while older roots are kept, their order on the VM does not matter; otherwise the cluster's bytes exactly
    const sameSet = (x: string[], y: string[]) => x.length === y.length && x.every((p) => y.includes(p))
    const held =
      have !== undefined && (have === want.content || (want.kept > 0 && sameSet(pems(have), pems(want.content))))
    if (held) return ok(`${a.dest} holds ${roots}${kept}`)
    const diff = { path: a.dest, before: have ?? '', after: want.content }
    return change(
      `${have === undefined ? 'create' : 'update'} ${a.dest}: ${roots}${kept}`,
      { content: want.content },
      diff,
    )
  },
  apply(a, c) {
    return [{ put: a.dest, content: c.data.content, mode: 0o644 }]
  },
  writes: (a) => [a.dest],
  touches: (a) => [a.dest],
}
