import { ExitCode, InputError } from '../errors.js'
import { parseArgs } from './args.js'
import type { CommandContext } from './context.js'
import { fleetFlags, fleetVms, runWithClusterStep } from './fleet.js'
import { commandHelp } from './help.js'
import { entryRemoved } from './workload-entry-steps.js'

const PLAYBOOK = new URL('../../../playbooks/offboard.yaml', import.meta.url).pathname

const help = commandHelp('meshvm offboard -i INVENTORY [flags]   (asks to confirm unless --yes or --check)', fleetFlags, [
  'meshvm offboard -i inventory/example.yaml --limit nginx-vm-2 --yes',
  'meshvm offboard -i inventory/example.yaml --check',
])

/** The reverse of onboard: stops and removes the sidecar and everything onboarding wrote, and the WorkloadEntry. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, fleetFlags)
  if (f.help) return ctx.stdout.write(help), ExitCode.ok
  const vms = await fleetVms(f, ctx)
  if (!f.yes && !f.check) {
    if (!ctx.stdin.isTTY) throw new InputError(`offboard removes Istio from ${vms.length} VM(s); pass --yes to confirm (or --check to preview)`)
    const { confirm } = await import('../prompts/confirm.js')
    if (!(await confirm(`Remove Istio from ${vms.length} VM(s): ${vms.map((v) => v.name).join(', ')}?`))) return ExitCode.ok
  }
  return runWithClusterStep(f, ctx, vms, PLAYBOOK, entryRemoved)
}
