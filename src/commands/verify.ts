import { connectCluster } from '../cluster/index.js'
import { ExitCode } from '../errors.js'
import { parseArgs } from './args.js'
import { clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetVms, runFleet } from './fleet.js'
import { commandHelp } from './help.js'
import { entryPresent } from './workload-entry-steps.js'

const PLAYBOOK = new URL('../../../playbooks/verify.yaml', import.meta.url).pathname

const help = commandHelp('meshvm verify -i INVENTORY [flags]', fleetFlags, [
  'meshvm verify -i inventory/example.yaml',
  'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json',
])

/** Proves each VM is in the mesh: istio active, pilot-agent and envoy as istio-proxy, XDS connected, entry present. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, fleetFlags)
  if (f.help) return ctx.stdout.write(help), ExitCode.ok
  const vms = await fleetVms(f, ctx)
  const become = await becomePassword(f, ctx)
  const client = connectCluster(clusterOptions(f, ctx.env))
  const { code } = await runFleet(f, ctx, {
    playbookFile: PLAYBOOK,
    vms,
    prepare: async () => ({ bundle: [] }),
    controllerSteps: [entryPresent(client)],
    secrets: become ? [become] : [],
  })
  return code
}
