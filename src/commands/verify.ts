import { ExitCode } from '../errors.js'
import { runWithClusterStep } from '../fleet/runs.js'
import { parseArgs } from './args.js'
import { clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms, limitFlag } from './fleet-flags.js'
import { printJobIfAsked } from './job-flags.js'
import { commandHelp } from './help.js'

const help = commandHelp('meshvm verify -i INVENTORY [flags]', fleetFlags, [
  'meshvm verify -i inventory/example.yaml',
  'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json',
])

/** Proves each VM is in the mesh: istio active, pilot-agent and envoy as istio-proxy, XDS connected, entry present. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, fleetFlags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (await printJobIfAsked('verify', argv, fleetFlags, ctx, limitFlag(f, ctx))) return ExitCode.ok
  const options = { ...fleetOptions(f, ctx), cluster: clusterOptions(f, ctx.env) }
  const vms = await fleetVms(f, ctx)
  return runWithClusterStep(options, ctx, vms, 'verify', await becomePassword(f, ctx))
}
