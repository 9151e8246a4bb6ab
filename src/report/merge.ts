import { InputError } from '../errors.js'
import { emptyTally } from '../executor/events.js'
import type { HostReport, RunReport } from './collector.js'
import { MESHVM_VERSION, SCHEMA_VERSION } from '../version.js'

/** One shard's report and where it was read from (for messages). */
export interface ReportPart {
  source: string
  report: RunReport
}

/** A VM no part reports on, and why (e.g. its shard's pod left no report). */
export interface MissingHost {
  name: string
  msg: string
}

const tallyKeys = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const

function agree<T>(parts: ReportPart[], what: string, value: (r: RunReport) => T): T {
  const values = new Map(parts.map((p) => [JSON.stringify(value(p.report)), p.source]))
  if (values.size > 1) {
    const list = [...values].map(([v, source]) => `${source}: ${v}`).join('; ')
    throw new InputError(`report merge: the reports are not of one run (${what} differs: ${list})`)
  }
  return value(parts[0].report)
}

/** The shard indexes of `count` that no part is. */
export function missingShards(parts: ReportPart[], count: number): number[] {
  const seen = new Set(parts.map((p) => p.report.shard?.index))
  return Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i))
}

/**
 * One fleet report from the reports of its shards: the same playbook and mode, each VM in exactly one part (a VM in
 * two is an InputError naming both sources), `missing` VMs added as not-run; start and end span all parts.
 */
export function mergeReports(parts: ReportPart[], missing: MissingHost[] = []): RunReport {
  if (parts.length === 0) throw new InputError('report merge: no report given')
  const playbook = agree(parts, 'playbook', (r) => r.playbook)
  const check = agree(parts, 'check mode', (r) => r.check)
  const count = agree(parts, 'shard count', (r) => r.shard?.count)
  const byIndex = new Map<number, string>()
  const hosts: Record<string, HostReport> = {}
  const from = new Map<string, string>()
  for (const { source, report } of parts) {
    const index = report.shard?.index
    if (index !== undefined && byIndex.has(index)) {
      throw new InputError(`report merge: ${byIndex.get(index)} and ${source} are both shard ${index}/${count}`)
    }
    if (index !== undefined) byIndex.set(index, source)
    for (const [name, host] of Object.entries(report.hosts)) {
      if (from.has(name)) throw new InputError(`report merge: VM ${name} is in both ${from.get(name)} and ${source}`)
      from.set(name, source)
      hosts[name] = host
    }
  }
  for (const m of missing) {
    if (!hosts[m.name])
      hosts[m.name] = { status: 'not-run', msg: m.msg, ...emptyTally(), ms: 0, retries: [], steps: [] }
  }
  const totals = emptyTally()
  for (const h of Object.values(hosts)) for (const k of tallyKeys) totals[k] += h[k]
  const starts = parts.map((p) => Date.parse(p.report.start)).filter(Number.isFinite)
  const ends = parts.map((p) => Date.parse(p.report.end ?? '')).filter(Number.isFinite)
  const start = Math.min(...starts)
  const end = ends.length === parts.length ? Math.max(...ends) : undefined
  return {
    schemaVersion: SCHEMA_VERSION,
    meshvm: MESHVM_VERSION,
    argv: parts[0]?.report.argv ?? [],
    playbook,
    check,
    start: new Date(start).toISOString(),
    ...(end === undefined ? {} : { end: new Date(end).toISOString(), durationMs: end - start }),
    hosts,
    totals,
    ...(count === undefined ? {} : { shards: { count, reported: [...byIndex.keys()].sort((a, b) => a - b) } }),
  }
}
