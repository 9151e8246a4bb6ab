import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { connectCluster, type ClusterClient } from '../cluster/index.js'
import { ExitCode, InputError } from '../errors.js'
import type { ControllerStep } from '../executor/host.js'
import { runPlaybook, type RunSummary } from '../executor/run.js'
import { readInventory, writeFailedList } from '../inventory/read.js'
import type { Vm } from '../inventory/types.js'
import { loadPlaybook } from '../playbook/load.js'
import { askSecret } from '../prompts/secret.js'
import { createReporter, failedHosts, pickOutputMode, ReportCollector, writeReport } from '../report/index.js'
import { Secret } from '../secret.js'
import { connect } from '../ssh/connect.js'
import type { BundleFile } from '../bundle/types.js'
import type { FlagSpec, FlagValues } from './args.js'
import { clusterFlags, clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'

/** Flags of every fleet command (onboard, verify, offboard, run), named as Ansible's where Ansible has one. */
export const fleetFlags: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', help: 'inventory file (meshvm or Ansible YAML)' },
  limit: { type: 'string', short: 'l', help: 'VMs or groups: names, globs, !exclusions, @file; @failed = the last run\'s failed and unreachable VMs' },
  forks: { type: 'number', short: 'f', help: 'VMs at a time (default 50)' },
  serial: { type: 'string', help: 'rolling batches: a count or P% of the fleet; a batch finishes before the next starts' },
  'max-fail': { type: 'string', help: 'stop starting VMs once more than P% of a batch failed or was unreachable' },
  retries: { type: 'number', help: 'retries of connection-level failures, with exponential backoff (default 0)' },
  check: { type: 'boolean', short: 'C', help: 'check mode: read and plan only, change nothing (cluster included)' },
  diff: { type: 'boolean', short: 'D', help: 'show before/after of each change' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
  output: { type: 'string', help: 'tty (live tree) | plain (timestamped lines) | json (one event per line); default: tty on a terminal' },
  report: { type: 'string', help: 'JSON report file (default .meshvm/last-run.json)' },
  verbose: { type: 'boolean', short: 'v', help: 'more detail: step starts, verbose renderer' },
  'accept-new-host-keys': { type: 'boolean', help: 'record unknown host keys (OpenSSH accept-new); a changed key is still refused' },
  'ask-become-pass': { type: 'boolean', short: 'K', help: 'ask once for the sudo password of the VMs (or set $MESHVM_BECOME_PASSWORD)' },
  'ssh-config': { type: 'string', help: 'ssh_config file (default ~/.ssh/config; "none" for none)' },
  ...clusterFlags,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const STATE_DIR = '.meshvm'
/** Where `--limit @failed` finds the VMs to resume: written after every run that had failures. */
export const failedListFile = (cwd: string) => join(cwd, STATE_DIR, 'failed')

function percent(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const n = Number(String(value).replace(/%$/, ''))
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InputError(`--${flag}: expected a percentage 0-100, got "${value}"`)
  return n
}

export async function fleetVms(f: FlagValues, ctx: CommandContext): Promise<Vm[]> {
  if (!f.inventory) throw new InputError('expecting an inventory: -i INVENTORY (or run `meshvm onboard` on a terminal to be asked)')
  const limit = f.limit === '@failed' ? `@${failedListFile(ctx.cwd)}` : (f.limit as string | undefined)
  return (await readInventory(String(f.inventory), { limit })).vms
}

export interface FleetRun {
  playbookFile: string
  vms: Vm[]
  prepare: (vm: Vm) => Promise<{ bundle: BundleFile[] }>
  controllerSteps?: ControllerStep[]
  /** The sudo password (-K): used for sudo, masked everywhere. */
  become?: Secret
}

/** The VM's SSH target with the values the inventory only defaulted left unset, so ~/.ssh/config can fill them. */
function sshTarget(vm: Vm) {
  const defaulted = vm.ssh.defaulted ?? []
  return { ...vm.ssh, user: defaulted.includes('user') ? undefined : vm.ssh.user, port: defaulted.includes('port') ? undefined : vm.ssh.port }
}

/** The become password: asked once with -K, or taken from $MESHVM_BECOME_PASSWORD (for CI); never from a file. */
export async function becomePassword(f: FlagValues, ctx: CommandContext): Promise<Secret | undefined> {
  if (f['ask-become-pass']) return askSecret('BECOME (sudo) password', ctx.stdin)
  return ctx.env.MESHVM_BECOME_PASSWORD ? new Secret(ctx.env.MESHVM_BECOME_PASSWORD) : undefined
}

/** Runs a playbook over the VMs with live progress, writes the report and the failed list; returns the exit code. */
export async function runFleet(f: FlagValues, ctx: CommandContext, run: FleetRun): Promise<{ code: number; summary: RunSummary }> {
  const playbook = await loadPlaybook(run.playbookFile)
  const mode = pickOutputMode(f.output as string | undefined, ctx.stdout.isTTY === true)
  const become = run.become
  const secrets = become ? [become] : []
  const reporter = createReporter(mode, { stream: ctx.stdout, verbose: !!f.verbose, diff: !!f.diff, check: !!f.check, secrets })
  const collector = new ReportCollector()
  const summary = await runPlaybook({
    vms: run.vms,
    playbook,
    connect: (vm) =>
      connect(sshTarget(vm), {
        knownHostsFile: vm.ssh.knownHostsFile,
        acceptNewHostKeys: f['accept-new-host-keys'] === true,
        sshConfigFile: f['ssh-config'] as string | undefined,
        becomePassword: vm.become.password ?? become,
      }),
    prepare: (vm) => run.prepare(vm),
    forks: (f.forks as number | undefined) ?? 50,
    serial: f.serial as string | undefined,
    maxFailPercent: percent('max-fail', f['max-fail']),
    retries: (f.retries as number | undefined) ?? 0,
    check: !!f.check,
    diff: !!f.diff,
    listeners: [reporter.listener, collector.listener],
    controllerSteps: run.controllerSteps,
  })
  await reporter.done()
  const report = collector.report()
  const reportFile = (f.report as string | undefined) ?? join(ctx.cwd, STATE_DIR, 'last-run.json')
  await mkdir(dirname(reportFile), { recursive: true })
  await writeReport(reportFile, report, secrets)
  const resume = failedHosts(report)
  if (resume.length > 0) {
    await mkdir(join(ctx.cwd, STATE_DIR), { recursive: true })
    await writeFailedList(failedListFile(ctx.cwd), resume)
    ctx.stderr.write(`${resume.length} VM(s) not done; resume them with: --limit @failed   (report: ${reportFile})\n`)
  } else await rm(failedListFile(ctx.cwd), { force: true })
  const code = summary.failed.length > 0 ? ExitCode.failed : summary.unreachable.length > 0 ? ExitCode.unreachable : ExitCode.ok
  return { code, summary }
}

/** A playbook that needs no bundle, plus one cluster-side step per VM (verify, offboard). */
export async function runWithClusterStep(
  f: FlagValues,
  ctx: CommandContext,
  vms: Vm[],
  playbookFile: string,
  clusterStep: (client: ClusterClient) => ControllerStep,
): Promise<number> {
  const become = await becomePassword(f, ctx)
  const client = connectCluster(clusterOptions(f, ctx.env))
  const run = await runFleet(f, ctx, {
    playbookFile,
    vms,
    prepare: async () => ({ bundle: [] }),
    controllerSteps: [clusterStep(client)],
    become,
  })
  return run.code
}
