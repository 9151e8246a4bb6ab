import type { RunEvent, RunListener, StepResult } from '../executor/events.js'
import { unifiedDiff } from './diff-lines.js'
import { plainProgress } from './plain-progress.js'
import { indentRest, progressText, seconds, stepLabel, tallyText, type LineOut } from './text.js'

export interface PlainOptions {
  /** Print each step's before/after diff under its line. */
  diff?: boolean
  /** Also print a line when each step starts. */
  verbose?: boolean
}

const diffIndent = '    '
const checkNote = ' (check mode: nothing is changed)'

function statusWord(result: StepResult, check: boolean): string {
  return check && result.status === 'changed' ? 'would change' : result.status
}

/** One timestamped line per host and step, for CI logs and pipes. */
export function plainListener(out: LineOut, opts: PlainOptions = {}): RunListener {
  let check = false
  const totals = new Map<string, number>()
  const line = (event: RunEvent, text: string) => out(`${new Date(event.at).toISOString()} ${indentRest(text, '    ')}`)
  const progress = plainProgress((e) =>
    line(e, `${e.host} ${stepLabel(e.index, totals.get(e.host))} ${e.name}: ${progressText(e)}`),
  )

  return (event) => {
    switch (event.type) {
      case 'run-start':
        check = event.check
        line(event, `run ${event.playbook} on ${event.hosts.length} hosts${check ? checkNote : ''}`)
        break
      case 'batch-start':
        line(event, `batch ${event.batch}/${event.of}: ${event.hosts.join(' ')}`)
        break
      case 'host-start':
        line(event, `${event.host} start`)
        break
      case 'host-retry':
        line(event, `${event.host} retry ${event.attempt}: ${event.msg}`)
        break
      case 'step-progress':
        progress.heard(event)
        break
      case 'step-start':
        progress.stop(event.host)
        if (event.total !== undefined) totals.set(event.host, event.total)
        if (opts.verbose) line(event, `${event.host} ${stepLabel(event.index, event.total)} ${event.name} ...`)
        break
      case 'step-end': {
        const { host, index, name, result } = event
        progress.stop(host)
        const msg = result.msg ? `: ${result.msg}` : ''
        const status = `${statusWord(result, check)} (${seconds(result.ms)})`
        line(event, `${host} ${stepLabel(index, totals.get(host))} ${name}: ${status}${msg}`)
        if (opts.diff && result.diff) for (const l of unifiedDiff(result.diff)) out(diffIndent + l)
        break
      }
      case 'host-end':
        progress.stop(event.host)
        if (event.status === 'unreachable') {
          line(event, `${event.host} unreachable: ${event.msg ?? ''} (${seconds(event.ms)})`)
        } else {
          // A failure outside any step (facts, sudo) is only told here.
          const msg = event.status === 'failed' && event.msg ? `: ${event.msg}` : ''
          line(event, `${event.host} ${event.status}: ${tallyText(event.tally)} (${seconds(event.ms)})${msg}`)
        }
        break
      case 'run-end':
        progress.stopAll()
        line(event, `run end (${seconds(event.ms)})${event.stopped ? `: stopped starting VMs (${event.stopped})` : ''}`)
        break
    }
  }
}
