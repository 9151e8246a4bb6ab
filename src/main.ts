import { ExitCode, ExitError } from './errors.js'
import { didYouMean } from './inventory/did-you-mean.js'
import { MESHVM_VERSION } from './version.js'
import { processContext, type CommandContext, type CommandMain } from './commands/context.js'

interface CommandEntry {
  summary: string
  example: string
  load: () => Promise<{ main: CommandMain }>
}

// Commands are lazy-imported so `meshvm --help` never loads ssh2 or the Kubernetes client.
const commands: Record<string, CommandEntry> = {
  onboard: {
    summary: 'onboard every VM of an inventory into the mesh (or one VM interactively)',
    example: 'meshvm onboard -i inventory/example.yaml --limit web --forks 20',
    load: () => import('./commands/onboard.js'),
  },
  verify: {
    summary: 'prove each VM is in the mesh (istio active, pilot-agent and envoy up, XDS connected)',
    example: 'meshvm verify -i inventory/example.yaml',
    load: () => import('./commands/verify.js'),
  },
  status: {
    summary: 'the fleet as it is: certificates, tokens, roots, XDS, drift, WorkloadEntries; a verdict and fix per VM',
    example: 'meshvm status -i inventory/example.yaml --output prometheus',
    load: () => import('./commands/status.js'),
  },
  offboard: {
    summary: 'remove the sidecar and everything onboarding put on each VM',
    example: 'meshvm offboard -i inventory/example.yaml --limit nginx-vm-2 --yes',
    load: () => import('./commands/offboard.js'),
  },
  renew: {
    summary:
      'bring every VM back to what onboarding would give it now (token, root cert, config), touching only what drifted',
    example: 'meshvm renew -i inventory/example.yaml --check --diff',
    load: () => import('./commands/renew.js'),
  },
  upgrade: {
    summary: 'roll a new sidecar package over the fleet in batches, each VM back in the mesh before the next',
    example: 'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package ./istio-sidecar.deb --serial 3',
    load: () => import('./commands/upgrade.js'),
  },
  run: {
    summary: 'run any playbook against an inventory',
    example: 'meshvm run playbooks/verify.yaml -i inventory/example.yaml',
    load: () => import('./commands/run.js'),
  },
  bundle: {
    summary: "write each VM's onboarding files (cluster.env, mesh.yaml, root-cert.pem, istio-token, hosts)",
    example: 'meshvm bundle -i inventory/example.yaml -o out/',
    load: () => import('./commands/bundle.js'),
  },
  'workload-entry': {
    summary: 'drop-in for `istioctl x workload entry configure`',
    example: 'meshvm workload-entry configure -f workloadgroup.yaml -o out/ --clusterID Kubernetes',
    load: () => import('./commands/workload-entry.js'),
  },
  'workload-group': {
    summary: 'drop-in for `istioctl x workload group create` (prints a WorkloadGroup)',
    example: 'meshvm workload-group create --name vm-app -n vm-ns -p http=8080',
    load: () => import('./commands/workload-group.js'),
  },
  report: {
    summary: "show the last run's report (or --json); `report merge`: one report and failed list from a sharded run",
    example: 'meshvm report',
    load: () => import('./commands/report.js'),
  },
  lab: {
    summary:
      'local lab: real test VMs (systemd-nspawn) and an emulated cluster (up | status | reset | rotate-root | token | down)',
    example: 'meshvm lab up --vms 3',
    load: () => import('./commands/lab.js'),
  },
  inventory: {
    summary: 'inventory tools (from-vagrant | show)',
    example: 'meshvm inventory from-vagrant --dir . -o inventory/vagrant.yaml',
    load: () => import('./commands/inventory.js'),
  },
  demo: {
    summary: 'lab up --vms 3, onboard the lab inventory with live progress, verify',
    example: 'meshvm demo',
    load: () => import('./commands/demo.js'),
  },
}

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length))
  const rows = Object.entries(commands).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}\n  ${' '.repeat(width)}  e.g. ${c.example}`,
  )
  return [
    'meshvm — onboard Linux VMs into an Istio service mesh over SSH',
    '',
    'Usage: meshvm <command> [flags]   (meshvm <command> --help or meshvm help <command> for its flags)',
    '',
    'Commands:',
    ...rows,
    '',
    'Exit codes: 0 ok, 2 some VM failed, 4 some VM unreachable, 5 bad input or usage (nothing done), 1 other error.',
    '',
  ].join('\n')
}

/** istioctl's spelling, `x|experimental workload entry|group …`, as meshvm's `workload-entry|workload-group …`. */
function istioctlSpelling(argv: string[]): string[] {
  const [x, workload, kind, ...rest] = argv
  if ((x === 'x' || x === 'experimental') && workload === 'workload' && (kind === 'entry' || kind === 'group'))
    return [`workload-${kind}`, ...rest]
  return argv
}

/** `meshvm help onboard` is `meshvm onboard --help` (with the subcommand the two istioctl drop-ins need). */
function helpSpelling(argv: string[]): string[] {
  const [help, command] = argv
  if (help !== 'help' || !command) return argv
  const sub = command === 'workload-entry' ? ['configure'] : command === 'workload-group' ? ['create'] : []
  return [command, ...sub, '--help']
}

export async function main(argv: string[], ctx: CommandContext = processContext()): Promise<number> {
  const [name, ...rest] = helpSpelling(istioctlSpelling(argv))
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(usage())
    return name ? ExitCode.ok : ExitCode.input
  }
  if (name === '--version') {
    ctx.stdout.write(`meshvm ${MESHVM_VERSION}\n`)
    return ExitCode.ok
  }
  const entry = commands[name]
  if (!entry) {
    const guess = didYouMean(name, Object.keys(commands))
    ctx.stderr.write(`meshvm: unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ''}\n\n${usage()}`)
    return ExitCode.input
  }
  try {
    const command = await entry.load()
    return await command.main(rest, { ...ctx, argv: ctx.argv ?? ['meshvm', ...argv] })
  } catch (err) {
    if (err instanceof ExitError) {
      ctx.stderr.write(`Error: ${err.message}\n`)
      return err.code
    }
    ctx.stderr.write(`meshvm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    return ExitCode.error
  }
}
