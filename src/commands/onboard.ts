import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectCluster } from '../cluster/index.js'
import { ExitCode, InputError } from '../errors.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { parseArgs, type FlagSpec, type FlagValues } from './args.js'
import { clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, fleetFlags, fleetVms, runFleet } from './fleet.js'
import { commandHelp } from './help.js'
import { vagrantInventoryText } from './inventory.js'
import { VmBundles } from './vm-bundles.js'
import { awaitRegistration } from './workload-entry-steps.js'

export const DEFAULT_PLAYBOOK = new URL('../../../playbooks/onboard.yaml', import.meta.url).pathname

const flags: Record<string, FlagSpec> = {
  ...fleetFlags,
  playbook: { type: 'string', help: 'playbook to run (default playbooks/onboard.yaml)' },
  interactive: { type: 'boolean', help: 'ask for one VM step by step (default on a terminal without -i)' },
  vagrant: { type: 'boolean', help: 'onboard the machines of the Vagrantfile in --vagrant-dir (vagrant ssh-config)' },
  'vagrant-dir': { type: 'string', help: 'directory of the Vagrantfile (default .)' },
}

const help = commandHelp('meshvm onboard -i INVENTORY [flags]   |   meshvm onboard (interactive, on a terminal)', flags, [
  'meshvm onboard -i inventory/example.yaml',
  'meshvm onboard -i inventory/example.yaml --limit web --forks 20 --serial 25% --max-fail 10%',
  'meshvm onboard -i inventory/example.yaml --check --diff',
  'meshvm onboard -i inventory/example.yaml --limit @failed --retries 2',
  'meshvm onboard --vagrant --kubeconfig ~/.kube/kind-config',
])

/** Ensures the cluster objects, then takes every VM to a running, connected sidecar. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) return ctx.stdout.write(help), ExitCode.ok
  if (f.vagrant) {
    const dir = await mkdtemp(join(tmpdir(), 'meshvm-vagrant-'))
    f.inventory = join(dir, 'inventory.yaml')
    await writeFile(f.inventory, await vagrantInventoryText((f['vagrant-dir'] as string) ?? '.'))
  }
  if (f.interactive || (!f.inventory && ctx.stdin.isTTY && ctx.stdout.isTTY)) {
    const { interactiveOnboard } = await import('../prompts/onboard-wizard.js')
    return interactiveOnboard(f, ctx)
  }
  if (!f.inventory) throw new InputError('expecting an inventory: -i INVENTORY (not a terminal, so no questions can be asked)')
  const vms = await fleetVms(f, ctx)
  const become = await becomePassword(f, ctx)
  return (await onboardVms(f, ctx, vms, become)).code
}

/** Ensures the VMs' cluster objects, then runs the onboard playbook over them (fleet runs and the wizard). */
export async function onboardVms(f: FlagValues, ctx: CommandContext, vms: Vm[], become: Secret | undefined) {
  const client = connectCluster(clusterOptions(f, ctx.env))
  const bundles = new VmBundles(client, istioVersionFlag(f))
  const cluster = await bundles.ensureGroups(vms, f.check === true)
  for (const o of cluster) {
    const name = `${o.namespace ? `${o.namespace}/` : ''}${o.name}`
    if (o.result !== 'unchanged' || f.verbose) ctx.stderr.write(`cluster: ${o.result} ${o.kind} ${name}\n`)
  }
  await warnUnreachableIstiod(bundles, vms, ctx)
  const run = await runFleet(f, ctx, {
    playbookFile: (f.playbook as string | undefined) ?? DEFAULT_PLAYBOOK,
    vms,
    prepare: async (vm) => ({ bundle: (await bundles.forVm(vm)).files }),
    controllerSteps: [awaitRegistration(client)],
    become,
  })
  return { ...run, cluster }
}

/** Said before the run, not in the middle of the live tree: VMs that will get no hosts line for istiod. */
async function warnUnreachableIstiod(bundles: VmBundles, vms: Vm[], ctx: CommandContext) {
  const without: string[] = []
  for (const vm of vms) {
    // a facts error here is the VM's own failure, reported by its run
    const facts = await bundles.facts(vm).catch(() => undefined)
    if (facts?.ingressIP === '') without.push(vm.name)
  }
  if (without.length === 0) return
  ctx.stderr.write(
    `warning: no address for istiod found for ${without.join(', ')} (no ingressIP, and the ingress Service has no ` +
      'load-balancer IP): their /etc/hosts gets no istiod line, so their sidecars can only reach istiod through DNS\n',
  )
}
