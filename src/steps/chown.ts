import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, ok, type Handler } from './handler.js'

const spec = {
  paths: { type: 'strings', required: true },
  user: { type: 'string', required: true },
  group: { type: 'string' },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>

const SHOWN = 5
const owner = (a: Args) => `${a.user}${a.group ? ':' + a.group : ''}`

/** `chown -R user[:group]` over existing paths; a check finds any file under them owned by someone else. */
export const chown: Handler<Args, { paths: string[] }> = {
  spec,
  reads(a) {
    const notOwned = a.group ? `\\( ! -user ${q(a.user)} -o ! -group ${q(a.group)} \\)` : `! -user ${q(a.user)}`
    // -user on an unknown user makes find fail: report that the user is missing instead of drift. One find over all
    // the paths (%H: the path a file was found under), awk keeps the first few of each and names the paths with drift.
    return [
      `id -u ${q(a.user)} >/dev/null 2>&1 || echo nouser=1`,
      'set --',
      `for p in ${a.paths.map(q).join(' ')}; do if [ -e "$p" ]; then set -- "$@" "$p"; else echo "missing=$p"; fi; done`,
      `[ $# -gt 0 ] && find "$@" ${notOwned} -printf '%H\\t%p\\n' 2>/dev/null |`,
      `  awk -F '\\t' 'n[$1]++ < ${SHOWN} { print "drift=" $2 } { top[$1] = 1 } END { for (p in top) print "top=" p }'`,
    ].join('\n')
  },
  check(a, factsText) {
    const facts = new Facts(factsText)
    const existing = a.paths.filter((p) => !facts.all('missing').includes(p))
    const missing = facts.all('missing')
    const note = missing.length ? ` (missing, skipped: ${missing.join(' ')})` : ''
    if (existing.length === 0) return ok(`nothing to chown${note}`)
    if (facts.get('nouser'))
      return change(`chown -R ${owner(a)} (user not created yet)`, { paths: existing }, undefined)
    const drift = facts.all('drift')
    if (drift.length === 0) return ok(`everything under ${existing.join(' ')} owned by ${owner(a)}${note}`)
    const before = drift.join('\n') + (drift.length >= SHOWN ? '\n…' : '')
    const tops = existing.filter((p) => facts.all('top').includes(p)) // in the playbook's order
    return change(
      `chown -R ${owner(a)} ${tops.join(' ')}`,
      { paths: tops },
      {
        before: `not owned by ${owner(a)}:\n${before}`,
        after: `owned by ${owner(a)}`,
      },
    )
  },
  apply(a, c) {
    return [{ run: `chown -R ${q(owner(a))} -- ${c.data.paths.map(q).join(' ')}`, what: `chown -R ${owner(a)}` }]
  },
  writes: (a) => a.paths,
  writesBelow: () => true,
  touches: (a) => a.paths,
}
