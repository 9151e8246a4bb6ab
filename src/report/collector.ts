import { emptyTally } from '../executor/events.js'
import type { HostStatus, RunEvent, StepDiff, StepStatus, Tally } from '../executor/events.js'

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
  ms: number
  retries: { attempt: number; msg: string }[]
  steps: StepReport[]
}

/** The JSON report of one run, built from RunEvents only. Times are ISO 8601. */
export interface RunReport {
  playbook: string
  check: boolean
  start: string
  end?: string
  durationMs?: number
  hosts: Record<string, HostReport>
  totals: Tally
}

const tallyKeys = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const

function newHost(): HostReport {
  return { status: 'not-run', ...emptyTally(), ms: 0, retries: [], steps: [] }
}

function setTally(host: HostReport, tally: Tally): void {
  for (const k of tallyKeys) host[k] = tally[k]
}

/** A RunListener that folds events into a RunReport; the run's outcome is read from here, never from a UI. */
export class ReportCollector {
  #report: RunReport = { playbook: '', check: false, start: '', hosts: {}, totals: emptyTally() }

  readonly listener = (event: RunEvent): void => {
    const r = this.#report
    if (event.type === 'run-start') {
      const { playbook, check } = event
      this.#report = { playbook, check, start: iso(event.at), hosts: {}, totals: emptyTally() }
      for (const h of event.hosts) this.#report.hosts[h] = newHost()
      return
    }
    if (event.type === 'run-end') {
      r.end = iso(event.at)
      r.durationMs = event.ms
      return
    }
    const host = (r.hosts[event.host] ??= newHost())
    switch (event.type) {
      case 'host-retry':
        // The final attempt's steps are the ones that count; earlier attempts leave their message.
        host.retries.push({ attempt: event.attempt, msg: event.msg })
        host.steps = []
        setTally(host, emptyTally())
        break
      case 'step-end': {
        const { index, kind, name, result } = event
        host.steps = host.steps.filter((s) => s.index !== index)
        host.steps.push({ index, kind, name, ...result })
        host.steps.sort((a, b) => a.index - b.index)
        setTally(host, tallySteps(host.steps))
        break
      }
      case 'host-end':
        host.status = event.status
        host.ms = event.ms
        if (event.msg !== undefined) host.msg = event.msg
        setTally(host, event.tally)
        break
    }
  }

  /** The report so far, with totals summed over hosts. */
  report(): RunReport {
    const totals = emptyTally()
    for (const h of Object.values(this.#report.hosts)) for (const k of tallyKeys) totals[k] += h[k]
    return { ...this.#report, totals }
  }
}

function tallySteps(steps: StepReport[]): Tally {
  const t = emptyTally()
  for (const s of steps) t[s.status]++
  return t
}

function iso(at: number): string {
  return new Date(at).toISOString()
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
