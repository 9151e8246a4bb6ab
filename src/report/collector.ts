import { emptyTally } from '../executor/events.js'
import type { ErrorKind, HostStatus, RunEvent, StepDiff, StepStatus, Tally } from '../executor/events.js'
import { MESHVM_VERSION, SCHEMA_VERSION } from '../version.js'
import { RunFold, type HostOutcome, type RunOutcome } from '../executor/outcome.js'

/** One step's result as the report keeps it. */
export interface StepReport {
  index: number
  kind: string
  name: string
  status: StepStatus
  msg: string
  diff?: StepDiff
  ms: number
}

/** `not-run`: the run ended (`--max-fail`, interrupt) before this host finished. */
export type HostReportStatus = HostStatus | 'not-run'

/** Per host: the tally (`ok`, `changed`, `failed`, `skipped`, `unreachable`) plus each step's result. */
export interface HostReport extends Tally {
  status: HostReportStatus
  msg?: string
  /** Why it did not finish well (failed or unreachable hosts only). */
  errorKind?: ErrorKind
  ms: number
  retries: { attempt: number; msg: string }[]
  /** The rolling batch (1-based) the host ran in, with `serial`. */
  batch?: number
  steps: StepReport[]
}

/** The JSON report of one run, built from RunEvents only. Times are ISO 8601. README "Reports and events". */
export interface RunReport {
  schemaVersion: number
  meshvm: string
  /** The command line (meshvm never takes a secret as an argument; masked all the same). */
  argv: string[]
  playbook: string
  check: boolean
  start: string
  end?: string
  durationMs?: number
  hosts: Record<string, HostReport>
  /** With `serial`: the batches started, in order, each its hosts (a run stopped by --max-fail lists fewer). */
  batches?: string[][]
  totals: Tally
  /** Why the run stopped starting VMs before all had run (`--max-fail`). */
  stopped?: string
  /** Set when the run was one shard of the fleet (`--shard i/n`, an Indexed Job's pod). */
  shard?: { index: number; count: number }
  /** Set on a merged report (`meshvm report merge`): the shard count and the shards whose reports it holds. */
  shards?: { count: number; reported: number[] }
}

const tallyKeys = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const

const iso = (at: number) => new Date(at).toISOString()

function hostReport(h: HostOutcome): HostReport {
  const steps = h.steps.map(({ index, kind, name, result }) => ({ index, kind, name, ...result }))
  const why = {
    ...(h.msg === undefined ? {} : { msg: h.msg }),
    ...(h.errorKind === undefined ? {} : { errorKind: h.errorKind }),
  }
  const batch = h.batch === undefined ? {} : { batch: h.batch }
  return { status: h.status, ...h.tally, ...why, ms: h.ms, retries: h.retries ?? [], ...batch, steps }
}

/** The JSON report of a run outcome (the shape of `--report` and `.meshvm/last-run.json`). */
export function reportOf(o: RunOutcome, argv: string[] = []): RunReport {
  const hosts = Object.fromEntries(Object.entries(o.hosts).map(([name, h]) => [name, hostReport(h)]))
  const totals = emptyTally()
  for (const h of Object.values(hosts)) for (const k of tallyKeys) totals[k] += h[k]
  const end = o.end === undefined ? {} : { end: iso(o.end), durationMs: o.ms }
  const meta = { schemaVersion: SCHEMA_VERSION, meshvm: MESHVM_VERSION, argv }
  const batches = o.batches ? { batches: o.batches } : {}
  const stopped = o.stopped ? { stopped: o.stopped } : {}
  return {
    ...meta,
    playbook: o.playbook,
    check: o.check,
    start: iso(o.start),
    ...end,
    hosts,
    ...batches,
    totals,
    ...stopped,
  }
}

/** A RunListener over the run's one fold, read as the JSON report; results come from events, never from a UI. */
export class ReportCollector {
  constructor(readonly fold = new RunFold()) {}

  readonly listener = (event: RunEvent): void => this.fold.listener(event)

  report(): RunReport {
    return reportOf(this.fold.outcome())
  }
}

/** Hosts to resume with `--limit @failed`: failed, unreachable, and those the run never finished. */
export function failedHosts(report: RunReport): string[] {
  return Object.entries(report.hosts)
    .filter(([, h]) => h.status === 'failed' || h.status === 'unreachable' || h.status === 'not-run')
    .map(([name]) => name)
}

/** The step a failed host failed on, if a step failed (unreachable hosts fail before any step). */
export function failingStep(host: HostReport): StepReport | undefined {
  return host.steps.find((s) => s.status === 'failed')
}
