import { writeFile } from 'node:fs/promises'
import { stringify } from 'yaml'
import { ExitCode, InputError } from '../errors.js'
import { readInventory } from '../inventory/read.js'
import { vagrantInventoryText } from '../inventory/vagrant-run.js'
import { describeSshTarget } from '../ssh/describe.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  inventory: { type: 'string', short: 'i', help: 'show: the inventory to resolve' },
  limit: { type: 'string', short: 'l', help: 'show: only these VMs or groups' },
  ssh: {
    type: 'boolean',
    help: "show: each VM's final SSH target (hops, user, port, keys in offer order, known_hosts), as ssh -G",
  },
  'ssh-config': {
    type: 'string',
    help: 'show --ssh: the ssh_config to read, as ssh -F (default ~/.ssh/config, then /etc/ssh/ssh_config)',
  },
  dir: { type: 'string', help: 'from-vagrant: the directory holding the Vagrantfile (default .)' },
  output: { type: 'string', short: 'o', help: 'from-vagrant: write the inventory here (default: stdout)' },
  app: { type: 'string', help: 'from-vagrant: WorkloadGroup name for the machines (default vagrant-vm)' },
  namespace: { type: 'string', help: 'from-vagrant: its namespace (default vm-apps)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm inventory show -i INVENTORY | from-vagrant [--dir DIR] [-o FILE]', flags, [
  'meshvm inventory show -i inventory/example.yaml --limit web',
  'meshvm inventory show -i inventory/example.yaml --ssh',
  'meshvm inventory from-vagrant --dir . -o inventory/vagrant.yaml --app web --namespace web-vms',
])

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, flags)
  const action = positionals[0]
  if (f.help || !action) {
    ctx.stdout.write(help)
    return f.help ? ExitCode.ok : ExitCode.input
  }
  if (action === 'show') {
    if (!f.inventory) throw new InputError('expecting an inventory: -i INVENTORY')
    const { vms, skipped } = await readInventory(String(f.inventory), { limit: f.limit as string | undefined })
    if (f.ssh) {
      const sshConfigFile = f['ssh-config'] as string | undefined
      const targets = await Promise.all(
        vms.map(async (vm) => ({
          name: vm.name,
          hops: await describeSshTarget(vm.ssh, { sshConfigFile, knownHostsFile: vm.ssh.knownHostsFile }),
        })),
      )
      ctx.stdout.write(stringify({ vms: targets }))
      return ExitCode.ok
    }
    // Secrets print as *** through their toJSON.
    ctx.stdout.write(stringify(JSON.parse(JSON.stringify({ vms, ...(skipped?.length ? { skipped } : {}) }))))
    return ExitCode.ok
  }
  if (action === 'from-vagrant') {
    const text = await vagrantInventoryText(
      (f.dir as string) ?? '.',
      f.app as string | undefined,
      f.namespace as string | undefined,
    )
    if (f.output) {
      await writeFile(String(f.output), text)
      ctx.stderr.write(`wrote ${f.output}\n`)
    } else ctx.stdout.write(text)
    return ExitCode.ok
  }
  throw new InputError(`unknown inventory action "${action}" (show or from-vagrant)`)
}
