import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { BundleFile } from '../bundle/types.js'
import { ExitCode } from '../errors.js'
import type { ControllerStep } from '../executor/host.js'
import { runPlaybook, type RunSummary } from '../executor/run.js'
import { writeFailedList } from '../inventory/read.js'
import type { Vm } from '../inventory/types.js'
import { loadPlaybook } from '../playbook/load.js'
import { createReporter, failedHosts, ReportCollector, writeReport, type OutputMode } from '../report/index.js'
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
  /** Default `.meshvm/last-run.json` under the working directory. */
  reportFile?: string
}

export interface FleetRun {
  playbookFile: string
  vms: Vm[]
  prepare: (vm: Vm) => Promise<{ bundle: BundleFile[] }>
  controllerSteps?: ControllerStep[]
  /** The sudo password (-K): used for sudo, masked everywhere. */
  become?: Secret
}

const exitCodeOf = (s: RunSummary) =>
  s.failed.length > 0 ? ExitCode.failed : s.unreachable.length > 0 ? ExitCode.unreachable : ExitCode.ok

/** Runs a playbook over the VMs with live progress, writes the report and the failed list; returns the exit code. */
export async function runFleet(o: FleetOptions, io: FleetIo, run: FleetRun): Promise<{ code: number; summary: RunSummary }> {
  const playbook = await loadPlaybook(run.playbookFile)
  const become = run.become
  const secrets = become ? [become] : []
  const reporter = createReporter(o.output, { stream: io.stdout, verbose: o.verbose, diff: o.diff, check: o.check, secrets })
  const collector = new ReportCollector()
  const summary = await runPlaybook({
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
    listeners: [reporter.listener, collector.listener],
    controllerSteps: run.controllerSteps,
  })
  await reporter.done()
  const report = collector.report()
  const reportFile = o.reportFile ?? lastRunReport(io.cwd)
  await mkdir(dirname(reportFile), { recursive: true })
  await writeReport(reportFile, report, secrets)
  const resume = failedHosts(report)
  if (resume.length > 0) {
    await mkdir(stateDir(io.cwd), { recursive: true })
    await writeFailedList(failedListFile(io.cwd), resume)
    io.stderr.write(`${resume.length} VM(s) not done; resume them with: --limit @failed   (report: ${reportFile})\n`)
  } else await rm(failedListFile(io.cwd), { force: true })
  return { code: exitCodeOf(summary), summary }
}
