import { parseIstioVersion } from '../bundle/istio-version.js'
import { workloadGroupYaml } from '../bundle/workload-group-create.js'
import { ExitCode, InputError } from '../errors.js'
import { parseArgs, type FlagSpec } from './args.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  name: { type: 'string', help: 'WorkloadGroup name (required)' },
  namespace: { type: 'string', short: 'n', help: 'its namespace (required)' },
  labels: { type: 'string', short: 'l', multiple: true, help: 'labels of the workloads: k=v,...' },
  annotations: { type: 'string', short: 'a', multiple: true, help: 'annotations of the workloads: k=v,...' },
  ports: { type: 'string', short: 'p', multiple: true, help: 'ports: name=port,...' },
  serviceAccount: { type: 'string', short: 's', help: 'service account of the workloads (default "default")' },
  network: { type: 'string', help: 'network of the workloads' },
  locality: { type: 'string', help: 'locality of the workloads' },
  weight: { type: 'number', short: 'w', help: 'load-balancing weight (0: unset)' },
  'istio-version': { type: 'string', help: 'print as that istioctl would (before 1.24: networking.istio.io/v1alpha3)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp(
  'meshvm workload-group create --name NAME -n NAMESPACE [flags]   (or: meshvm x workload group create)',
  flags,
  [
    'meshvm workload-group create --name foo --namespace bar',
    'meshvm x workload group create --name foo -n bar -l app=foo,bar=baz -p grpc=3550,http=8080 -a annotation=foobar --serviceAccount test --weight 100',
  ],
)

const csv = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((s) => s.split(','))

/** Drop-in for `istioctl x workload group create`: prints the WorkloadGroup YAML, contacts no cluster. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv
  const { flags: f } = parseArgs(sub === 'create' ? rest : argv, flags)
  if (f.help || sub !== 'create') {
    ctx.stdout.write(help)
    return f.help && sub === 'create' ? ExitCode.ok : ExitCode.input
  }
  if (!f.name) throw new InputError('expecting a workload name')
  if (!f.namespace) throw new InputError('expecting a workload namespace')
  const version = f['istio-version'] === undefined ? undefined : parseIstioVersion(String(f['istio-version']))
  const { yaml, errors } = workloadGroupYaml({
    name: String(f.name),
    namespace: String(f.namespace),
    labels: csv(f.labels),
    annotations: csv(f.annotations),
    ports: csv(f.ports),
    serviceAccount: (f.serviceAccount as string | undefined) ?? 'default',
    network: (f.network as string | undefined) ?? '',
    locality: (f.locality as string | undefined) ?? '',
    weight: (f.weight as number | undefined) ?? 0,
    apiVersion: version && version.major === 1 && version.minor < 24 ? 'v1alpha3' : 'v1',
  })
  for (const e of errors) ctx.stderr.write(`${e}\n`)
  ctx.stdout.write(yaml)
  return ExitCode.ok
}
