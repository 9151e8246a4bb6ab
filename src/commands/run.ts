import { connectCluster } from '../cluster/index.js'
import { ExitCode, InputError } from '../errors.js'
import { parseArgs } from './args.js'
import { clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetVms, runFleet } from './fleet.js'
import { commandHelp } from './help.js'
import { loadPlaybook } from '../playbook/load.js'
import { VmBundles } from './vm-bundles.js'

const help = commandHelp('meshvm run PLAYBOOK -i INVENTORY [flags]', fleetFlags, [
  'meshvm run playbooks/verify.yaml -i inventory/example.yaml',
  'meshvm run my-playbook.yaml -i inventory/example.yaml --limit web --check --diff',
])

/** Any playbook over the fleet; bundle files (and a fresh token) are made only when the playbook uploads them. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, fleetFlags)
  if (f.help) return ctx.stdout.write(help), ExitCode.ok
  const playbookFile = positionals[0]
  if (!playbookFile) throw new InputError('expecting a playbook: meshvm run PLAYBOOK -i INVENTORY')
  const vms = await fleetVms(f, ctx)
  const become = await becomePassword(f, ctx)
  const usesBundle = (await loadPlaybook(playbookFile)).steps.some((step) => 'bundle' in step.args)
  const bundles = usesBundle ? new VmBundles(connectCluster(clusterOptions(f, ctx.env)), istioVersionFlag(f)) : undefined
  if (bundles) await bundles.ensureGroups(vms, f.check === true)
  const { code } = await runFleet(f, ctx, {
    playbookFile,
    vms,
    prepare: async (vm) => ({ bundle: bundles ? (await bundles.forVm(vm)).files : [] }),
    become,
  })
  return code
}
