import { InputError } from '../errors.js'
import { fleetStatus } from '../fleet/status.js'
import { writeFileAtomic } from '../local-file.js'
import type { FixKind } from '../plan/status-checks.js'
import { renderStatusJson, statusDiffs } from '../report/status-json.js'
import { renderStatusPrometheus } from '../report/status-prometheus.js'
import { renderStatusTable } from '../report/status-table.js'
import { statusExitCode, statusRows } from '../report/status-view.js'
import { parseArgs, type FlagSpec } from './args.js'
import { clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms } from './fleet-flags.js'
import { commandHelp } from './help.js'

const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, fleetFlags[n]]))

const flags: Record<string, FlagSpec> = {
  ...pick('inventory', 'limit', 'shard', 'shards', 'forks'),
  output: { type: 'string', help: 'table (default) | json | prometheus (text exposition format)' },
  'prometheus-file': {
    type: 'string',
    help: "also write the Prometheus text to FILE (*.prom, atomically: node_exporter's textfile collector)",
  },
  diff: { type: 'boolean', short: 'D', help: 'show how drifted files differ from what meshvm would write now' },
  ...pick('accept-new-host-keys', 'ask-become-pass', 'ssh-config', 'kubeconfig', 'context', 'istio-version', 'help'),
}

const help = commandHelp('meshvm status -i INVENTORY [flags]', flags, [
  'meshvm status -i inventory/example.yaml',
  'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json',
  'meshvm status -i inventory/example.yaml --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
  'meshvm status -i inventory/example.yaml --limit web --diff',
  '',
  'Exit codes: 0 every VM ok; 2 a VM is broken; 4 a VM is unreachable (none broken); 3 a VM needs attention.',
  'Status only reads: nothing changes on the VMs or in the cluster (no token is minted).',
])

const OUTPUTS = ['table', 'json', 'prometheus']

/** Reads every VM's identity, connection and config against the cluster, judges each, and prints the fleet. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return 0
  }
  const output = (f.output as string | undefined) ?? 'table'
  if (!OUTPUTS.includes(output)) throw new InputError(`--output: expected ${OUTPUTS.join(', ')}, not "${output}"`)
  const promFile = f['prometheus-file'] as string | undefined
  if (promFile !== undefined && !promFile.endsWith('.prom'))
    throw new InputError(`--prometheus-file: the textfile collector reads only *.prom files, not "${promFile}"`)
  // --output here is status's own (table, json, prometheus), not a fleet run's progress format
  const { forks, acceptNewHostKeys, sshConfigFile } = fleetOptions({ ...f, output: undefined }, ctx)
  const vms = await fleetVms(f, ctx)
  const cluster = clusterOptions(f, ctx.env)
  const status = await fleetStatus(
    { forks, acceptNewHostKeys, sshConfigFile, cluster, istioVersion: istioVersionFlag(f) },
    vms,
    await becomePassword(f, ctx),
  )
  const rows = statusRows(status, fixCommand(argvOf(f)))
  const diffs = f.diff ? statusDiffs(status) : undefined
  if (output === 'json') ctx.stdout.write(renderStatusJson(rows, status.at, diffs))
  else if (output === 'prometheus') ctx.stdout.write(await renderStatusPrometheus(rows, status.at))
  else ctx.stdout.write(renderStatusTable(rows, status.at.getTime(), diffs))
  if (promFile) await writeFileAtomic(promFile, await renderStatusPrometheus(rows, status.at))
  return statusExitCode(rows)
}

/** The flags a fixing command must repeat to reach the same VMs and cluster. */
function argvOf(f: Record<string, unknown>): string {
  const parts = [`-i ${f.inventory}`]
  for (const name of ['kubeconfig', 'context', 'ssh-config'])
    if (f[name] !== undefined) parts.push(`--${name} ${f[name]}`)
  return parts.join(' ')
}

function fixCommand(common: string) {
  return (kind: FixKind, vm: string): string => {
    if (kind === 'restart') return `meshvm run playbooks/restart-istio.yaml ${common} --limit ${vm}`
    if (kind === 'network')
      return `check the VM's network path to the control plane, then: meshvm verify ${common} --limit ${vm}`
    return `meshvm onboard ${common} --limit ${vm}`
  }
}
