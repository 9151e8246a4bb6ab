import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { BundleFile } from '../bundle/types.js'
import { ExitCode } from '../errors.js'
import type { RunListener } from '../executor/events.js'
import type { ClusterSteps, DecidedStep } from '../executor/host.js'
import { RunFold, type RunOutcome } from '../executor/outcome.js'
import { runPlaybook } from '../executor/run.js'
import { writeFailedList } from '../inventory/read.js'
import type { Vm } from '../inventory/types.js'
import { loadPlaybook } from '../playbook/load.js'
import type { Shard } from '../inventory/shard.js'
import {
  createReporter,
  failedHosts,
  reportOf,
  reportText,
  writeReport,
  type OutputMode,
  type RunReport,
} from '../report/index.js'
import type { Secret } from '../secret.js'
import { connectVm, type SshChoices } from './connect.js'
import { failedListFile, lastRunReport, stateDir } from './state.js'

/** Where a fleet run writes: progress to stdout, notes to stderr, its state under `cwd`. */
export interface FleetIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  cwd: string
}

/** How a playbook runs over the VMs (the fleet flags, already checked). */
export interface FleetOptions extends SshChoices {
  forks: number
  serial?: string
  maxFailPercent?: number
  retries: number
  check: boolean
  diff: boolean
  verbose: boolean
  output: OutputMode
  /** Default `.meshvm/last-run.json` under the working directory; `-` is stdout (progress then goes to stderr). */
  reportFiles?: string[]
  /** The slice of the fleet this run is (the VMs are already that slice); recorded in the report for `report merge`. */
  shard?: Shard
}

export interface FleetRun {
  playbookFile: string
  vms: Vm[]
  prepare: (vm: Vm) => Promise<{ bundle: BundleFile[]; vars?: Record<string, unknown> }>
  /** Cluster steps after each VM's own (its WorkloadEntry). */
  cluster?: ClusterSteps
  /** Cluster work done before the run (its group's objects), reported among the VM's steps. */
  decided?: (vm: Vm) => DecidedStep[]
  /** The sudo password (-K): used for sudo, masked everywhere. */
  become?: Secret
  /** Playbook run on a VM whose playbook failed (upgrade: the rollback). */
  rescueFile?: string
  /** More subscribers to the run's events (a command's own progress records). */
  listeners?: RunListener[]
}

const exitCodeOf = (o: RunOutcome) =>
  o.failed.length > 0 ? ExitCode.failed : o.unreachable.length > 0 ? ExitCode.unreachable : ExitCode.ok

/**
 * Runs a playbook over the VMs with live progress, writes the report and the failed list; returns the exit code and
 * the outcome. One fold of the run's events feeds all of them: exit code, report file, failed list, recap, wizard.
 */
export async function runFleet(
  o: FleetOptions,
  io: FleetIo,
  run: FleetRun,
): Promise<{ code: number; outcome: RunOutcome }> {
  const playbook = await loadPlaybook(run.playbookFile)
  const rescue = run.rescueFile ? await loadPlaybook(run.rescueFile) : undefined
  const become = run.become
  const secrets = become ? [become] : []
  const fold = new RunFold()
  const stream = o.reportFiles?.includes('-') ? io.stderr : io.stdout
  const reporter = createReporter(o.output, { stream, verbose: o.verbose, diff: o.diff, check: o.check, secrets, fold })
  const outcome = await runPlaybook({
    vms: run.vms,
    playbook,
    connect: (vm) => connectVm(vm, o, become),
    prepare: (vm) => run.prepare(vm),
    forks: o.forks,
    serial: o.serial,
    maxFailPercent: o.maxFailPercent,
    retries: o.retries,
    check: o.check,
    diff: o.diff,
    listeners: [reporter.listener, ...(run.listeners ?? [])],
    rescue,
    cluster: run.cluster,
    decided: run.decided,
    fold,
  })
  await reporter.done()
  const report = o.shard ? { ...reportOf(outcome), shard: o.shard } : reportOf(outcome)
  await recordOutcome(report, o.reportFiles, io, secrets)
  return { code: exitCodeOf(outcome), outcome }
}

/** Writes the report (to each file, `-` = stdout) and the failed list `--limit @failed` reads (removed if none). */
export async function recordOutcome(
  report: RunReport,
  files: string[] | undefined,
  io: FleetIo,
  secrets: Secret[] = [],
) {
  const targets = files && files.length > 0 ? files : [lastRunReport(io.cwd)]
  for (const file of targets) {
    if (file === '-') {
      io.stdout.write(reportText(report, secrets))
      continue
    }
    await mkdir(dirname(file), { recursive: true })
    await writeReport(file, report, secrets)
  }
  const resume = failedHosts(report)
  if (resume.length > 0) {
    await mkdir(stateDir(io.cwd), { recursive: true })
    await writeFailedList(failedListFile(io.cwd), resume)
    const where = targets.filter((t) => t !== '-').join(', ') || 'stdout'
    io.stderr.write(`${resume.length} VM(s) not done; resume them with: --limit @failed   (report: ${where})\n`)
  } else await rm(failedListFile(io.cwd), { force: true })
}
