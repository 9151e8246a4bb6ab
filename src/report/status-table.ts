// `meshvm status` on a terminal: a table worst first, each VM's reason and fixing command under its row. A large
// fleet is grouped: healthy VMs fold into one line, the others into one line per (verdict, cause, fix) with every
// VM's name in the fix's --limit.
import { inHuman } from '../plan/status-checks.js'
import { tally, type StatusRow } from './status-view.js'

const GROUP_ABOVE = 20

function when(iso: string | undefined, now: number, none: string): string {
  if (!iso) return none
  const ms = Date.parse(iso) - now
  return ms <= 0 ? 'expired' : inHuman(ms)
}

function cells(r: StatusRow, now: number): string[] {
  const f = r.facts
  if (!f) return [r.vm, r.verdict, '-', '-', '-', '-', '-', '-']
  const entry = !f.workloadEntry.present
    ? f.workloadEntry.autoregister
      ? 'missing'
      : 'none'
    : f.workloadEntry.healthy === 'False'
      ? 'unhealthy'
      : f.workloadEntry.disconnectedAt
        ? 'disconnected'
        : 'ok'
  return [
    r.vm,
    r.verdict,
    f.xds.connected ? 'connected' : 'no',
    when(f.certificate.notAfter, now, 'none'),
    f.token.present ? when(f.token.expiresAt, now, 'no claims') : 'none',
    f.root.state === 'same' ? 'ok' : f.root.state,
    f.drift.files.length ? f.drift.files.join(',') : '-',
    entry,
  ]
}

const HEAD = ['VM', 'VERDICT', 'XDS', 'CERT EXPIRES', 'TOKEN EXPIRES', 'ROOT', 'DRIFT', 'ENTRY']

function table(rows: string[][]): string[] {
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
}

function summary(rows: StatusRow[]): string {
  const t = tally(rows)
  return `${rows.length} VM(s): ${t.ok} ok, ${t.attention} attention, ${t.broken} broken, ${t.unreachable} unreachable`
}

export function renderStatusTable(rows: StatusRow[], now: number, diffs: Map<string, string[]> = new Map()): string {
  if (rows.length > GROUP_ABOVE) return renderGrouped(rows)
  const lines = table([HEAD, ...rows.map((r) => cells(r, now))])
  const out = [lines[0]]
  rows.forEach((r, i) => {
    out.push(lines[i + 1])
    if (r.verdict !== 'ok') out.push(`    reason: ${r.reason}`, ...(r.fix ? [`    fix:    ${r.fix}`] : []))
    for (const d of diffs.get(r.vm) ?? []) out.push(`    ${d}`)
  })
  return [...out, summary(rows), ''].join('\n')
}

/** One line per kind of problem; the fix names every VM of the group. */
function renderGrouped(rows: StatusRow[]): string {
  const groups = new Map<string, StatusRow[]>()
  for (const r of rows) {
    const key =
      r.verdict === 'ok'
        ? 'ok'
        : `${r.verdict}|${r.findings[0]?.check ?? r.verdict}|${r.fix?.split(' --limit ')[0] ?? ''}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const out: string[] = []
  for (const [key, members] of groups) {
    const names = members.map((m) => m.vm)
    const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length - 8} more)` : names.join(', ')
    if (key === 'ok') {
      out.push(`ok           ${String(members.length).padStart(4)} VM(s): ${shown}`)
      continue
    }
    const first = members[0]
    out.push(`${first.verdict.padEnd(12)} ${String(members.length).padStart(4)} VM(s): ${shown}`)
    out.push(`    reason: ${first.reason}${members.length > 1 ? ' (first VM; --output json for each)' : ''}`)
    if (first.fix) out.push(`    fix:    ${first.fix.replace(` --limit ${first.vm}`, ` --limit ${names.join(',')}`)}`)
  }
  return [...out, summary(rows), ''].join('\n')
}
