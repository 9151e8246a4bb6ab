import { X509Certificate } from 'node:crypto'
import { relative } from 'node:path'
import { ExitCode, InputError } from '../errors.js'
import { parseDuration } from '../lab/duration.js'
import { labDown, labReset, labStatus, labUp } from '../lab/lab.js'
import { labRotateRoot, labShortToken } from '../lab/life.js'
import { rotationPhases, type RotationPhase } from '../lab/mesh-roots.js'
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
  'cert-ttl': {
    type: 'string',
    help: 'lifetime of the workload certificates the lab istiod issues, e.g. 90s (up; default 24h)',
  },
  'ca-mode': {
    type: 'string',
    help: "istiod (renews with the certificate) or token-only (as istio-csr's default) (up)",
  },
  vm: { type: 'string', help: 'the lab VM (token)' },
  ttl: { type: 'string', help: 'lifetime of the token, e.g. 20s (token)' },
  json: { type: 'boolean', help: 'status as JSON' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm lab up|status|reset|rotate-root|token|down [flags]   (root, Linux)', flags, [
  'meshvm lab up --vms 3',
  'meshvm lab up --vms 2 --cert-ttl 90s --ca-mode token-only   # certificates that live 90 s; renewal needs the token',
  'meshvm lab rotate-root overlap   # then: switch (sign with the new root), finish (the old root dropped)',
  'meshvm lab token --vm vm1 --ttl 20s   # a token that expires in 20 s, written to the VM',
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
    if (!Number.isInteger(vms) || vms < 1 || vms > 500)
      throw new InputError('--vms: expected a whole number from 1 to 500')
    const started = Date.now()
    const log = (line: string) => ctx.stderr.write(`lab: ${line}\n`)
    const certTtlSeconds = durationFlag(f['cert-ttl'] as string | undefined, '--cert-ttl', 10)
    const caMode = f['ca-mode'] as string | undefined
    if (caMode !== undefined && caMode !== 'istiod' && caMode !== 'token-only')
      throw new InputError(`--ca-mode: expected istiod or token-only, not "${caMode}"`)
    const lab = await labUp({
      dir,
      vms,
      payloadMiB: f['payload-mib'] as number | undefined,
      certTtlSeconds,
      caMode,
      log,
    })
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
        `packages:   ${show(lab.packages.current)} (the cluster's Istio), ${show(lab.packages.previous)} (the release before)`,
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
  if (action === 'rotate-root') {
    const phase = positionals[1] as RotationPhase
    if (!rotationPhases.includes(phase))
      throw new InputError(`lab rotate-root: expected a phase: ${rotationPhases.join(', ')}`)
    const ca = await labRotateRoot(dir, phase)
    const names = ca.trusted.map((p) =>
      p === ca.signer ? `${fingerprint(p.caCertPem)} (signing)` : fingerprint(p.caCertPem),
    )
    ctx.stdout.write(`lab root rotation ${phase}: istio-ca-root-cert holds ${names.join(' + ')}\n`)
    return ExitCode.ok
  }
  if (action === 'token') {
    const vm = f.vm as string | undefined
    if (!vm) throw new InputError('lab token: --vm NAME is required')
    const seconds = durationFlag(f.ttl as string | undefined, '--ttl', 1) ?? 600
    const { expires } = await labShortToken(dir, vm, seconds)
    ctx.stdout.write(`lab token: ${vm} has a new istio-token, valid until ${expires.toISOString()} (not printed)\n`)
    return ExitCode.ok
  }
  if (action === 'down') {
    const r = await labDown(dir)
    ctx.stdout.write(
      `lab down: stopped ${r.hosts} host(s)${r.cluster ? ' and the lab cluster' : ''}; nothing left running\n`,
    )
    return ExitCode.ok
  }
  throw new InputError(`unknown lab action "${action}" (up, status, reset, rotate-root, token or down)`)
}

function durationFlag(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined
  const seconds = parseDuration(text)
  if (seconds === undefined || seconds < min)
    throw new InputError(`${flag}: expected a duration of at least ${min}s, like 90s, 5m or 1h (got "${text}")`)
  return seconds
}

/** SHA-256 fingerprint of a PEM certificate, first 8 bytes, as `openssl x509 -fingerprint` prints it. */
function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.split(':').slice(0, 8).join(':')
}
