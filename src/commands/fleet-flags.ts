import { InputError } from '../errors.js'
import { parseSerial } from '../executor/pool.js'
import type { OnboardOptions } from '../fleet/onboard.js'
import type { FleetOptions } from '../fleet/run.js'
import { checkSshTargets } from '../fleet/connect.js'
import { failedListFile } from '../fleet/state.js'
import { readInventory } from '../inventory/read.js'
import { inShard, parseShard, shardFromJobIndex, type Shard } from '../inventory/shard.js'
import type { Vm } from '../inventory/types.js'
import { askSecret } from '../prompts/secret.js'
import { outputHelp, pickOutputMode } from '../report/index.js'
import { Secret } from '../secret.js'
import type { FlagSpec, FlagValues } from './args.js'
import { clusterFlags, clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { jobFlags } from './job-flags.js'

/** Flags of every fleet command (onboard, verify, offboard, run), named as Ansible's where Ansible has one. */
export const fleetFlags: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', help: 'inventory file (meshvm or Ansible YAML)' },
  limit: {
    type: 'string',
    short: 'l',
    help: "VMs or groups: names, globs, !exclusions, @file; @failed = the last run's failed and unreachable VMs",
  },
  forks: { type: 'number', short: 'f', help: 'VMs at a time (default 50)' },
  serial: {
    type: 'string',
    help: 'rolling batches: N VMs, P% of the fleet, or a list (1,5,25%); a batch finishes before the next starts',
  },
  'max-fail': { type: 'string', help: 'stop starting VMs once more than P% of a batch failed or was unreachable' },
  retries: { type: 'number', help: 'retries of connection-level failures, with exponential backoff (default 0)' },
  check: { type: 'boolean', short: 'C', help: 'check mode: read and plan only, change nothing (cluster included)' },
  diff: { type: 'boolean', short: 'D', help: 'show before/after of each change' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
  output: { type: 'string', help: `${outputHelp}; default: tty on a terminal` },
  report: {
    type: 'string',
    multiple: true,
    help: 'JSON report file (default .meshvm/last-run.json); "-" = stdout (progress goes to stderr); repeatable',
  },
  shard: { type: 'string', help: 'run only shard INDEX/COUNT of the VMs (0-based; rendezvous hash of the VM name)' },
  shards: {
    type: 'number',
    help: "with --print-job: the Job's pod count; in a pod: the shard is $JOB_COMPLETION_INDEX",
  },
  ...jobFlags,
  verbose: { type: 'boolean', short: 'v', help: 'more detail: step starts, verbose renderer' },
  'accept-new-host-keys': {
    type: 'boolean',
    help: 'record unknown host keys (OpenSSH accept-new); a changed key is still refused',
  },
  'ask-become-pass': {
    type: 'boolean',
    short: 'K',
    help: 'ask once for the sudo password of the VMs (or set $MESHVM_BECOME_PASSWORD)',
  },
  'ssh-config': { type: 'string', help: 'ssh_config file (default ~/.ssh/config; "none" for none)' },
  ...clusterFlags,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

function percent(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const n = Number(String(value).replace(/%$/, ''))
  if (String(value).trim() === '' || !Number.isFinite(n) || n < 0 || n > 100)
    throw new InputError(`--${flag}: expected a percentage 0-100, got "${value}"`)
  return n
}

function wholeNumber(flag: string, value: unknown, min: number, fallback: number, why: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new InputError(`--${flag}: expected a whole number of at least ${min} (${why}), got ${value}`)
  return value
}

/** The fleet flags as the fleet layer takes them; a bad value is an InputError before anything runs. */
export function fleetOptions(f: FlagValues, ctx: CommandContext): FleetOptions {
  return {
    forks: wholeNumber('forks', f.forks, 1, 50, 'VMs at a time'),
    serial: f.serial === undefined ? undefined : parseSerial(String(f.serial)),
    maxFailPercent: percent('max-fail', f['max-fail']),
    retries: wholeNumber('retries', f.retries, 0, 0, 'extra attempts'),
    check: f.check === true,
    diff: f.diff === true,
    verbose: f.verbose === true,
    output: pickOutputMode(f.output as string | undefined, ctx.stdout.isTTY === true, {
      term: ctx.env.TERM,
      columns: (ctx.stdout as { columns?: number }).columns,
    }),
    reportFiles: f.report as string[] | undefined,
    shard: fleetShard(f, ctx),
    acceptNewHostKeys: f['accept-new-host-keys'] === true,
    sshConfigFile: f['ssh-config'] as string | undefined,
  }
}

/** What onboard takes from its flags, from the fleet command and from the wizard alike. */
export function onboardOptions(f: FlagValues, ctx: CommandContext): OnboardOptions {
  return {
    ...fleetOptions(f, ctx),
    cluster: clusterOptions(f, ctx.env),
    istioVersion: istioVersionFlag(f),
    istioRelease: f['istio-version'] as string | undefined,
    env: ctx.env,
    playbookFile: f.playbook as string | undefined,
  }
}

/** `--shard i/n`, or `--shards n` with the index from $JOB_COMPLETION_INDEX (a pod of an Indexed Job). */
export function fleetShard(f: FlagValues, ctx: CommandContext): Shard | undefined {
  if (f['print-job']) return undefined
  if (f.shard !== undefined && f.shards !== undefined) throw new InputError('--shard and --shards: give one of them')
  if (f.shard !== undefined) return parseShard(String(f.shard))
  if (f.shards !== undefined) return shardFromJobIndex(f.shards as number, ctx.env.JOB_COMPLETION_INDEX)
  return undefined
}

/** The VMs a fleet command works on: the inventory, then --limit (over the whole fleet), then the shard's slice. */
export async function fleetVms(f: FlagValues, ctx: CommandContext): Promise<Vm[]> {
  if (!f.inventory)
    throw new InputError('expecting an inventory: -i INVENTORY (or run `meshvm onboard` on a terminal to be asked)')
  const shard = fleetShard(f, ctx)
  const { vms: all, skipped = [] } = await readInventory(String(f.inventory), { limit: limitFlag(f, ctx) })
  for (const host of skipped) ctx.stderr.write(`skipping ${host.name}: ${host.reason}\n`)
  const vms = shard ? inShard(all, shard) : all
  await checkSshTargets(vms, { sshConfigFile: f['ssh-config'] as string | undefined })
  return vms
}

/** `--limit`, with `@failed` meaning the failed list of the last run (or of the last `report merge`) here. */
export const limitFlag = (f: FlagValues, ctx: CommandContext) =>
  f.limit === '@failed' ? `@${failedListFile(ctx.cwd)}` : (f.limit as string | undefined)

/** The become password: asked once with -K, or taken from $MESHVM_BECOME_PASSWORD (for CI); never from a file. */
export async function becomePassword(f: FlagValues, ctx: CommandContext): Promise<Secret | undefined> {
  if (f['ask-become-pass']) return askSecret('BECOME (sudo) password', ctx.stdin, ctx.stdout)
  return ctx.env.MESHVM_BECOME_PASSWORD ? new Secret(ctx.env.MESHVM_BECOME_PASSWORD) : undefined
}
