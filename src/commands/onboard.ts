import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExitCode, InputError } from '../errors.js'
import { onboardVms } from '../fleet/onboard.js'
import { vagrantInventoryText } from '../inventory/vagrant-run.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetVms, limitFlag, onboardOptions } from './fleet-flags.js'
import { printJobIfAsked } from './job-flags.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  ...fleetFlags,
  playbook: { type: 'string', help: 'playbook to run (default playbooks/onboard.yaml)' },
  interactive: { type: 'boolean', help: 'ask for one VM step by step (default on a terminal without -i)' },
  vagrant: { type: 'boolean', help: 'onboard the machines of the Vagrantfile in --vagrant-dir (vagrant ssh-config)' },
  'vagrant-dir': { type: 'string', help: 'directory of the Vagrantfile (default .)' },
}

const help = commandHelp(
  'meshvm onboard -i INVENTORY [flags]   |   meshvm onboard (interactive, on a terminal)',
  flags,
  [
    'meshvm onboard -i inventory/example.yaml',
    'meshvm onboard -i inventory/example.yaml --limit web --forks 20 --serial 25% --max-fail 10%',
    'meshvm onboard -i inventory/example.yaml --check --diff',
    'meshvm onboard -i inventory/example.yaml --limit @failed --retries 2',
    'meshvm onboard --vagrant --kubeconfig ~/.kube/kind-config',
    'meshvm onboard -i inventory/example.yaml --print-job --shards 10',
  ],
)

/** Ensures the cluster objects, then takes every VM to a running, connected sidecar. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (await printJobIfAsked('onboard', argv, flags, ctx, limitFlag(f, ctx))) return ExitCode.ok
  if (f.vagrant) {
    const dir = await mkdtemp(join(tmpdir(), 'meshvm-vagrant-'))
    f.inventory = join(dir, 'inventory.yaml')
    await writeFile(f.inventory, await vagrantInventoryText((f['vagrant-dir'] as string) ?? '.'))
  }
  if (f.interactive || (!f.inventory && ctx.stdin.isTTY && ctx.stdout.isTTY)) {
    const { interactiveOnboard } = await import('./onboard-interactive.js')
    return interactiveOnboard(f, ctx)
  }
  if (!f.inventory)
    throw new InputError('expecting an inventory: -i INVENTORY (not a terminal, so no questions can be asked)')
  const options = onboardOptions(f, ctx)
  const vms = await fleetVms(f, ctx)
  const become = await becomePassword(f, ctx)
  return (await onboardVms(options, ctx, vms, become)).code
}
