import type { ListrTask } from 'listr2'
import type { HostStatus, RunEvent, RunListener } from '../executor/events.js'
import { maskSecrets, type Secret } from '../secret.js'
import { newListr, Row, type TreeOptions, type Wrapper } from './listr-tree.js'
import { seconds, stepLabel } from './text.js'

/** Options of the live listr2 tree. */
export interface ListrReporterOptions extends TreeOptions {
  /** Fleets larger than this are drawn in groups of this many VMs, in the order they start; a group whose VMs all
   * finished folds to one line. */
  collapseAfter?: number
  secrets?: readonly Secret[]
}

type HostEnd = Extract<RunEvent, { type: 'host-end' }>

interface Slot {
  row: Row
  group: Group
  host?: string
  step?: { label: string; name: string }
  failedStep?: { label: string; name: string; msg: string }
  status?: HostStatus
  ms: number
}

interface Group {
  row: Row
  slots: Slot[]
}

// Failure messages can be long command output: the tree shows their first lines, the recap all of it.
const maxMsgLines = 3

function clip(msg: string): string {
  const lines = msg.trim().split('\n')
  return lines.length > maxMsgLines ? [...lines.slice(0, maxMsgLines), '…'].join('\n') : lines.join('\n')
}

/** VM counts by outcome, non-zero only: `8 changed, 1 ok, 1 failed`. */
function outcomes(slots: Slot[]): string {
  const order: HostStatus[] = ['changed', 'ok', 'failed', 'unreachable']
  const counts = order.map((s) => [s, slots.filter((x) => x.status === s).length] as const).filter(([, n]) => n > 0)
  return counts.map(([s, n]) => `${n} ${s}`).join(', ') || 'none finished'
}

function foldedTitle(slots: Slot[]): string {
  const names = slots.map((s) => s.host)
  const who = names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ')
  return `${who}: ${outcomes(slots)} (${seconds(Math.max(...slots.map((s) => s.ms)))})`
}

/** A live listr2 tree fed by RunEvents: a row per running VM with its current step, finished VMs as one line. Rows
 * are handed out in the order VMs start, so VMs that finish together fold together. */
export function listrListener(opts: ListrReporterOptions): { listener: RunListener; finished(): Promise<void> } {
  const mask = (s: string) => maskSecrets(s, opts.secrets ?? [])
  const collapseAfter = Math.max(1, opts.collapseAfter ?? 10)
  const bySlot: Slot[] = []
  const byHost = new Map<string, Slot>()
  let groups: Group[] = []
  // Live tree only: a failed VM leaves its group for a row down here, so groups always fold and failures stay in view.
  const failures: Row[] = []
  let live = false
  const progress = new Row()
  let running: Promise<unknown> = Promise.resolve()
  let check = false

  const showProgress = (final = false) => {
    const used = [...byHost.values()]
    const done = used.filter((h) => h.status)
    const state = final ? 'finished' : `done, ${used.length - done.length} running`
    const head = `${done.length}/${bySlot.length} VMs ${state}`
    progress.show(`${check ? 'check mode: ' : ''}${head}${done.length ? `: ${outcomes(done)}` : ''}`)
  }

  const slotOf = (host: string): Slot | undefined => {
    let slot = byHost.get(host)
    if (!slot && byHost.size < bySlot.length) {
      slot = bySlot[byHost.size]
      slot.host = host
      byHost.set(host, slot)
    }
    return slot
  }

  // A failed row keeps its failing step as title; listr2 prints the message under it.
  const endHost = (slot: Slot, e: HostEnd) => {
    slot.status = e.status
    slot.ms = e.ms
    const t = e.tally
    if (e.status === 'ok' || e.status === 'changed') {
      slot.row.show(`${e.host}  ok=${t.ok} changed=${t.changed} failed=${t.failed} (${seconds(e.ms)})`)
      slot.row.end()
    } else {
      const step = e.status === 'failed' ? slot.failedStep : undefined
      const where = step ? `${step.label} ${step.name}` : e.status
      const row = live ? failures.find((r) => r.title === undefined)! : slot.row
      if (live) {
        slot.row.hide()
        slot.row.end()
      }
      row.show(mask(`${e.host}  ${where}`))
      row.end(mask(clip(slot.failedStep?.msg ?? e.msg ?? e.status)))
    }
    // Titled only once all its VMs are done: an untitled group draws its rows as if they were top-level.
    const { group } = slot
    if (groups.length > 1 && group.slots.every((s) => s.status)) group.row.show(foldedTitle(group.slots))
  }

  const start = (e: Extract<RunEvent, { type: 'run-start' }>) => {
    check = e.check
    bySlot.length = 0
    byHost.clear()
    groups = []
    for (let i = 0; i < e.hosts.length; i += collapseAfter) {
      const group: Group = { row: new Row(), slots: [] }
      const size = Math.min(collapseAfter, e.hosts.length - i)
      for (let j = 0; j < size; j++) group.slots.push({ row: new Row(), group, ms: 0 })
      groups.push(group)
      bySlot.push(...group.slots)
    }
    showProgress()
    const rowTask = (row: Row): ListrTask => ({ task: (_, w) => row.run(w as Wrapper) })
    const groupTask = (g: Group): ListrTask => ({
      task: (_, w) => {
        g.row.attach(w as Wrapper)
        return w.newListr(
          g.slots.map((s) => rowTask(s.row)),
          { concurrent: true, exitOnError: false },
        )
      },
    })
    failures.length = 0
    failures.push(...bySlot.map(() => new Row()))
    const tree = newListr([...groups.map(groupTask), ...failures.map(rowTask), rowTask(progress)], opts)
    live = tree.live
    running = tree.listr.run()
  }

  // Rows still open when the run ends (stopped by --max-fail, interrupted) end here, so the tree always closes.
  const finish = () => {
    for (const s of bySlot) if (!s.row.done) s.row.end(s.row.title === undefined ? undefined : 'not finished')
    for (const r of failures) if (!r.done) r.end()
    if (!progress.done) {
      showProgress(true)
      progress.end()
    }
  }

  const listener: RunListener = (e) => {
    if (e.type === 'run-start') return start(e)
    if (e.type === 'run-end') return finish()
    if (e.type === 'batch-start') return
    const slot = slotOf(e.host)
    if (!slot || slot.row.done) return
    switch (e.type) {
      case 'host-start':
        slot.row.show(`${e.host}  connecting`)
        showProgress()
        break
      case 'host-retry':
        // A new attempt starts over: what the last one reached or failed on no longer describes this VM.
        slot.step = slot.failedStep = undefined
        slot.row.show(mask(`${e.host}  retry ${e.attempt}: ${clip(e.msg)}`))
        break
      case 'step-start':
        slot.step = { label: stepLabel(e.index, e.total), name: e.name }
        slot.row.show(mask(`${e.host}  ${slot.step.label} ${e.name}`))
        break
      case 'step-end':
        if (e.result.status === 'failed' && slot.step) slot.failedStep = { ...slot.step, msg: e.result.msg }
        break
      case 'host-end':
        endHost(slot, e)
        showProgress()
        break
    }
  }

  return {
    listener,
    async finished() {
      finish()
      await running
    },
  }
}
