import { ExitCode, InputError } from '../errors.js'
import { writeBundles } from '../fleet/write-bundles.js'
import { readInventory } from '../inventory/read.js'
import { parseArgs, type FlagSpec } from './args.js'
import { clusterFlags, clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', help: 'inventory file (meshvm or Ansible YAML)' },
  dir: { type: 'string', short: 'o', help: 'output directory; each VM gets <dir>/<vm-name>/ (0700)' },
  limit: { type: 'string', short: 'l', help: 'VMs or groups: names, globs, !exclusions, @file' },
  'dry-run': {
    type: 'boolean',
    help: 'report what would be created or changed in the cluster; change and write nothing',
  },
  ...clusterFlags,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm bundle -i INVENTORY -o|--dir DIR [flags]', flags, [
  'meshvm bundle -i inventory/example.yaml -o out/',
  'meshvm bundle -i inventory/example.yaml --dir out/',
  'meshvm bundle -i inventory/example.yaml -o out/ --limit web --context prod',
  'meshvm bundle -i inventory/example.yaml -o out/ --dry-run',
])

/** Ensures the cluster objects, then writes every VM's five onboarding files with a freshly minted token. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  // elsewhere --output picks a format (tty, plain, json): here it would silently name a directory
  if (argv.some((a) => a === '--output' || a.startsWith('--output=')))
    throw new InputError(
      "bundle writes files: its output directory is -o/--dir DIR (--output is the fleet commands' format flag)",
    )
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  if (!f.inventory) throw new InputError('expecting an inventory: -i INVENTORY')
  if (!f.dir && !f['dry-run']) throw new InputError('expecting an output directory: -o/--dir DIR')
  const { vms } = await readInventory(String(f.inventory), { limit: f.limit as string | undefined })
  const options = {
    cluster: clusterOptions(f, ctx.env),
    istioVersion: istioVersionFlag(f),
    dryRun: f['dry-run'] === true,
    dir: String(f.dir ?? ''),
  }
  return writeBundles(vms, options, ctx)
}
