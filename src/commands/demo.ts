import { relative } from 'node:path'
import { ExitCode } from '../errors.js'
import { labUp } from '../lab/lab.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  vms: { type: 'number', help: 'lab hosts to onboard (default 3)' },
  dir: { type: 'string', help: 'lab directory (default ./lab)' },
  output: { type: 'string', help: 'tty | plain | json (default: tty on a terminal)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm demo [--vms N] [--dir DIR]   (root, Linux)', flags, [
  'meshvm demo',
  'meshvm demo --vms 10',
])

/** The main job end to end on the local lab: lab up, onboard with live progress, verify, then where things are. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f } = parseArgs(argv, flags)
  if (f.help) {
    ctx.stdout.write(help)
    return ExitCode.ok
  }
  const dir = (f.dir as string | undefined) ?? 'lab'
  const say = (s: string) => ctx.stdout.write(`\n== ${s}\n`)
  say(`meshvm lab up --vms ${(f.vms as number | undefined) ?? 3}`)
  const lab = await labUp({ dir, vms: (f.vms as number | undefined) ?? 3, log: (l) => ctx.stdout.write(`lab: ${l}\n`) })
  const show = (p: string) => (relative(ctx.cwd, p).startsWith('..') ? p : relative(ctx.cwd, p))
  const common = [
    '-i',
    lab.inventory,
    '--kubeconfig',
    lab.kubeconfig,
    ...(f.output ? ['--output', String(f.output)] : []),
  ]
  say(`meshvm onboard -i ${show(lab.inventory)} --kubeconfig ${show(lab.kubeconfig)}`)
  const onboard = await (await import('./onboard.js')).main(common, ctx)
  say(`meshvm verify -i ${show(lab.inventory)} --kubeconfig ${show(lab.kubeconfig)}`)
  const verify = await (await import('./verify.js')).main(common, ctx)
  ctx.stdout.write(
    [
      '',
      onboard === 0 && verify === 0
        ? `All ${lab.hosts.length} lab VMs are in the mesh.`
        : 'Some VMs did not make it: see above.',
      `inventory:  ${show(lab.inventory)}`,
      `kubeconfig: ${show(lab.kubeconfig)}   (e.g. a second run: meshvm onboard -i ${show(lab.inventory)} --kubeconfig ${show(lab.kubeconfig)} → 0 changed)`,
      `ssh:        ssh -i ${show(lab.key)} -o UserKnownHostsFile=${show(lab.knownHosts)} admin@${lab.hosts[0]?.address}`,
      `stop:       meshvm lab down${dir === 'lab' ? '' : ` --dir ${dir}`}`,
      '',
    ].join('\n'),
  )
  return onboard || verify
}
