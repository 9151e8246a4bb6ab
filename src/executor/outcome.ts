import { emptyTally, type ErrorKind, type HostStatus, type RunEvent, type StepResult, type Tally } from './events.js'

/** One step's result as the run keeps it. */
export interface StepRecord {
  index: number
  kind: string
  name: string
  result: StepResult
}

/** One VM's outcome; `not-run` when the run ended (`--max-fail`, interrupt) before this VM finished. */
export interface HostOutcome {
  status: HostStatus | 'not-run'
  tally: Tally
  steps: StepRecord[]
  ms: number
  msg?: string
  errorKind?: ErrorKind
  /** Earlier attempts (`--retries`) and why they ended; the steps are the last attempt's. */
  retries?: { attempt: number; msg: string }[]
  /** The rolling batch (1-based) the VM ran in, with `serial`. */
  batch?: number
}

/** What a run came to, folded once from its RunEvents: exit code, report file, recap and the wizard all read this. */
export interface RunOutcome {
  playbook: string
  check: boolean
  /** Epoch ms. */
  start: number
  end?: number
  ms: number
  hosts: Record<string, HostOutcome>
  /** With `serial`: the batches started, in order, each its VMs (a run stopped by --max-fail lists fewer). */
  batches?: string[][]
  failed: string[]
  unreachable: string[]
  notRun: string[]
  /** Why the run stopped starting VMs (`--max-fail`); its not-run VMs carry it as their message. */
  stopped?: string
}

const notRun = (): HostOutcome => ({ status: 'not-run', tally: emptyTally(), steps: [], ms: 0 })

function tallyOf(steps: StepRecord[]): Tally {
  const t = emptyTally()
  for (const s of steps) t[s.result.status]++
  return t
}

/** The one fold of RunEvents into a RunOutcome; a RunListener, so the executor and reporters feed it alike. */
export class RunFold {
  #playbook = ''
  #check = false
  #start = 0
  #end: number | undefined
  #ms = 0
  #hosts: Record<string, HostOutcome> = {}
  #order: string[] = []
  #batches: string[][] | undefined
  #stopped: string | undefined

  readonly listener = (event: RunEvent): void => {
    if (event.type === 'run-start') {
      this.#playbook = event.playbook
      this.#check = event.check
      this.#start = event.at
      this.#end = undefined
      this.#hosts = Object.fromEntries(event.hosts.map((h) => [h, notRun()]))
      this.#order = [...event.hosts]
      this.#batches = undefined
      this.#stopped = undefined
      return
    }
    if (event.type === 'batch-start') {
      ;(this.#batches ??= []).push(event.hosts)
      for (const h of event.hosts) if (this.#hosts[h]) this.#hosts[h].batch = event.batch
      return
    }
    if (event.type === 'run-end') {
      this.#end = event.at
      this.#ms = event.ms
      this.#stopped = event.stopped
      if (event.stopped) for (const h of Object.values(this.#hosts)) if (h.status === 'not-run') h.msg ??= event.stopped
      return
    }
    if (!this.#hosts[event.host]) {
      this.#hosts[event.host] = notRun()
      this.#order.push(event.host)
    }
    const host = this.#hosts[event.host]
    switch (event.type) {
      case 'host-retry':
        // the final attempt's steps are the ones that count; earlier attempts leave their message
        host.retries = [...(host.retries ?? []), { attempt: event.attempt, msg: event.msg }]
        host.steps = []
        host.tally = emptyTally()
        break
      case 'step-end': {
        const { index, kind, name, result } = event
        host.steps = [...host.steps.filter((s) => s.index !== index), { index, kind, name, result }]
        host.steps.sort((a, b) => a.index - b.index)
        host.tally = tallyOf(host.steps)
        break
      }
      case 'host-end':
        host.status = event.status
        host.ms = event.ms
        if (event.msg !== undefined) host.msg = event.msg
        if (event.errorKind !== undefined) host.errorKind = event.errorKind
        host.tally = { ...event.tally }
        break
    }
  }

  outcome(): RunOutcome {
    const named = (status: HostOutcome['status']) => this.#order.filter((h) => this.#hosts[h].status === status)
    return {
      playbook: this.#playbook,
      check: this.#check,
      start: this.#start,
      ...(this.#end === undefined ? {} : { end: this.#end }),
      ms: this.#ms,
      hosts: this.#hosts,
      ...(this.#batches ? { batches: this.#batches } : {}),
      failed: named('failed'),
      unreachable: named('unreachable'),
      notRun: named('not-run'),
      ...(this.#stopped ? { stopped: this.#stopped } : {}),
    }
  }
}
