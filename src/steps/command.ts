import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, ok, type Handler } from './handler.js'

const spec = {
  cmd: { type: 'string', required: true },
  creates: { type: 'string' },
  removes: { type: 'string' },
  onlyIf: { type: 'string' },
  unless: { type: 'string' },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>

/** Runs `cmd` unless a guard says it is done: `creates` exists, `removes` is gone, `onlyIf` fails, `unless` succeeds. */
export const command: Handler<Args, null> = {
  spec,
  reads: (a) =>
    [
      a.creates ? `[ -e ${q(a.creates)} ] && echo creates=1` : '',
      a.removes ? `[ -e ${q(a.removes)} ] || echo removes=0` : '',
      a.onlyIf ? `(${a.onlyIf}) >/dev/null 2>&1 || echo onlyif=0` : '',
      a.unless ? `(${a.unless}) >/dev/null 2>&1 && echo unless=1` : '',
      'true',
    ]
      .filter(Boolean)
      .join('\n'),
  check(a, factsText) {
    const facts = new Facts(factsText)
    if (facts.get('creates')) return ok(`${a.creates} exists`)
    if (facts.get('removes')) return ok(`${a.removes} does not exist`)
    if (facts.get('onlyif')) return ok(`onlyIf condition false: ${a.onlyIf}`)
    if (facts.get('unless')) return ok(`unless condition true: ${a.unless}`)
    return change(`run ${a.cmd}`, null, undefined)
  },
  apply(a) {
    return [{ run: a.cmd, what: a.cmd, timeoutMs: 600_000 }]
  },
  done: (_a, [r]) => r?.stdout.trim().split('\n').slice(-3).join('\n') || undefined,
}
