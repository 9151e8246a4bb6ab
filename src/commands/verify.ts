import { ExitCode } from '../errors.js'
import { parseArgs } from './args.js'
import type { CommandContext } from './context.js'
import { fleetFlags, fleetVms, runWithClusterStep } from './fleet.js'
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
  return runWithClusterStep(f, ctx, await fleetVms(f, ctx), PLAYBOOK, entryPresent)
}
