import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { shellQuote } from '../bundle/shell-quote.js'
import { ExitCode } from '../errors.js'
import type { RunListener } from '../executor/events.js'
import type { ClusterSteps, DecidedStep, Prepared } from '../executor/host.js'
import { RunFold, type RunOutcome } from '../executor/outcome.js'
import { runPlaybook } from '../executor/run.js'
import { writeFailedList } from '../inventory/read.js'
import type { Vm } from '../inventory/types.js'
import { loadPlaybook } from '../playbook/load.js'
import type { BatchSize } from '../executor/pool.js'
import type { Shard } from '../inventory/shard.js'
import { validatePlaybook } from '../playbook/render.js'
import type { Playbook } from '../playbook/types.js'
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
import type { Connection } from '../ssh/types.js'
import { connectVm, type SshChoices } from './connect.js'
import { RunInterrupt } from './interrupt.js'
import { lockStateDir } from './state-lock.js'
import { failedListFile, lastRunReport, stateDir } from './state.js'
import { runHolder } from '../ssh/vm-lock.js'

/** Where a fleet run writes: progress to stdout, notes to stderr, its state under `cwd`. */
export interface FleetIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  cwd: string
  /** The command line (`meshvm onboard …`): the report's argv and the resume hint. */
  argv?: string[]
}

/** How a playbook runs over the VMs (the fleet flags, already checked). */
export interface FleetOptions extends SshChoices {
  forks: number
  serial?: BatchSize[]
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
  /** Loaded and checked with `checkedPlaybook` before anything was contacted. */
  playbook: Playbook
  vms: Vm[]
  prepare: (vm: Vm, conn: Connection) => Promise<Prepared>
  /** Some VMs' package is the default one, resolved in `prepare`. */
  defaultPackage?: boolean
  /** Cluster steps after each VM's own (its WorkloadEntry). */
  cluster?: ClusterSteps
  /** Cluster work done before the run (its group's objects), reported among the VM's steps. */
  decided?: (vm: Vm) => DecidedStep[]
  /** The sudo password (-K): used for sudo, masked everywhere. */
  become?: Secret
  /** Playbook run on a VM whose playbook failed (upgrade: the rollback), loaded with `checkedPlaybook` too. */
  rescue?: Playbook
  /** More subscribers to the run's events (a command's own progress records). */
  listeners?: RunListener[]
}

const exitCodeOf = (o: RunOutcome) =>
  o.failed.length > 0 ? ExitCode.failed : o.unreachable.length > 0 ? ExitCode.unreachable : ExitCode.ok

/**
 * The playbook, loaded and rendered for every VM (unknown keys, types, missing variables, local files to push): an
 * InputError here comes before any SSH connection or cluster request. `defaultPackage`: VMs without `package` get
 * the default one just before their steps.
 */
export async function checkedPlaybook(file: string, vms: Vm[], defaultPackage = false): Promise<Playbook> {
  const playbook = await loadPlaybook(file)
  validatePlaybook(playbook, vms, defaultPackage)
  return playbook
}

/** Whether the default package is needed: some VM has no `package` and the playbook installs one. */
export const needsDefaultPackage = (playbook: Playbook, vms: Vm[]) =>
  vms.some((vm) => !vm.package) && playbook.steps.some((s) => s.kind === 'package')

/**
 * Runs a playbook over the VMs with live progress, writes the report and the failed list; returns the exit code and
 * the outcome. One fold of the run's events feeds all of them: exit code, report file, failed list, recap, wizard.
 */
export async function runFleet(
  o: FleetOptions,
  io: FleetIo,
  run: FleetRun,
): Promise<{ code: number; outcome: RunOutcome }> {
  const release = await lockStateDir(stateDir(io.cwd), `meshvm ${run.playbook.name}`)
  try {
    return await runLocked(o, io, run)
  } finally {
    release()
  }
}

async function runLocked(o: FleetOptions, io: FleetIo, run: FleetRun): Promise<{ code: number; outcome: RunOutcome }> {
  const playbook = run.playbook
  const become = run.become
  const holder = runHolder(`meshvm ${playbook.name}`)
  const secrets = become ? [become] : []
  const fold = new RunFold()
  const argv = io.argv ?? []
  const stream = o.reportFiles?.includes('-') ? io.stderr : io.stdout
  const reporter = createReporter(o.output, {
    argv,
    stream,
    verbose: o.verbose,
    diff: o.diff,
    check: o.check,
    secrets,
    fold,
  })
  const interrupt = new RunInterrupt(
    (line) => io.stderr.write(`${line}\n`),
    () => io.stdout.isTTY && io.stdout.write('\x1b[?25h'),
  ).listen()
  try {
    const outcome = await runPlaybook({
      interrupted: () => interrupt.signal !== undefined,
      vms: run.vms,
      playbook,
      connect: (vm) => connectVm(vm, o, become, holder),
      prepare: (vm, conn) => run.prepare(vm, conn),
      defaultPackage: run.defaultPackage,
      forks: o.forks,
      serial: o.serial,
      maxFailPercent: o.maxFailPercent,
      retries: o.retries,
      check: o.check,
      diff: o.diff,
      listeners: [reporter.listener, ...(run.listeners ?? [])],
      rescue: run.rescue,
      cluster: run.cluster,
      decided: run.decided,
      fold,
    })
    await reporter.done()
    const report = o.shard ? { ...reportOf(outcome, argv), shard: o.shard } : reportOf(outcome, argv)
    await recordOutcome(report, o.reportFiles, io, secrets)
    if (interrupt.signal) io.stderr.write(`interrupted (${interrupt.signal})\n`)
    return { code: interrupt.exitCode ?? exitCodeOf(outcome), outcome }
  } finally {
    interrupt.close()
  }
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
    io.stderr.write(
      `${resume.length} VM(s) not done; resume them with: ${resumeCommand(io.argv ?? [])}   (report: ${where})\n`,
    )
  } else await rm(failedListFile(io.cwd), { force: true })
}

/** The command line again, limited to the VMs not done: any --limit/-l replaced by `--limit @failed`. */
export function resumeCommand(argv: string[]): string {
  if (argv.length === 0) return '--limit @failed'
  const kept: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--limit' || a === '-l') i++
    else if (!a.startsWith('--limit=') && !/^-l./.test(a)) kept.push(a)
  }
  return [...kept, '--limit', '@failed'].map(shellWord).join(' ')
}

const shellWord = (w: string) => (/^[\w@%+=:,./~-]+$/.test(w) ? w : shellQuote(w))
