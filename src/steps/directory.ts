import { attrsDrift, parseStat, pathSpec, setAttrsCommand, statSnippet } from './attrs.js'
import { Facts, q } from './shell.js'
import type { ArgsOf } from './args.js'
import { change, fail, ok, type Handler } from './handler.js'

export type Args = ArgsOf<typeof pathSpec>
type Plan = { create: boolean; remove: boolean }

/** Refuses to remove paths whose loss would wreck the system, whatever a playbook says. */
export function assertRemovable(path: string): void {
  if (!path.startsWith('/') || path.split('/').filter(Boolean).length < 2)
    throw new Error(`refusing to remove ${path}: only absolute paths at least two levels deep`)
}

export const directory: Handler<Args, Plan> = {
  spec: pathSpec,
  reads: (a) => statSnippet(a.path),
  check(a, facts) {
    const have = parseStat(new Facts(facts))
    if (!a.present) {
      if (have.type === 'absent') return ok(`${a.path} already absent`)
      const diff = { path: a.path, before: have.type, after: 'absent' }
      return change(`remove ${a.path}`, { create: false, remove: true }, diff)
    }
    if (have.type === 'absent') {
      const diff = { path: a.path, before: 'absent', after: 'directory' }
      return change(`create ${a.path}`, { create: true, remove: false }, diff)
    }
    if (have.type !== 'directory') return fail(`${a.path} exists but is a ${have.type}, not a directory`)
    const drift = attrsDrift(a.path, a, have)
    if (drift) return change(`set ${drift.after} on ${a.path}`, { create: false, remove: false }, drift)
    return ok(`directory ${a.path} exists with the wanted owner and mode`)
  },
  apply(a, c) {
    if (c.data.remove) {
      assertRemovable(a.path)
      return [{ run: `rm -rf -- ${q(a.path)}`, what: `rm -rf ${a.path}` }]
    }
    const cmds = [c.data.create ? `mkdir -p -- ${q(a.path)}` : '', setAttrsCommand(a.path, a)].filter(Boolean)
    return [{ run: cmds.join(' && '), what: `directory ${a.path}` }]
  },
  writes: (a) => [a.path],
  writesBelow: (a) => !a.present,
  touches: (a) => [a.path],
}
