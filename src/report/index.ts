import { InputError } from '../errors.js'
import type { RunListener } from '../executor/events.js'
import type { RunFold } from '../executor/outcome.js'
import type { Secret } from '../secret.js'
import { ReportCollector, type RunReport } from './collector.js'
import { unifiedDiff } from './diff-lines.js'
import { fleetPlanLines } from './fleet-plan.js'
import { ndjsonListener } from './json.js'
import { listrListener } from './listr.js'
import { plainListener } from './plain.js'
import { formatRecap } from './recap.js'
import { lineOut, stepLabel, type LineOut } from './text.js'

export {
  failedHosts,
  ReportCollector,
  reportOf,
  type HostReport,
  type RunReport,
  type StepReport,
} from './collector.js'
export { reportText, writeReport } from './json.js'
export { formatRecap } from './recap.js'
export { unifiedDiff } from './diff-lines.js'
export { mergeReports, missingShards, type MissingHost, type ReportPart } from './merge.js'

/** What every output gets to build its reporter from. */
interface OutputParts {
  stream: NodeJS.WritableStream
  out: LineOut
  opts: ReporterOptions
  /** Feeds the run's fold with the events the reporter sees (a no-op when the caller feeds it). */
  feed: RunListener
  /** Prints the recap from the run's fold. */
  recap(color: boolean): void
  collector: ReportCollector
}

/** Every way progress is shown: `--output <name>`, its help, its reporter. A new output is one row here. */
const outputs = {
  tty: {
    help: 'live tree',
    make: ({ stream, out, opts, feed, recap, collector }: OutputParts): Reporter => {
      const tree = listrListener({ ...opts, stream })
      return {
        listener: both(feed, tree.listener),
        async done() {
          await tree.finished()
          const report = collector.report()
          if (report.check || opts.check) for (const l of fleetPlanLines(report, { diff: opts.diff })) out(l)
          else if (opts.diff) printDiffs(out, report)
          recap(process.env.NO_COLOR === undefined)
        },
      }
    },
  },
  plain: {
    help: 'timestamped lines',
    make: ({ out, opts, feed, recap, collector }: OutputParts): Reporter => ({
      listener: both(feed, plainListener(out, opts)),
      done: async () => {
        // the diffs were printed under their steps already
        const report = collector.report()
        if (report.check || opts.check) for (const l of fleetPlanLines(report)) out(l)
        recap(false)
      },
    }),
  },
  json: {
    help: 'one event per line',
    make: ({ out, opts }: OutputParts): Reporter => ({
      listener: ndjsonListener(out, opts.secrets, opts.argv),
      done: async () => {},
    }),
  },
}

/** How progress is shown: live listr2 tree, timestamped lines, or one JSON event per line. */
export type OutputMode = keyof typeof outputs

const modes = Object.keys(outputs) as OutputMode[]

/** `tty (live tree) | plain (timestamped lines) | json (one event per line)`, for `--output`'s help. */
export const outputHelp = modes.map((m) => `${m} (${outputs[m].help})`).join(' | ')

/** `--output` if given, else the tree on a TTY and plain lines anywhere else (CI, pipes). */
export function pickOutputMode(
  flag: string | undefined,
  isTTY = process.stdout.isTTY === true,
  terminal: { term?: string; columns?: number } = {},
): OutputMode {
  // a terminal that cannot draw a tree: TERM=dumb (no cursor movement), or a 0-column pty (as CI runners give)
  const drawable = terminal.term !== 'dumb' && terminal.columns !== 0
  if (flag === undefined) return isTTY && drawable ? 'tty' : 'plain'
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
  /** Terminal rows for the live tree when the stream does not say (tests). */
  rows?: number
  /** Texts masked as *** in every line written, as a guard behind the Secret type. */
  secrets?: readonly Secret[]
  /** The command line, for the NDJSON run-start event. */
  argv?: string[]
  /** The run's fold, when its owner feeds it (the fleet run shares one with the executor); default: its own. */
  fold?: RunFold
}

/** A listener for the executor, and `done()` to await the display's end and print the recap. */
export interface Reporter {
  listener: RunListener
  done(): Promise<void>
}

export function createReporter(mode: OutputMode, opts: ReporterOptions = {}): Reporter {
  const stream = opts.stream ?? process.stdout
  const out = lineOut(stream, opts.secrets)
  // a fold given by the caller is fed by the caller; without one, the reporter folds the events it sees
  const collector = new ReportCollector(opts.fold)
  const feed: RunListener = opts.fold ? () => {} : collector.listener
  const recap = (color: boolean) => {
    const report = collector.report()
    for (const l of formatRecap({ ...report, check: report.check || opts.check === true }, { color })) out(l)
  }
  return outputs[mode].make({ stream, out, opts, feed, recap, collector })
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
