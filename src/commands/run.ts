import { ExitCode, InputError } from '../errors.js'
import { runAnyPlaybook } from '../fleet/runs.js'
import { parseArgs } from './args.js'
import { clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms, limitFlag } from './fleet-flags.js'
import { printJobIfAsked } from './job-flags.js'
import { commandHelp } from './help.js'

const help = commandHelp('meshvm run PLAYBOOK -i INVENTORY [flags]', fleetFlags, [
  'meshvm run playbooks/verify.yaml -i inventory/example.yaml',
  'meshvm run my-playbook.yaml -i inventory/example.yaml --limit web --check --diff',
])

/** Any playbook over the fleet; bundle files (and a fresh token) are made only when the playbook uploads them. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, fleetFlags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (await printJobIfAsked('run', argv, fleetFlags, ctx, limitFlag(f, ctx))) return ExitCode.ok
  const playbookFile = positionals[0]
  if (!playbookFile) throw new InputError('expecting a playbook: meshvm run PLAYBOOK -i INVENTORY')
  const options = { ...fleetOptions(f, ctx), cluster: clusterOptions(f, ctx.env), istioVersion: istioVersionFlag(f) }
  const vms = await fleetVms(f, ctx)
  return runAnyPlaybook(options, ctx, vms, playbookFile, await becomePassword(f, ctx))
}
