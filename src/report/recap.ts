import type { Tally } from '../executor/events.js'
import { failingStep, type HostReport, type RunReport } from './collector.js'
import { indentRest, seconds } from './text.js'

// Our own codes: node's styleText drops them when process.stdout is not a TTY, and the caller decides that here.
const ansi = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], gray: [90, 39], bold: [1, 22] }
type Color = keyof typeof ansi

// Recap column order, as Ansible's PLAY RECAP, and the color a non-zero count gets.
const columns: [keyof Tally, Color][] = [
  ['ok', 'green'],
  ['changed', 'yellow'],
  ['unreachable', 'red'],
  ['failed', 'red'],
  ['skipped', 'cyan'],
]

function hostColor(h: HostReport): Color {
  if (h.status === 'failed' || h.status === 'unreachable') return 'red'
  if (h.status === 'not-run') return 'gray'
  return h.changed > 0 ? 'yellow' : 'green'
}

/** Why a host did not finish well, in one entry: `vm-3: step "Wait for XDS" failed: <msg>`. */
function failureLine(name: string, h: HostReport): string | undefined {
  const step = failingStep(h)
  if (step) return `${name}: step "${step.name}" failed: ${step.msg}`
  if (h.status === 'failed' || h.status === 'unreachable') return `${name}: ${h.status}: ${h.msg ?? ''}`
  return undefined
}

const NOT_RUN = 'the run stopped before this host finished'

/** VMs not run, one line per reason (a --max-fail stop leaves dozens with the same one): `12 VMs not run (why): …`. */
function notRunLines(hosts: [string, HostReport][]): string[] {
  const byWhy = new Map<string, string[]>()
  for (const [name, h] of hosts) {
    if (h.status !== 'not-run') continue
    const why = h.msg ?? NOT_RUN
    byWhy.set(why, [...(byWhy.get(why) ?? []), name])
  }
  return [...byWhy].map(([why, names]) =>
    names.length === 1 ? `${names[0]}: not run (${why})` : `${names.length} VMs not run (${why}): ${names.join(' ')}`,
  )
}

/** The final recap: one aligned row of counts per host, a totals line, then what failed and why. */
export function formatRecap(report: RunReport, opts: { color: boolean }): string[] {
  const paint = (c: Color, s: string) => (opts.color ? `\x1b[${ansi[c][0]}m${s}\x1b[${ansi[c][1]}m` : s)
  const hosts = Object.entries(report.hosts)
  const nameWidth = Math.max(0, ...hosts.map(([n]) => n.length))
  const width = (k: keyof Tally) => Math.max(...hosts.map(([, h]) => String(h[k]).length))
  const cells = columns.map(([k, c]) => ({ k, c, w: `${k}=`.length + width(k) }))

  const rows = hosts.map(([name, h]) => {
    const counts = cells.map(({ k, c, w }) => {
      const text = `${k}=${h[k]}`
      return (h[k] > 0 ? paint(c, text) : text) + ' '.repeat(w - text.length)
    })
    return `${paint(hostColor(h), name)}${' '.repeat(nameWidth - name.length)} : ${counts.join('  ')}`.trimEnd()
  })

  const t = report.totals
  const notRun = hosts.filter(([, h]) => h.status === 'not-run').length
  const mode = report.check ? ', check mode: changed = would change' : ''
  const took = report.durationMs === undefined ? '' : ` in ${seconds(report.durationMs)}`
  const totals =
    `${hosts.length} hosts${took}: ok=${t.ok} changed=${t.changed} unreachable=${t.unreachable} ` +
    `failed=${t.failed} skipped=${t.skipped}${notRun ? ` not-run=${notRun}` : ''}${mode}`
  const failures = [...hosts.flatMap(([n, h]) => failureLine(n, h) ?? []), ...notRunLines(hosts)].map((l) =>
    paint('red', indentRest(l, '  ')),
  )
  return [paint('bold', `RECAP ${report.playbook}`), ...rows, totals, ...failures]
}
