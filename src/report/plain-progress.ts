import type { RunEvent } from '../executor/events.js'

type Progress = Extract<RunEvent, { type: 'step-progress' }>

// A CI log gets a wait's latest log line at most this often per VM: the newest one once the time has come, so a line
// that came and stayed is printed even when nothing follows it.
const LINE_EVERY_MS = 5000
// An upload is told at these fractions of its bytes (its end is the step's own line).
const UPLOAD_MARKS = [0.25, 0.5, 0.75]

interface Running {
  index: number
  printedAt?: number
  pending?: Progress
  timer?: NodeJS.Timeout
  marks: number
}

/**
 * Which progress events plain output prints: per VM, its running step's log lines rate-limited, its upload at a
 * quarter, half and three quarters. `print` gets the events to print, in order; `stop(host)` when the VM's step ends.
 */
export function plainProgress(print: (e: Progress) => void) {
  const running = new Map<string, Running>()
  const stop = (host: string) => {
    clearTimeout(running.get(host)?.timer)
    running.delete(host)
  }
  const flush = (host: string, r: Running) => {
    r.timer = undefined
    if (running.get(host) !== r || !r.pending) return
    const e = r.pending
    r.pending = undefined
    // it was due then: the next line is counted from there, not from when this one was seen
    r.printedAt = r.printedAt! + LINE_EVERY_MS
    print(e)
  }
  return {
    stop,
    stopAll: () => [...running.keys()].forEach(stop),
    heard(e: Progress): void {
      let r = running.get(e.host)
      if (r?.index !== e.index) {
        stop(e.host)
        running.set(e.host, (r = { index: e.index, marks: 0 }))
      }
      if ('bytes' in e) {
        const passed = UPLOAD_MARKS.filter((m) => e.bytes >= m * e.total && e.bytes < e.total).length
        if (passed > r.marks) print(e)
        r.marks = Math.max(r.marks, passed)
        return
      }
      if (r.printedAt === undefined || e.at - r.printedAt >= LINE_EVERY_MS) {
        r.printedAt = e.at
        r.pending = undefined
        return print(e)
      }
      r.pending = e
      const row = r
      r.timer ??= setTimeout(() => flush(e.host, row), r.printedAt + LINE_EVERY_MS - e.at).unref()
    },
  }
}
