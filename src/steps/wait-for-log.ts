import { agentFixHint } from './agent-hints.js'
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
  /** Give up before the timeout once the log has one of the agent's known failures this many times (0: never). */
  failAfter: { type: 'number', default: 0 },
  /** A line containing this after the last match means the match no longer holds (a later disconnect). */
  lostWhen: { type: 'string' },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>

const TAIL = 15
// How much of the log's end the wait reads for its latest line (a longer line is not shown: see `latestLine`)
const LATEST_WINDOW = 16384
// exit code of the wait when the log keeps failing the same way
const FAILING = 4

/**
 * The istio-agent's log lines that mean it cannot reach or be accepted by istiod, and what to check for each (as
 * grpc-go words them: istio/istio pkg/istio-agent/xds_proxy.go logs "upstream terminated with unexpected error").
 */
const knownFailures: { says: string; hint: string }[] = [
  {
    says: 'connection refused',
    hint:
      "nothing accepts connections at istiod's address from the VM: check the inventory's ingressIP (the east-west " +
      'gateway) and that the gateway exposes port 15012',
  },
  {
    says: 'i/o timeout',
    hint: "nothing answers at istiod's address: check ingressIP, and the routes and firewalls between the VM and the east-west gateway (port 15012)",
  },
  {
    says: 'no such host',
    hint: "the VM cannot resolve istiod's name: check the mesh hosts in /etc/hosts (the hosts step) or the VM's DNS",
  },
  {
    says: 'certificate signed by unknown authority',
    hint: "the VM does not trust istiod's certificate: /etc/certs/root-cert.pem is not the mesh's root (rotated?): onboard again",
  },
  {
    says: 'Unauthenticated',
    hint: 'istiod refused the VM: check its service account and istio-token (expired, or for another cluster)',
  },
]

/**
 * Shell: `since` sets SINCE to the unit's last start (empty for `since: any`); `seen` is true when `file` has a line
 * containing `pattern` (plain text) stamped at or after SINCE, with no `lostWhen` line after the last such one (a
 * connect followed by a disconnect is not connected). Istio log lines begin with an RFC 3339 UTC timestamp, which
 * compares as text with one printed in the same format, so appended logs of earlier runs do not count and no byte
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
  const awk = [
    'ENVIRON["SINCE"] == "" || $1 >= ENVIRON["SINCE"] {',
    'if (index($0, ENVIRON["PAT"])) { f = 1; lost = "" }',
    'else if (f && ENVIRON["LOST"] != "" && index($0, ENVIRON["LOST"])) lost = $0 }',
    'END { if (lost != "") print "lost=" lost; exit !(f && lost == "") }',
  ].join(' ')
  return [
    'since() {',
    ...since.map((l) => '  ' + l),
    '}',
    // prints the known failure logged at least N times since SINCE (and its last line); false when there is none
    'failing() {',
    `  [ -f ${q(a.file)} ] || return 1`,
    `  SINCE="$SINCE" N=${a.failAfter} awk -v says=${q(knownFailures.map((f) => f.says).join('|'))} ` +
      `'BEGIN { k = split(says, s, "|") } ENVIRON["SINCE"] == "" || $1 >= ENVIRON["SINCE"] ` +
      '{ for (i = 1; i <= k; i++) if (index($0, s[i])) { n[i]++; last[i] = $0 } } ' +
      `END { for (i = 1; i <= k; i++) if (n[i] >= ENVIRON["N"]) { print s[i] "\t" n[i] "\t" last[i]; exit 0 } exit 1 }' ${q(a.file)}`,
    '}',
    'seen() {',
    `  [ -f ${q(a.file)} ] || return 1`,
    `  SINCE="$SINCE" PAT=${q(a.pattern)} LOST=${q(a.lostWhen ?? '')} awk ${q(awk)} ${q(a.file)}`,
    '}',
  ].join('\n')
}

/**
 * Shell: `latest` gives `meshvm_progress` the log's last line when it differs from the one given before and is stamped
 * at or after SINCE (the agent's line of this start, not of an earlier run). One process per poll: `tail -c` then the
 * shell's own expansion and `[ \< ]` (dash, bash and busybox sh all have it). A line longer than the window would come
 * cut, and a secret cut in two escapes the mask: it is left out.
 */
function latestLine(a: Args): string {
  return [
    "nl='",
    "'",
    'shown=',
    'latest() {',
    `  w=$(tail -c ${LATEST_WINDOW} -- ${q(a.file)} 2>/dev/null) || return 0`,
    '  l=${w##*"$nl"}',
    // whole: a newline comes before it in the window, or the whole file fit in it (its last newline cut off by $())
    `  [ "$l" != "$w" ] || [ \${#w} -lt ${LATEST_WINDOW - 1} ] || return 0`,
    '  [ -n "$l" ] && [ "$l" != "$shown" ] || return 0',
    '  [ -z "$SINCE" ] || ! [ "${l%%[[:space:]]*}" \\< "$SINCE" ] || return 0',
    '  shown=$l',
    '  meshvm_progress "$l"',
    '}',
  ].join('\n')
}

const where = (a: Args) =>
  `'${a.pattern}' in ${a.file}${a.since === 'unit-start' ? ` since ${a.unit} last started` : ''}`
const still = (a: Args) => (a.lostWhen ? `, and no '${a.lostWhen}' after it` : '')

export const waitForLog: Handler<Args, null> = {
  spec,
  observes: true,
  reads: (a) => `${seenFunctions(a)}\nif since && seen; then echo seen=1; else echo seen=0; fi`,
  check(a, factsText) {
    if (new Facts(factsText).get('seen') === '1') return ok(`found ${where(a)}${still(a)}`)
    return change(`wait up to ${a.timeout}s for ${where(a)}${still(a)}`, null)
  },
  // the log's lines (the service writes them) and the unit's start, which only a step that changes anything moves
  touches: (a) => [a.file],
  apply(a) {
    const run = [
      seenFunctions(a),
      latestLine(a),
      // a fifth of a second: the line usually comes within 0.2-0.5 s of the start (the unit may not be up yet at first);
      // the latest line goes out before the check, so even a wait that ends at once shows the line it saw
      `i=0; while [ $i -lt ${Math.ceil(a.timeout * 5)} ]; do`,
      `  { [ -n "\${SINCE+set}" ] || since; } && latest && seen >/dev/null && exit 0`,
      // once a second, whether the agent keeps failing the same way
      ...(a.failAfter > 0
        ? [`  [ -n "\${SINCE+set}" ] && [ $((i % 5)) -eq 4 ] && failing && { echo '--- failing'; exit ${FAILING}; }`]
        : []),
      '  sleep 0.2; i=$((i+1))',
      'done',
      `seen | sed 's/^lost=/--- connection lost after it: /'`,
      `echo "--- unit ${a.unit}: $(systemctl show -p ActiveState -p SubState -p Result -p NRestarts -- ${q(a.unit)} 2>&1 | tr '\\n' ' ')"`,
      ...[a.file, ...a.hintFiles].map((f) => `echo '--- last lines of ${f}:'; tail -n ${TAIL} ${q(f)} 2>&1`),
      'exit 3',
    ].join('\n')
    const failure = (r: OpResult) => {
      const early = keepsFailing(a, r)
      if (early) return early
      const out = `${r.stdout.trim()}${r.stderr.trim()}`
      const fix = agentFixHint(out)
      return `no line ${where(a)}${still(a)} within ${a.timeout}s${fix ? `\nfix: ${fix}` : ''}\n${out}`
    }
    return [{ run, what: `wait for ${where(a)}`, timeoutMs: (a.timeout + 30) * 1000, failure }]
  },
  done: (a, [r]) => `found ${where(a)}${still(a)} after ${((r?.ms ?? 0) / 1000).toFixed(1)}s`,
}

/** The early failure's message: which failure, how often, its last line, and what to check. */
function keepsFailing(a: Args, r: OpResult): string | undefined {
  if (r.code !== FAILING) return undefined
  const [says, times, ...line] = r.stdout.split('\n')[0]!.split('\t')
  const last = line.join(' ')
  const hint = knownFailures.find((f) => f.says === says)?.hint
  return (
    `gave up waiting for ${where(a)}: ${a.file} says "${says}" ${times} times since ${a.unit} started; the last:\n` +
    `${last.trim()}\nhint: ${hint}`
  )
}
