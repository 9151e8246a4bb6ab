import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { fail, ok, type Handler } from './handler.js'

const spec = {
  comm: { type: 'string', required: true },
  user: { type: 'string', required: true },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>

/** Asserts that processes named `comm` run, all as `user` (checks only; never changes anything). */
export const processStep: Handler<Args, never> = {
  spec,
  reads: (a) => `ps -C ${q(a.comm)} -o user:64= 2>/dev/null | sed 's/^ *//; s/^/user=/'`,
  check(a, factsText) {
    const users = new Facts(factsText).all('user').map((u) => u.trim())
    if (users.length === 0) return fail(`no ${a.comm} process running`)
    const others = users.filter((u) => u !== a.user)
    if (others.length) return fail(`${a.comm} runs as ${[...new Set(others)].join(', ')}, expected ${a.user}`)
    return ok(`${a.comm} running as ${a.user} (${users.length} process${users.length > 1 ? 'es' : ''})`)
  },
  apply() {
    throw new Error('process is a check-only step')
  },
}
