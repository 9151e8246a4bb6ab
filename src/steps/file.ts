import { attrsDrift, parseStat, pathSpec, setAttrsCommand, statSnippet } from './attrs.js'
import { assertRemovable } from './directory.js'
import { Facts, q } from './shell.js'
import type { ArgsOf } from './args.js'
import { change, fail, ok, type Handler } from './handler.js'

export type Args = ArgsOf<typeof pathSpec>

/** An existing file's owner/mode, or its removal (`present: false`); content comes from `upload`. */
export const file: Handler<Args, { remove: boolean }> = {
  spec: pathSpec,
  reads: (a) => statSnippet(a.path),
  check(a, facts) {
    const have = parseStat(new Facts(facts))
    if (!a.present) {
      if (have.type === 'absent') return ok(`${a.path} already absent`)
      if (have.type === 'directory') return fail(`${a.path} is a directory; use a directory step to remove it`)
      return change(`remove ${a.path}`, { remove: true }, { path: a.path, before: have.type, after: 'absent' })
    }
    if (have.type === 'absent') return fail(`${a.path} does not exist (an upload step creates files with content)`)
    const drift = attrsDrift(a.path, a, have)
    if (drift) return change(`set ${drift.after} on ${a.path}`, { remove: false }, drift)
    return ok(`${a.path} has the wanted owner and mode`)
  },
  apply(a, c) {
    if (c.data.remove) assertRemovable(a.path)
    const cmd = c.data.remove ? `rm -f -- ${q(a.path)}` : setAttrsCommand(a.path, a)
    return [{ run: cmd, what: `file ${a.path}` }]
  },
  writes: (a) => [a.path],
  touches: (a) => [a.path],
}
