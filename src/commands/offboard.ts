import { ExitCode, InputError } from '../errors.js'
import { runWithClusterStep } from '../fleet/runs.js'
import { parseArgs } from './args.js'
import { clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetOptions, fleetVms, limitFlag } from './fleet-flags.js'
import { printJobIfAsked } from './job-flags.js'
import { commandHelp } from './help.js'

const help = commandHelp(
  'meshvm offboard -i INVENTORY [flags]   (asks to confirm unless --yes or --check)',
  fleetFlags,
  [
    'meshvm offboard -i inventory/example.yaml --limit nginx-vm-2 --yes',
    'meshvm offboard -i inventory/example.yaml --check',
  ],
)

/** The reverse of onboard: stops and removes the sidecar and everything onboarding wrote, and the WorkloadEntry. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, fleetFlags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (await printJobIfAsked('offboard', argv, fleetFlags, ctx, limitFlag(f, ctx))) return ExitCode.ok
  const options = { ...fleetOptions(f, ctx), cluster: clusterOptions(f, ctx.env) }
  const vms = await fleetVms(f, ctx)
  if (!f.yes && !f.check) {
    if (!ctx.stdin.isTTY)
      throw new InputError(
        `offboard removes Istio from ${vms.length} VM(s); pass --yes to confirm (or --check to preview)`,
      )
    const { confirm } = await import('../prompts/confirm.js')
    const question = `Remove Istio from ${vms.length} VM(s): ${vms.map((v) => v.name).join(', ')}?`
    if (!(await confirm(question, ctx.stdin, ctx.stdout))) return ExitCode.ok
  }
  return runWithClusterStep(options, ctx, vms, 'offboard', await becomePassword(f, ctx))
}
