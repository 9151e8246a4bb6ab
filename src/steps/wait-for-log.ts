import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, ok, type Handler } from './handler.js'
import type { OpResult } from '../ssh/types.js'

const spec = {
  file: { type: 'string', required: true },
  pattern: { type: 'string', required: true },
  since: { type: ['unit-start', 'any'], default: 'unit-start' },
  unit: { type: 'string', default: 'istio' },
  timeout: { type: 'number', default: 120 },
  hintFiles: { type: 'strings', default: [] },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>

const TAIL = 15

/**
 * Shell: `since` sets SINCE to the unit's last start (empty for `since: any`); `seen` is true when `file` has a line
 * containing `pattern` (plain text) stamped at or after SINCE. Istio log lines begin with an RFC 3339 UTC timestamp,
 * which compares as text with one printed in the same format, so appended logs of earlier runs do not count and no byte
 * offset has to survive restarts. `since` runs once per wait: systemctl costs the VM far more than one awk over the log,
 * and a fleet's VMs poll while they are busiest.
 */
function seenFunctions(a: Args): string {
  const since =
    a.since === 'unit-start'
      ? [
          `ts=$(systemctl show -p ActiveEnterTimestamp --value --timestamp=us+utc -- ${q(a.unit)} 2>/dev/null) ||`,
          `  ts=$(systemctl show -p ActiveEnterTimestamp --value -- ${q(a.unit)} 2>/dev/null)`,
          `[ -n "$ts" ] || return 1`,
          `s=$(date -u -d "$ts" +%Y-%m-%dT%H:%M:%S.%6NZ) || return 1`,
          'SINCE=$s',
        ]
      : ['SINCE=']
  return [
    'since() {',
    ...since.map((l) => '  ' + l),
    '}',
    'seen() {',
    `  [ -f ${q(a.file)} ] || return 1`,
    `  SINCE="$SINCE" PAT=${q(a.pattern)} awk 'index($0, ENVIRON["PAT"]) && (ENVIRON["SINCE"] == "" || $1 >= ENVIRON["SINCE"]) { f = 1 } END { exit !f }' ${q(a.file)}`,
    '}',
  ].join('\n')
}

const where = (a: Args) =>
  `'${a.pattern}' in ${a.file}${a.since === 'unit-start' ? ` since ${a.unit} last started` : ''}`

export const waitForLog: Handler<Args, null> = {
  spec,
  observes: true,
  reads: (a) => `${seenFunctions(a)}\nif since && seen; then echo seen=1; else echo seen=0; fi`,
  check(a, factsText) {
    if (new Facts(factsText).get('seen') === '1') return ok(`found ${where(a)}`)
    return change(`wait up to ${a.timeout}s for ${where(a)}`, null)
  },
  // the log's lines (the service writes them) and the unit's start, which only a step that changes anything moves
  touches: (a) => [a.file],
  apply(a) {
    const run = [
      seenFunctions(a),
      // a fifth of a second: the line usually comes within 0.2-0.5 s of the start (the unit may not be up yet at first)
      `i=0; while [ $i -lt ${Math.ceil(a.timeout * 5)} ]; do { [ -n "\${SINCE+set}" ] || since; } && seen && exit 0; sleep 0.2; i=$((i+1)); done`,
      ...[a.file, ...a.hintFiles].map((f) => `echo '--- last lines of ${f}:'; tail -n ${TAIL} ${q(f)} 2>&1`),
      'exit 3',
    ].join('\n')
    const failure = (r: OpResult) => `no line ${where(a)} within ${a.timeout}s\n${r.stdout.trim()}${r.stderr.trim()}`
    return [{ run, what: `wait for ${where(a)}`, timeoutMs: (a.timeout + 30) * 1000, failure }]
  },
  done: (a, [r]) => `found ${where(a)} after ${((r?.ms ?? 0) / 1000).toFixed(1)}s`,
}
