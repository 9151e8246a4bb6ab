import { InputError } from '../errors.js'
import type { RunListener } from '../executor/events.js'
import type { Secret } from '../secret.js'
import { ReportCollector, type RunReport } from './collector.js'
import { unifiedDiff } from './diff-lines.js'
import { ndjsonListener } from './json.js'
import { listrListener } from './listr.js'
import { plainListener } from './plain.js'
import { formatRecap } from './recap.js'
import { lineOut, stepLabel, type LineOut } from './text.js'

export { failedHosts, ReportCollector, type HostReport, type RunReport, type StepReport } from './collector.js'
export { writeReport } from './json.js'
export { formatRecap } from './recap.js'

/** How progress is shown: live listr2 tree, timestamped lines, or one JSON event per line. */
export type OutputMode = 'tty' | 'plain' | 'json'

const modes: readonly OutputMode[] = ['tty', 'plain', 'json']

/** `--output` if given, else the tree on a TTY and plain lines anywhere else (CI, pipes). */
export function pickOutputMode(flag: string | undefined, isTTY = process.stdout.isTTY === true): OutputMode {
  if (flag === undefined) return isTTY ? 'tty' : 'plain'
  if ((modes as readonly string[]).includes(flag)) return flag as OutputMode
  throw new InputError(`--output must be one of ${modes.join(', ')}, not "${flag}"`)
}

/** Options shared by every output mode. */
export interface ReporterOptions {
  /** Where progress goes; stdout by default. */
  stream?: NodeJS.WritableStream
  /** `-v`: a line per step start (plain) or listr2's verbose renderer (tty). */
  verbose?: boolean
  /** `--diff`: print each change's before/after. */
  diff?: boolean
  /** `--check`: the recap says changes are only planned (the run-start event says so too). */
  check?: boolean
  /** Fleets larger than this are drawn in groups of this many VMs (tty). */
  collapseAfter?: number
  /** Texts masked as *** in every line written, as a guard behind the Secret type. */
  secrets?: readonly Secret[]
}

/** A listener for the executor, and `done()` to await the display's end and print the recap. */
export interface Reporter {
  listener: RunListener
  done(): Promise<void>
}

export function createReporter(mode: OutputMode, opts: ReporterOptions = {}): Reporter {
  const stream = opts.stream ?? process.stdout
  const out = lineOut(stream, opts.secrets)
  if (mode === 'json') return { listener: ndjsonListener(out, opts.secrets), done: async () => {} }

  const collector = new ReportCollector()
  const recap = (color: boolean) => {
    const report = collector.report()
    for (const l of formatRecap({ ...report, check: report.check || opts.check === true }, { color })) out(l)
  }
  if (mode === 'plain') {
    const plain = plainListener(out, opts)
    return { listener: both(collector.listener, plain), done: async () => recap(false) }
  }
  const tree = listrListener({ ...opts, stream })
  return {
    listener: both(collector.listener, tree.listener),
    async done() {
      await tree.finished()
      if (opts.diff) printDiffs(out, collector.report())
      recap(process.env.NO_COLOR === undefined)
    },
  }
}

function both(a: RunListener, b: RunListener): RunListener {
  return (event) => {
    a(event)
    b(event)
  }
}

// The live tree has no room for diffs: they follow it, one block per changed step.
function printDiffs(out: LineOut, report: RunReport): void {
  for (const [name, host] of Object.entries(report.hosts))
    for (const step of host.steps) {
      if (!step.diff) continue
      const diff = unifiedDiff(step.diff)
      if (diff.length === 0) continue
      out(`${name} ${stepLabel(step.index)} ${step.name}: ${step.status}`)
      for (const l of diff) out('    ' + l)
    }
}
