import type { ListrTask } from 'listr2'
import type { HostStatus, RunEvent, RunListener } from '../executor/events.js'
import { maskSecrets, type Secret } from '../secret.js'
import { newListr, Row, type TreeOptions, type Wrapper } from './listr-tree.js'
import { progressText, seconds, stepLabel } from './text.js'

/** Options of the live listr2 tree. */
export interface ListrReporterOptions extends TreeOptions {
  secrets?: readonly Secret[]
  /** Terminal rows when the stream does not say (default 24). */
  rows?: number
}

type HostEnd = Extract<RunEvent, { type: 'host-end' }>

interface Vm {
  host: string
  text: string
  step?: { index: number; label: string; name: string }
  /** Its running step's progress (a wait's latest log line, an upload's bytes), drawn under its row. */
  progress?: string
  failedStep?: { label: string; name: string; msg: string }
  status?: HostStatus
  /** Its own row: every VM has one when the tree is a log (-v, not a TTY); only failures do in the live tree. */
  row?: Row
}

// Rows the live tree keeps for itself: the summary line and the cursor's line below the frame.
const OWN_ROWS = 2
// Rows never handed out, however many the terminal has: a running VM needs no more, a failure row needs to exist.
const MAX_RUNNING_ROWS = 200
const MAX_FAILURE_ROWS = 100

/** VM counts by outcome, non-zero only: `8 changed, 1 ok, 1 failed`. */
function outcomes(vms: Vm[]): string {
  const order: HostStatus[] = ['changed', 'ok', 'failed', 'unreachable']
  const counts = order.map((s) => [s, vms.filter((x) => x.status === s).length] as const).filter(([, n]) => n > 0)
  return counts.map(([s, n]) => `${n} ${s}`).join(', ')
}

const firstLine = (msg: string) => {
  const lines = msg.trim().split('\n')
  return lines.length > 1 ? `${lines[0]} …` : (lines[0] ?? '')
}

/**
 * A live listr2 tree fed by RunEvents. On a terminal: a row per running VM with its current step (as many as fit,
 * then `… N more running`), a VM that finished well folds into the summary line at once, a failed or unreachable one
 * keeps a row with its reason, and the summary line ends with the worst outcome's glyph (✖ failed, ⚠ unreachable or
 * not run, ✔ otherwise). Off a terminal (-v, the simple renderer): a row per VM, ending with its outcome.
 */
export function listrListener(opts: ListrReporterOptions): { listener: RunListener; finished(): Promise<void> } {
  const mask = (s: string) => maskSecrets(s, opts.secrets ?? [])
  const stream = opts.stream as NodeJS.WritableStream & { rows?: number }
  const terminalRows = () => stream.rows || opts.rows || 24
  let vms = new Map<string, Vm>()
  let order: Vm[] = []
  let running: Vm[] = []
  let runningRows: Row[] = []
  let failureRows: Row[] = []
  let failuresShown = 0
  let failureLines = 0
  const more = new Row()
  const summary = new Row()
  let live = false
  let treeRun: Promise<unknown> = Promise.resolve()
  let check = false
  let stopped: string | undefined
  let ended = false

  const rowText = (vm: Vm) => {
    const step = vm.step ? `  ${vm.step.label} ${vm.step.name}` : ''
    return mask(`${vm.host}${step || vm.text}`)
  }
  // a second line of the row's title: listr2 indents it under the first (its output bar would go to the bottom of
  // the screen for these rows, which start untitled)
  const runningText = (vm: Vm) => rowText(vm) + (vm.progress ? `\n› ${vm.progress}` : '')

  const summaryText = (final: boolean) => {
    const done = order.filter((v) => v.status)
    const left = order.length - done.length
    const head = final
      ? `${done.length}/${order.length} VMs finished`
      : `${done.length}/${order.length} VMs done, ${running.length} running`
    const counts = outcomes(done)
    const notRun = final && left > 0 ? `; ${left} not run` : ''
    const failed = done.filter((v) => v.status === 'failed' || v.status === 'unreachable').length
    const hidden = live && failed > failuresShown ? ` (${failed - failuresShown} more failures in the recap)` : ''
    return `${check ? 'check mode: ' : ''}${head}${counts ? `: ${counts}` : ''}${notRun}${hidden}`
  }

  // Hands the terminal's rows out: failure rows keep theirs, running VMs get what is left, the rest is counted.
  const layout = () => {
    if (ended) return
    summary.show(summaryText(false))
    if (!live) {
      for (const vm of running) vm.row?.show(rowText(vm))
      return
    }
    const free = Math.max(0, terminalRows() - OWN_ROWS - failureLines)
    // a VM's progress line takes a row of its own; one row is kept for `… N more` when not all fit
    const rows = (vm: Vm) => (vm.progress ? 2 : 1)
    const room = running.reduce((n, vm) => n + rows(vm), 0) <= free ? free : free - 1
    let shown = 0
    for (let used = 0; shown < running.length && used + rows(running[shown]!) <= room; shown++)
      used += rows(running[shown]!)
    runningRows.forEach((row, i) => (i < shown ? row.show(runningText(running[i]!)) : row.hide()))
    if (running.length > shown) more.show(`… ${running.length - shown} more running`)
    else more.hide()
  }

  // A failed row keeps its failing step as title and its message's first line under it; the recap has all of it.
  const endHost = (vm: Vm, e: HostEnd) => {
    vm.status = e.status
    running = running.filter((v) => v !== vm)
    const good = e.status === 'ok' || e.status === 'changed'
    const t = e.tally
    if (good) {
      vm.row?.show(`${e.host}  ok=${t.ok} changed=${t.changed} failed=${t.failed} (${seconds(e.ms)})`)
      vm.row?.end()
      return
    }
    const step = e.status === 'failed' ? vm.failedStep : undefined
    const where = step ? `${step.label} ${step.name}` : e.status
    const msg = mask(firstLine(vm.failedStep?.msg ?? e.msg ?? e.status))
    // a live tree gives a failure a row while half the screen is left for them; later ones are counted
    const maxShown = Math.min(failureRows.length, Math.max(1, Math.floor((terminalRows() - OWN_ROWS) / 4)))
    const row = vm.row ?? (failuresShown < maxShown ? failureRows[failuresShown++] : undefined)
    if (!row) return
    if (!vm.row) failureLines += 2
    row.show(mask(`${e.host}  ${where}`))
    // a log (not live) has no ⚠: its rows end failed, with the message
    if (e.status === 'unreachable' && live) row.warn(msg)
    else row.end(msg)
  }

  const start = (e: Extract<RunEvent, { type: 'run-start' }>) => {
    check = e.check
    ended = false
    stopped = undefined
    failuresShown = failureLines = 0
    order = e.hosts.map((host) => ({ host, text: '' }))
    vms = new Map(order.map((v) => [v.host, v]))
    running = []
    const rowTask = (row: Row): ListrTask => ({ task: (_, w) => row.run(w as Wrapper) })
    const tree = newListr((isLive) => {
      if (!isLive) {
        for (const vm of order) vm.row = new Row()
        return [...order.map((vm) => rowTask(vm.row!)), rowTask(summary)]
      }
      runningRows = Array.from({ length: Math.min(order.length, MAX_RUNNING_ROWS) }, () => new Row())
      failureRows = Array.from({ length: Math.min(order.length, MAX_FAILURE_ROWS) }, () => new Row())
      return [...runningRows, more, ...failureRows, summary].map(rowTask)
    }, opts)
    live = tree.live
    stream.on('resize', layout)
    layout()
    treeRun = tree.listr.run()
  }

  // Rows still open when the run ends (stopped by --max-fail, interrupted) end here, so the tree always closes.
  const finish = () => {
    if (ended) return
    stream.off('resize', layout)
    for (const row of [...runningRows, more, ...failureRows]) if (!row.done) row.end()
    for (const vm of order)
      if (vm.row && !vm.row.done) vm.row.end(vm.row.title === undefined ? undefined : 'not finished')
    summary.show(summaryText(true))
    ended = true
    const failed = order.some((v) => v.status === 'failed')
    const allWell = order.every((v) => v.status === 'ok' || v.status === 'changed')
    // said once, under the line that counts the VMs not run
    const why = stopped ? `stopped: ${stopped}` : live ? '' : 'see the recap'
    if (allWell) summary.end()
    else if (failed || !live) summary.end(why)
    else summary.warn(why || undefined)
  }

  const listener: RunListener = (e) => {
    if (e.type === 'run-start') return start(e)
    if (e.type === 'run-end') {
      stopped = e.stopped
      return finish()
    }
    if (e.type === 'batch-start' || ended) return
    const vm = vms.get(e.host)
    if (!vm || vm.status) return
    switch (e.type) {
      case 'host-start':
        vm.text = '  connecting'
        if (!running.includes(vm)) running.push(vm)
        break
      case 'host-retry':
        // A new attempt starts over: what the last one reached or failed on no longer describes this VM.
        vm.step = vm.failedStep = vm.progress = undefined
        vm.text = `  retry ${e.attempt}: ${firstLine(e.msg)}`
        break
      case 'step-start':
        vm.step = { index: e.index, label: stepLabel(e.index, e.total), name: e.name }
        vm.progress = undefined
        break
      case 'step-progress':
        if (e.index === vm.step?.index) vm.progress = mask(progressText(e))
        break
      case 'step-end':
        vm.progress = undefined
        if (e.result.status === 'failed' && vm.step) vm.failedStep = { ...vm.step, msg: e.result.msg }
        break
      case 'host-end':
        endHost(vm, e)
        break
    }
    layout()
  }

  return {
    listener,
    async finished() {
      finish()
      await treeRun
    },
  }
}
