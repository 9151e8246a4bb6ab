import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Handler, type StepContext } from './handler.js'

const spec = {
  unit: { type: 'string', required: true },
  state: { type: ['running', 'stopped'] },
  enabled: { type: 'boolean' },
  /** Paths, or names of earlier steps (their written paths): restart when any is newer than the unit's last start. */
  restartOnChange: { type: 'strings', default: [] },
  /** Only check; a mismatch fails instead of changing anything. */
  assert: { type: 'boolean', default: false },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Action = 'daemon-reload' | 'enable' | 'disable' | 'start' | 'restart' | 'stop'

const RUNNING = ['active', 'activating', 'reloading']
const ENABLED = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']

const inputs = (a: Args, ctx: StepContext) =>
  a.restartOnChange.flatMap((entry) => (entry.startsWith('/') ? [entry] : ctx.writesOf(entry)))

/**
 * The first input newer than the unit's last start, if any. Comparing mtimes with ActiveEnterTimestamp (not a marker
 * file) also catches a run that died between writing an input and restarting, and needs no coordination between steps.
 * Microseconds when systemd can print them (>= 247), else whole seconds on both sides.
 */
function newerInput(facts: Facts): string | undefined {
  const start = Number(facts.get('start'))
  if (!Number.isFinite(start)) return undefined
  const precise = facts.get('precise') === '1'
  const unit = (us: number) => (precise ? us : Math.floor(us / 1e6))
  for (const line of facts.all('mtime')) {
    const [date = '', time = '', zone = '', ...path] = line.split(' ')
    if (unit(statTimeUs(date, time, zone)) > unit(start)) return path.join(' ')
  }
  return undefined
}

/** GNU stat's %y ("2026-11-25 22:01:01.123456789 +0100") as epoch microseconds. */
function statTimeUs(date: string, time: string, zone: string): number {
  const [hms, fraction = ''] = time.split('.')
  const ms = Date.parse(`${date}T${hms}${zone.slice(0, 3)}:${zone.slice(3)}`)
  return ms * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6))
}

export const systemd: Handler<Args, { actions: Action[] }> = {
  spec,
  // one systemctl call (it is the costly part of the VM's facts); --timestamp needs systemd >= 247
  reads: (a, ctx) =>
    [
      `u=${q(a.unit)}; p='-p LoadState -p ActiveState -p UnitFileState -p ActiveEnterTimestamp -p NeedDaemonReload'`,
      `if out=$(systemctl show --timestamp=us+utc $p -- "$u" 2>/dev/null); then echo precise=1`,
      `else out=$(systemctl show $p -- "$u" 2>/dev/null); fi`,
      `printf '%s\\n' "$out"`,
      `ts=; while IFS='=' read -r k v; do [ "$k" = ActiveEnterTimestamp ] && ts=$v; done <<EOF\n$out\nEOF`,
      `[ -n "$ts" ] && s=$(date -d "$ts" +%s%6N 2>/dev/null) && echo "start=$s"`,
      // one stat for all inputs; %y is "2026-11-25 22:01:01.123456789 +0000" (GNU stat, the VM's own zone)
      inputs(a, ctx).length ? `stat -L -c 'mtime=%y %n' -- ${inputs(a, ctx).map(q).join(' ')} 2>/dev/null` : '',
    ].join('\n'),
  check(a, factsText) {
    const facts = new Facts(factsText)
    const load = facts.get('LoadState')
    if (!load) return fail(`cannot query systemd for ${a.unit} (is systemd running on the VM?)`)
    const found = load !== 'not-found'
    const active = found ? (facts.get('ActiveState') ?? 'unknown') : 'not installed'
    const enabledState = found ? facts.get('UnitFileState') || 'disabled' : 'not installed'
    const running = RUNNING.includes(active)
    const isEnabled = ENABLED.includes(enabledState)
    const actions: Action[] = []
    if (a.state === 'stopped' && running) actions.push('stop')
    if (a.enabled === false && isEnabled && found) actions.push('disable')
    if (a.enabled === true && !isEnabled) actions.push('enable')
    if (a.state === 'running' && !running) actions.push('start')
    const newer = a.state === 'running' && running ? newerInput(facts) : undefined
    if (newer) actions.push('restart')
    const now = `${active}, ${enabledState}`
    const inputsNote = a.state === 'running' && a.restartOnChange.length ? ', inputs unchanged since start' : ''
    // a unit file replaced on disk (a reinstalled package) is read again before systemd acts on the unit
    if (actions.length > 0 && facts.get('NeedDaemonReload') === 'yes') actions.unshift('daemon-reload')
    if (actions.length === 0) return ok(`${a.unit} ${found ? now : 'not installed'}${inputsNote}`)
    const wanted = `${a.state === 'running' ? 'active' : a.state === 'stopped' ? 'inactive' : active}, ${
      a.enabled === undefined ? enabledState : a.enabled ? 'enabled' : 'disabled'
    }`
    if (a.assert) return fail(`${a.unit} is ${now}; expected ${wanted}`)
    const why = newer ? ` (${newer} changed after the last start)` : ''
    return change(`${actions.join(' + ')} ${a.unit}${why}`, { actions }, { before: now, after: wanted + why })
  },
  // its unit's files and the inputs' mtimes; the unit's state changes only through steps that say they change anything
  touches: (a, ctx) => [...inputs(a, ctx), '/etc/systemd', '/lib/systemd', '/usr/lib/systemd', '/run/systemd'],
  apply(a, c) {
    const cmd = c.data.actions
      .map((act) => (act === 'daemon-reload' ? 'systemctl daemon-reload' : `systemctl ${act} -- ${q(a.unit)}`))
      .join(' && ')
    return [{ run: cmd, what: cmd, timeoutMs: 120_000 }]
  },
}
