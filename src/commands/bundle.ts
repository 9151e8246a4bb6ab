import { join } from 'node:path'
import { connectCluster } from '../cluster/index.js'
import { ExitCode, ExitError, InputError } from '../errors.js'
import { readInventory } from '../inventory/read.js'
import { parseArgs, type FlagSpec } from './args.js'
import { clusterFlags, clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'
import { VmBundles } from './vm-bundles.js'
import { writeBundleDir } from './write-bundle.js'

const flags: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', help: 'inventory file (meshvm or Ansible YAML)' },
  output: { type: 'string', short: 'o', help: 'directory; each VM gets <dir>/<vm-name>/ (0700)' },
  limit: { type: 'string', short: 'l', help: 'VMs or groups: names, globs, !exclusions, @file' },
  'dry-run': { type: 'boolean', help: 'report what would be created or changed in the cluster; change and write nothing' },
  ...clusterFlags,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm bundle -i INVENTORY -o DIR [flags]', flags, [
  'meshvm bundle -i inventory/example.yaml -o out/',
  'meshvm bundle -i inventory/example.yaml -o out/ --limit web --context prod',
  'meshvm bundle -i inventory/example.yaml -o out/ --dry-run',
])

/** Ensures the cluster objects, then writes every VM's five onboarding files with a freshly minted token. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) return ctx.stdout.write(help), ExitCode.ok
  if (!f.inventory) throw new InputError('expecting an inventory: -i INVENTORY')
  if (!f.output && !f['dry-run']) throw new InputError('expecting an output directory: -o DIR')
  const { vms } = await readInventory(String(f.inventory), { limit: f.limit as string | undefined })
  const istioVersion = istioVersionFlag(f)
  const bundles = new VmBundles(connectCluster(clusterOptions(f, ctx.env)), istioVersion)

  for (const o of await bundles.ensureGroups(vms, f['dry-run'] === true)) {
    ctx.stdout.write(`${o.result.padEnd(12)} ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${o.reason}\n`)
  }
  if (f['dry-run']) return ExitCode.ok

  let failed = 0
  for (const vm of vms) {
    try {
      const bundle = await bundles.forVm(vm)
      for (const w of bundle.warnings) ctx.stderr.write(`${vm.name}: warning: ${w}\n`)
      const dir = join(String(f.output), vm.name)
      await writeBundleDir(dir, bundle.files)
      ctx.stdout.write(`wrote ${dir}/ (${bundle.files.map((b) => b.name).join(', ')})\n`)
    } catch (err) {
      if (!(err instanceof ExitError)) throw err
      failed++
      ctx.stderr.write(`${vm.name}: failed: ${err.message}\n`)
    }
  }
  return failed > 0 ? ExitCode.failed : ExitCode.ok
}
