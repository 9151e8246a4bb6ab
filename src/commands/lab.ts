import { relative } from 'node:path'
import { ExitCode, InputError } from '../errors.js'
import { labDown, labReset, labStatus, labUp } from '../lab/lab.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  vms: { type: 'number', help: 'number of test hosts (up; default 3)' },
  dir: { type: 'string', help: 'lab directory (default ./lab, or $MESHVM_LAB_DIR)' },
  'payload-mib': {
    type: 'number',
    help: 'extra MiB in the lab sidecar package, for realistic benchmarks (up; default 0)',
  },
  json: { type: 'boolean', help: 'status as JSON' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm lab up|status|reset|down [flags]   (root, Linux)', flags, [
  'meshvm lab up --vms 3',
  'meshvm lab status',
  'meshvm lab reset          # every host back to the fresh base (same addresses and host keys)',
  'meshvm lab down',
])

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const { flags: f, positionals } = parseArgs(argv, flags)
  const action = positionals[0]
  if (f.help || !action) {
    ctx.stdout.write(help)
    return f.help ? ExitCode.ok : ExitCode.input
  }
  const dir = (f.dir as string | undefined) ?? ctx.env.MESHVM_LAB_DIR ?? 'lab'
  const show = (p: string) => (relative(ctx.cwd, p).startsWith('..') ? p : relative(ctx.cwd, p) || '.')
  if (action === 'up') {
    const vms = (f.vms as number | undefined) ?? 3
    if (!Number.isInteger(vms) || vms < 1 || vms > 200)
      throw new InputError('--vms: expected a whole number from 1 to 200')
    const started = Date.now()
    const log = (line: string) => ctx.stderr.write(`lab: ${line}\n`)
    const lab = await labUp({ dir, vms, payloadMiB: f['payload-mib'] as number | undefined, log })
    const hostLines = lab.hosts.map(
      (h) =>
        `  ${h.name.padEnd(6)} ${h.address}   ssh -i ${show(lab.key)} -o UserKnownHostsFile=${show(lab.knownHosts)} admin@${h.address}`,
    )
    ctx.stdout.write(
      [
        `lab up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lab.hosts.length} host(s), cluster API ${lab.apiUrl}`,
        ...hostLines,
        `inventory:  ${show(lab.inventory)}`,
        `kubeconfig: ${show(lab.kubeconfig)}`,
        `known_hosts: ${show(lab.knownHosts)}   key: ${show(lab.key)}`,
        `next:       meshvm onboard -i ${show(lab.inventory)} --kubeconfig ${show(lab.kubeconfig)}`,
        `stop:       meshvm lab down${dir === 'lab' ? '' : ` --dir ${dir}`}`,
        '',
      ].join('\n'),
    )
    return ExitCode.ok
  }
  if (action === 'status') {
    const s = await labStatus(dir)
    if (f.json) {
      ctx.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      return ExitCode.ok
    }
    const lines = [`cluster: ${s.cluster.running ? `running (pid ${s.cluster.pid})` : 'stopped'}`]
    for (const h of s.hosts)
      lines.push(
        `${h.name.padEnd(6)} ${h.address.padEnd(15)} ${h.running ? 'running' : 'stopped'}  ssh ${h.sshReachable ? 'ok' : 'unreachable'}`,
      )
    if (s.hosts.length === 0) lines.push('no hosts (run: meshvm lab up)')
    ctx.stdout.write(`${lines.join('\n')}\n`)
    return s.cluster.running && s.hosts.length > 0 && s.hosts.every((h) => h.sshReachable)
      ? ExitCode.ok
      : ExitCode.unreachable
  }
  if (action === 'reset') {
    const started = Date.now()
    const n = await labReset(dir, (line) => ctx.stderr.write(`lab: ${line}\n`))
    ctx.stdout.write(
      `lab reset in ${((Date.now() - started) / 1000).toFixed(1)} s: ${n} host(s) back to the fresh base\n`,
    )
    return ExitCode.ok
  }
  if (action === 'down') {
    const r = await labDown(dir)
    ctx.stdout.write(
      `lab down: stopped ${r.hosts} host(s)${r.cluster ? ' and the lab cluster' : ''}; nothing left running\n`,
    )
    return ExitCode.ok
  }
  throw new InputError(`unknown lab action "${action}" (up, status, reset or down)`)
}
